"""The OpenAPI 3.0 document of the JSON API (``/api/openapi.json``).

Kept next to the shapes it describes (:meth:`SearchResults.to_dict`,
:func:`searchapp.web_api.article_dict`, :func:`searchapp.web_api.error_body`): every key those
return is a property here, and ``tests/test_web_json.py`` validates real responses against
this document both ways (no undocumented key, no documented required key missing). Filters
are the engine's: ``source``, ``section`` and ``author`` filter exactly; facets are counted
for ``source``, ``section`` and ``year`` only (there is no author facet).
"""

from __future__ import annotations

from typing import Any

from searchapp import querylang
from searchapp.engine import MAX_PER_PAGE, SORTS
from searchapp.web_args import (
    MAX_PAGE,
    MAX_PREFIX_CLAUSES,
    MAX_RESULT_WINDOW,
    MAX_SUGGEST_CHARS,
    MAX_SUGGEST_LIMIT,
    MAX_YEAR,
    MIN_YEAR,
)

#: The facets the engine counts (``SearchResults.facets`` keys).
FACETS = ("source", "section", "year")
ERROR_CODES = ("bad_parameter", "query_too_long", "query_too_complex", "not_found",
               "method_not_allowed", "index_unavailable", "server_error")

STR = {"type": "string"}
DATE = {"type": "string", "format": "date-time", "nullable": True,
        "description": "ISO 8601 publication time, null when the article has none"}


def _obj(required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props,
            "additionalProperties": False}


def _param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, **extra}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(description: str, ref: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def schemas() -> dict[str, Any]:
    """The component schemas: Hit, SearchResults, Article, Suggestions, Error."""
    explain = {"type": "array", "nullable": True, "description": "with explain=1: per query "
               "word, how it matched", "items": _obj(
                   ["word", "form", "fields"], word=STR,
                   form={"type": "string", "enum": ["exact", "stem", "synonym", "prefix",
                                                    "none"]},
                   fields={"type": "array", "items": STR})}
    hit = _obj(
        ["id", "title", "score", "snippet", "title_html", "url", "source", "source_name",
         "section", "author", "date", "kind", "explain", "similar"],
        id=STR, title=STR, score={"type": "number"},
        snippet={"type": "string", "description": "escaped text; only <mark> is markup"},
        title_html={"type": "string", "description": "escaped title with <mark>"},
        url={"type": "string", "description": "the original article, as in the corpus"},
        source={"type": "string", "description": "source slug, the value of the source filter"},
        source_name={"type": "string", "description": "newspaper name for the slug (the "
                     "slug itself when unknown)"},
        section=STR, author=STR, date=DATE,
        kind={"type": "string", "enum": ["article", "teaser"]},
        explain=explain,
        similar={"type": "array", "items": STR, "description": "ids of near-duplicates "
                 "(syndicated copies) folded under this hit; empty with collapse=0"})
    facet = {"type": "array", "items": _obj(
        ["value", "count", "name"], value={"type": "string", "description": "the filter value"},
        count={"type": "integer"},
        name={"type": "string", "description": "text to show (newspaper name for sources)"})}
    results = _obj(
        ["query", "total", "page", "per_page", "hits", "facets", "suggestion",
         "corrected_from", "seconds", "missing_shards"],
        query={"type": "string", "description": "the query searched (the correction when "
               "corrected_from is set)"},
        total={"type": "integer", "description": "matching articles (copies included)"},
        page={"type": "integer"}, per_page={"type": "integer"},
        hits={"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        facets={"type": "object", "additionalProperties": False,
                "properties": {k: facet for k in FACETS}},
        suggestion={"type": "string", "nullable": True, "description": "did-you-mean query"},
        corrected_from={"type": "string", "nullable": True, "description": "the reader's "
                        "query when the spelling correction was searched instead (correct=0 "
                        "searches the words as written)"},
        seconds={"type": "number"},
        missing_shards={"type": "array", "items": STR, "description": "a sharded index: "
                        "the shards that did not answer (when not empty, the result is "
                        "partial: total, facets and hits count the other shards only)"})
    article = _obj(
        ["id", "kind", "title", "subtitle", "paragraphs", "captions", "source", "source_name",
         "section", "author", "location", "date", "url", "related"],
        id=STR, kind={"type": "string", "enum": ["article", "teaser"]}, title=STR,
        subtitle=STR, paragraphs={"type": "array", "items": STR},
        captions={"type": "array", "items": _obj(["text", "credit"], text=STR, credit=STR)},
        source=STR, source_name=STR, section=STR, author=STR, location=STR, date=DATE,
        url={"type": "string", "description": "the original article (http or https only; "
             "empty otherwise)"},
        related={"type": "array", "items": STR, "description": "ids the article's page "
                 "linked to"})
    suggestions = _obj(["query", "suggestions"], query=STR,
                       suggestions={"type": "array", "items": STR})
    error = _obj(["error", "code", "field"],
                 error={"type": "string", "description": "Arabic, for the reader"},
                 code={"type": "string", "enum": list(ERROR_CODES)},
                 field={"type": "string", "nullable": True,
                        "description": "the offending query argument, if any"})
    return {"Hit": hit, "SearchResults": results, "Article": article,
            "Suggestions": suggestions, "Error": error}


def search_parameters() -> list[dict[str, Any]]:
    """The arguments of ``/api/search`` (the same as the HTML page's)."""
    return [
        _param("q", {"type": "string", "maxLength": querylang.MAX_QUERY_CHARS},
               "Query: words, \"phrases\", -exclusions, OR/أو, word*, source:/section:/"
               "author:/date: filters (see the help page). At most "
               f"{querylang.MAX_CLAUSES} words/phrases/OR alternatives and "
               f"{MAX_PREFIX_CLAUSES} prefixes (400 otherwise).", example="اطلاق النار"),
        _param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
               f"1-based page; page * per_page may not exceed {MAX_RESULT_WINDOW}."),
        _param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                            "default": 10}, "Hits per page."),
        _param("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"},
               "Order of hits."),
        *(_param(k, {"type": "string", "maxLength": 200}, f"Only hits whose {k} is exactly "
                 f"this value{note}.") for k, note in (
                     ("source", " (the slug, as listed in the source facet)"),
                     ("section", " (as listed in the section facet)"),
                     ("author", " (as stored; there is no author facet)"))),
        _param("year", {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
               "Only hits published in this year (as listed in the year facet)."),
        *(_param(k, {"type": "string", "format": "date"}, f"{what} day, inclusive, as "
                 f"YYYY-MM-DD between {MIN_YEAR}-01-01 and {MAX_YEAR}-12-31.")
          for k, what in (("date_from", "First"), ("date_to", "Last"))),
        _param("explain", {"type": "boolean", "default": False},
               "Add to each hit which query words matched, in which form and fields."),
        _param("collapse", {"type": "boolean", "default": True},
               "Fold near-duplicates (syndicated copies) under one hit, their ids in "
               "similar; 0 lists every copy."),
        _param("correct", {"type": "boolean", "default": True},
               "Search the spelling correction instead when it finds clearly more "
               "(corrected_from is then set); 0 searches the words as written."),
    ]


def suggest_parameters() -> list[dict[str, Any]]:
    return [
        _param("q", {"type": "string", "maxLength": MAX_SUGGEST_CHARS},
               "What the reader has typed so far.", required=True),
        _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_SUGGEST_LIMIT,
                         "default": 8}, "Most completions returned."),
        _param("format", {"type": "string", "enum": ["json", "opensearch"], "default": "json"},
               "opensearch: the OpenSearch suggestions array [query, [completions]]."),
    ]


def openapi_document(prefix: str) -> dict[str, Any]:
    """OpenAPI 3.0 description of the API under ``prefix`` (the blueprint's URL prefix)."""
    bad = _error_response("An argument out of bounds")
    article_id = {"name": "article_id", "in": "path", "required": True, "schema": STR,
                  "description": "An id of unreserved characters; other ids (slashes, dots) "
                  "go in /api/article?id=."}
    return {
        "openapi": "3.0.3",
        "info": {"title": "searchapp API", "version": "1",
                 "description": "Full-text search over Arabic news articles. Every response "
                 "is UTF-8 JSON; errors are the Error object."},
        "servers": [{"url": prefix or "/"}],
        "paths": {
            "/api/search": {"get": {
                "summary": "Search articles", "operationId": "search",
                "parameters": search_parameters(),
                "responses": {"200": _json("One page of results", "SearchResults"),
                              "400": bad,
                              "503": _error_response("The index is unavailable")}}},
            "/api/suggest": {"get": {
                "summary": "Complete a partial query (autocomplete)", "operationId": "suggest",
                "parameters": suggest_parameters(),
                "responses": {"200": _json("Completions, best first", "Suggestions"),
                              "400": bad}}},
            "/api/article/{article_id}": {"get": {
                "summary": "One stored article", "operationId": "article",
                "parameters": [article_id],
                "responses": {"200": _json("The article", "Article"),
                              "404": _error_response("No article with this id")}}},
            "/api/article": {"get": {
                "summary": "One stored article, any id", "operationId": "articleById",
                "parameters": [_param("id", STR, "The article id.", required=True)],
                "responses": {"200": _json("The article", "Article"),
                              "404": _error_response("No article with this id")}}},
        },
        "components": {"schemas": schemas()},
    }
