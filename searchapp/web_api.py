"""The machine-facing part of the blueprint: JSON API, its OpenAPI document, OpenSearch.

Kept apart from the HTML views because its contract is different: the JSON shapes here are a
public interface (``/api/search`` is exactly ``SearchResults.to_dict()``), documented by the
OpenAPI document built below, so a change to one must be seen next to the other.
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from searchapp import querylang
from searchapp.engine import MAX_PER_PAGE, SORTS, SearchEngine
from searchapp.web_args import (
    MAX_PAGE,
    MAX_PREFIX_CLAUSES,
    MAX_RESULT_WINDOW,
    MAX_YEAR,
    MIN_YEAR,
    ArgumentError,
    SearchArgs,
    parse_int,
    parse_search_args,
)

EXTENSION_KEY = "searchapp"
MAX_SUGGEST_CHARS = 100
MAX_SUGGEST_LIMIT = 20
#: Config key (and, for ``create_app``, environment variable) holding the public URL of the
#: application root, e.g. ``https://news.example.org`` or ``https://example.org/app``. Absolute
#: URLs (the OpenSearch description) are built from it, never from the request's Host header,
#: which any client sets and a shared cache would then serve to everyone. Unset: relative URLs.
BASE_URL_KEY = "SEARCHAPP_BASE_URL"


def engine() -> SearchEngine:
    """The engine that :func:`searchapp.web.init_app` attached to the current app."""
    return current_app.extensions[EXTENSION_KEY]


def run_search(args: SearchArgs) -> Any:
    """``engine.search`` for validated arguments (shared by the page and the API)."""
    kwargs = args.engine_kwargs()
    if "explain" in kwargs and "explain" not in inspect.signature(engine().search).parameters:
        del kwargs["explain"]  # an engine without explanations: the page shows none
    return engine().search(args.q, **kwargs)


def register_api(bp: Blueprint) -> None:
    """Add the API routes to ``bp``."""

    # ArgumentError becomes a JSON 400 through the blueprint's error handler (web.error_page).
    @bp.route("/api/search")
    def api_search() -> Any:
        return jsonify(run_search(parse_search_args(request.args)).to_dict())

    @bp.route("/api/suggest")
    def api_suggest() -> Any:
        q = request.args.get("q", "")
        if len(q) > MAX_SUGGEST_CHARS:
            raise ArgumentError(f"نص الإكمال أطول من {MAX_SUGGEST_CHARS} حرف")
        limit = parse_int(request.args.get("limit"), "limit", 8, 1, MAX_SUGGEST_LIMIT)
        words = engine().suggest(q.strip(), limit) if q.strip() else []
        if request.args.get("format") == "opensearch":
            # The OpenSearch suggestions extension: [query, [completions]].
            resp = jsonify([q, words])
            resp.mimetype = "application/x-suggestions+json"
        else:
            resp = jsonify(query=q, suggestions=words)
        resp.headers["Cache-Control"] = "public, max-age=300"
        return resp

    @bp.route("/api/openapi.json")
    def api_openapi() -> Any:
        return jsonify(openapi_document(url_for(".search_page").rstrip("/")))

    @bp.route("/opensearch.xml")
    def opensearch() -> Response:
        body = render_template("opensearch.xml", search_url=public_url(".search_page"),
                               suggest_url=public_url(".api_suggest"),
                               self_url=public_url(".opensearch"))
        return Response(body, mimetype="application/opensearchdescription+xml")


def check_base_url(url: str) -> str:
    """``url`` without its trailing slash, or ValueError unless it is a bare http(s) URL.

    Checked when the app starts (:func:`searchapp.web.init_app`) so a typo fails the start-up,
    not every request; a query or fragment would end up in the middle of every URL built.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or \
            parts.fragment or any(c in url for c in "\"'<>\\ "):
        raise ValueError(f"{BASE_URL_KEY} must be an http(s) URL such as "
                         f"https://news.example.org or https://example.org/app, not {url!r}")
    return url.rstrip("/")


def public_url(endpoint: str, **values: Any) -> str:
    """The URL of ``endpoint``: absolute under the configured base URL, else relative.

    The path below the application root comes from ``url_for`` (blueprint prefix included);
    the scheme and host come only from :data:`BASE_URL_KEY`, never from the request.
    """
    path = url_for(endpoint, **values)
    base = current_app.config.get(BASE_URL_KEY)
    if not base:
        return path
    return check_base_url(base) + path[len(request.script_root):]


def _param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, **extra}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string", "description": "Arabic, for the reader"}}}}}}


def openapi_document(prefix: str) -> dict[str, Any]:
    """OpenAPI 3.0 description of ``/api/search`` and ``/api/suggest`` under ``prefix``."""
    hit = {"type": "object", "required": ["id", "title", "snippet", "score"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"},
        "title_html": {"type": "string", "description": "escaped title with <mark>"},
        "snippet": {"type": "string", "description": "escaped text; only <mark> is markup"},
        "score": {"type": "number"}, "url": {"type": "string"},
        "source": {"type": "string"}, "section": {"type": "string"},
        "author": {"type": "string"},
        "date": {"type": "string", "format": "date-time", "nullable": True},
        "kind": {"type": "string", "enum": ["article", "teaser"]}}}
    facet = {"type": "array", "items": {"type": "object", "properties": {
        "value": {"type": "string"}, "count": {"type": "integer"}}}}
    results = {"type": "object", "required": ["total", "page", "per_page", "hits"],
               "properties": {
                   "query": {"type": "string"}, "total": {"type": "integer"},
                   "page": {"type": "integer"}, "per_page": {"type": "integer"},
                   "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                   "facets": {"type": "object", "properties": {
                       k: facet for k in ("source", "section", "year")}},
                   "suggestion": {"type": "string", "nullable": True,
                                  "description": "did-you-mean query"},
                   "seconds": {"type": "number"}}}
    search_params = [
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
                 "this value (as listed in facets).") for k in ("source", "section", "author")),
        _param("year", {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
               "Only hits published in this year (as listed in the year facet)."),
        *(_param(k, {"type": "string", "format": "date"}, f"{what} day, inclusive, as "
                 f"YYYY-MM-DD between {MIN_YEAR}-01-01 and {MAX_YEAR}-12-31.")
          for k, what in (("date_from", "First"), ("date_to", "Last"))),
        _param("explain", {"type": "boolean", "default": False},
               "Add to each hit which query words matched, in which form and fields."),
    ]
    suggest_params = [
        _param("q", {"type": "string", "maxLength": MAX_SUGGEST_CHARS},
               "What the reader has typed so far.", required=True),
        _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_SUGGEST_LIMIT,
                         "default": 8}, "Most completions returned."),
        _param("format", {"type": "string", "enum": ["json", "opensearch"], "default": "json"},
               "opensearch: the OpenSearch suggestions array [query, [completions]]."),
    ]
    return {
        "openapi": "3.0.3",
        "info": {"title": "searchapp API", "version": "1",
                 "description": "Full-text search over Arabic news articles."},
        "servers": [{"url": prefix or "/"}],
        "paths": {
            "/api/search": {"get": {
                "summary": "Search articles", "operationId": "search",
                "parameters": search_params,
                "responses": {
                    "200": {"description": "One page of results",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                    "400": _error_response("An argument out of bounds")}}},
            "/api/suggest": {"get": {
                "summary": "Complete a partial query (autocomplete)", "operationId": "suggest",
                "parameters": suggest_params,
                "responses": {
                    "200": {"description": "Completions, best first", "content": {
                        "application/json": {"schema": {"type": "object", "properties": {
                            "query": {"type": "string"},
                            "suggestions": {"type": "array", "items": {"type": "string"}}}}}}},
                    "400": _error_response("An argument out of bounds")}}},
        },
        "components": {"schemas": {"Hit": hit, "SearchResults": results}},
    }
