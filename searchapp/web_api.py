"""The machine-facing part of the blueprint: JSON API, its OpenAPI document, OpenSearch.

Kept apart from the HTML views because its contract is different: the JSON shapes here are a
public interface (``/api/search`` is exactly ``SearchResults.to_dict()``), documented by the
OpenAPI document built below, so a change to one must be seen next to the other.

Every JSON body goes through :func:`dumps` (UTF-8, Arabic as is, keys in the order the
dataclasses declare them) and is sent as ``application/json; charset=utf-8``;
``searchapp search --json`` prints the same bytes. Errors are
``{"error": Arabic sentence, "code": stable English code, "field": argument or null}``.
"""

from __future__ import annotations

import inspect
import json
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from searchapp.corpus import Article
from searchapp.engine import SearchEngine
from searchapp.sources import source_name
from searchapp.web_args import (
    MAX_SUGGEST_CHARS,
    MAX_SUGGEST_LIMIT,
    ArgumentError,
    SearchArgs,
    parse_int,
    parse_search_args,
)
from searchapp.web_openapi import openapi_document

EXTENSION_KEY = "searchapp"
#: ``app.extensions`` key of the slug → newspaper name table (:mod:`searchapp.sources`).
NAMES_KEY = "searchapp.source_names"
JSON_MIMETYPE = "application/json"
#: Config key (and, for ``create_app``, environment variable) holding the public URL of the
#: application root, e.g. ``https://news.example.org`` or ``https://example.org/app``. Absolute
#: URLs (the OpenSearch description) are built from it, never from the request's Host header,
#: which any client sets and a shared cache would then serve to everyone. Unset: relative URLs.
BASE_URL_KEY = "SEARCHAPP_BASE_URL"


def engine() -> SearchEngine:
    """The engine that :func:`searchapp.web.init_app` attached to the current app."""
    return current_app.extensions[EXTENSION_KEY]


def source_names() -> dict[str, str]:
    """The slug → newspaper name table configured for the current app."""
    return current_app.extensions.get(NAMES_KEY, {})


def dumps(obj: Any) -> str:
    """The one JSON serializer of the API and ``searchapp search --json``: Arabic unescaped,
    keys in insertion order (the dataclass order of :meth:`SearchResults.to_dict`), compact.
    One function so that the two outputs are byte for byte the same object."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def json_response(obj: Any, status: int = 200, mimetype: str = JSON_MIMETYPE) -> Response:
    """``obj`` as a UTF-8 JSON response (``charset=utf-8`` spelled out for curl and proxies)."""
    return Response(dumps(obj) + "\n", status=status,
                    content_type=f"{mimetype}; charset=utf-8")


def error_body(message: str, code: str, field: str | None = None) -> dict[str, Any]:
    """The JSON error shape: the reader's Arabic sentence, a stable code, the argument."""
    return {"error": message, "code": code, "field": field}


def article_dict(article: Article) -> dict[str, Any]:
    """The JSON of one stored article (``/api/article/<id>``); ``url`` only when http(s)."""
    url = article.url if urlsplit(article.url or "").scheme in ("http", "https") else ""
    return {
        "id": article.id, "kind": article.kind, "title": article.title,
        "subtitle": article.subtitle, "paragraphs": list(article.paragraphs),
        "captions": [{"text": c.text, "credit": c.credit} for c in article.captions],
        "source": article.source, "source_name": source_name(article.source, source_names()),
        "section": article.section, "author": article.author, "location": article.location,
        "date": article.date.isoformat() if article.date else None, "url": url,
        "related": list(article.related),
    }


def run_search(args: SearchArgs) -> Any:
    """``engine.search`` for validated arguments (shared by the page and the API)."""
    kwargs = args.engine_kwargs()
    params = inspect.signature(engine().search).parameters
    for optional in ("explain", "collapse", "autocorrect"):
        if optional in kwargs and optional not in params:
            del kwargs[optional]  # an older engine: the page shows none of it
    return engine().search(args.q, **kwargs)


def register_api(bp: Blueprint) -> None:
    """Add the API routes to ``bp``."""

    # ArgumentError becomes a JSON 400 through the blueprint's error handler (web.error_page).
    @bp.route("/api/search")
    def api_search() -> Any:
        results = run_search(parse_search_args(request.args))
        return json_response(results.to_dict(source_names()))

    # Two forms, as for the HTML page (searchapp.web.article_url): an id with slashes or dots
    # is normalized away in a path by clients and Werkzeug, never in a query value.
    @bp.route("/api/article/<path:article_id>")
    def api_article(article_id: str) -> Any:
        return _article_json(article_id)

    @bp.route("/api/article")
    def api_article_by_id() -> Any:
        return _article_json(request.args.get("id", ""))

    @bp.route("/api/suggest")
    def api_suggest() -> Any:
        q = request.args.get("q", "")
        if len(q) > MAX_SUGGEST_CHARS:
            raise ArgumentError(f"نص الإكمال أطول من {MAX_SUGGEST_CHARS} حرف", "q",
                                "query_too_long")
        limit = parse_int(request.args.get("limit"), "limit", 8, 1, MAX_SUGGEST_LIMIT)
        words = engine().suggest(q.strip(), limit) if q.strip() else []
        if request.args.get("format") == "opensearch":
            # The OpenSearch suggestions extension: [query, [completions]].
            resp = json_response([q, words], mimetype="application/x-suggestions+json")
        else:
            resp = json_response({"query": q, "suggestions": words})
        resp.headers["Cache-Control"] = "public, max-age=300"
        return resp

    @bp.route("/api/openapi.json")
    def api_openapi() -> Any:
        return json_response(openapi_document(url_for(".search_page").rstrip("/")))

    @bp.route("/opensearch.xml")
    def opensearch() -> Response:
        body = render_template("opensearch.xml", search_url=public_url(".search_page"),
                               suggest_url=public_url(".api_suggest"),
                               self_url=public_url(".opensearch"))
        return Response(body, mimetype="application/opensearchdescription+xml")


def _article_json(article_id: str) -> Any:
    article = engine().get_article(article_id) if article_id else None
    if article is None:
        abort(404)  # the blueprint's handler answers JSON for API endpoints
    return json_response(article_dict(article))


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
