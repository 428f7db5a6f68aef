"""The web search box: a Flask blueprint (mountable in any app) and the standalone site.

Views only parse and bound request arguments (:mod:`searchapp.web_args`), then call
:class:`SearchEngine`; the JSON twins live in :mod:`searchapp.web_api`. All text from users and
the corpus reaches HTML through Jinja2's autoescaping; the only markup inserted is the
``<mark>`` of snippets and highlights, built by escaping the text first.

The blueprint carries its own error pages and security headers, so a host app that mounts it
under a prefix gets the same safety as the standalone site without configuring anything.

Article ids come from the corpus and may hold anything (``..``, ``/``, ``?``, ``#``, ``%``,
spaces, Arabic). An id made only of unreserved ASCII characters is linked as
``/article/<id>``; any other id as ``/article?id=<percent-encoded id>``, because browsers,
proxies and Werkzeug normalize paths (``..``, ``.``, ``//``, even ``%2e%2e`` and ``%2F``) but
never a query value. Both routes serve the same page; :func:`article_url` picks the form.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup, escape

from searchapp import querylang, storage
from searchapp.corpus import Article
from searchapp.snippets import highlight
from searchapp.web_api import (
    BASE_URL_KEY,
    EXTENSION_KEY,
    check_base_url,
    engine,
    register_api,
    run_search,
)
from searchapp.web_args import (
    MAX_PREFIX_CLAUSES,
    ArgumentError,
    format_count,
    format_date,
    parse_search_args,
)

RELATED_LIMIT = 5
SERVER_ERROR = "حدث خطأ في الخادم؛ أعد المحاولة بعد قليل"
NOT_FOUND = "الصفحة غير موجودة"
INDEX_UNAVAILABLE = "الفهرس غير متاح حاليًا؛ أعد المحاولة بعد قليل"
INDEX_RETRY_SECONDS = 30
FACET_VALUES_SHOWN = 10
API_ENDPOINTS = {"api_search", "api_suggest", "api_openapi"}

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def resource_dir(name: str) -> str:
    """``templates``/``static`` beside the package (source checkout) or in the install prefix."""
    here = Path(__file__).resolve().parent.parent / name
    if here.is_dir():
        return str(here)
    return os.path.join(sys.prefix, "share", "searchapp", name)


# Ids safe as one path segment everywhere: unreserved ASCII (RFC 3986), not starting with a dot
# (which also rules out the dot segments "." and "..").
_PATH_SAFE_ID = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def article_url(article_id: str, **args: Any) -> str:
    """The link to an article of the current blueprint that gives back exactly ``article_id``.

    ``args`` are added to the query string (``q`` for highlighting); None values are dropped.
    """
    args = {k: v for k, v in args.items() if v is not None}
    if _PATH_SAFE_ID.fullmatch(article_id):
        return url_for(".article_page", article_id=article_id, **args)
    return url_for(".article_by_id", id=article_id, **args)


def _highlighter(q: str) -> Callable[[str], Markup]:
    """Escape text and mark the words of ``q`` in it, as the result snippets do.

    Builds the query the same way the engine does, so the article page marks exactly the words
    (stems, prefixes) that made it match. With no query it only escapes.
    """
    words = None
    if q.strip():
        words = engine().query_words(q)
    if not words or not (words.stems or words.surfaces):
        return lambda text: escape(text)
    return lambda text: Markup(highlight(text, words))


def _related(article: Article) -> tuple[list[Any], list[Article]]:
    """Teasers the article's own page linked to, then other similar articles (engine).

    ``more_like_this`` lists the recorded teasers first; they are shown in their own list
    (the newspaper chose them), so they are removed from the similar ones.
    """
    linked = [a for a in (engine().get_article(i) for i in article.related[:RELATED_LIMIT * 2])
              if a is not None and a.id != article.id]
    seen = {article.id, *(a.id for a in linked)}
    similar = [h for h in engine().more_like_this(article.id, RELATED_LIMIT + len(seen))
               if h.id not in seen][:RELATED_LIMIT]
    return similar, linked


def _is_api() -> bool:
    """Whether the error goes to a program: an API view, or an unrouted URL (404/405) under
    ``/api/``, whose client expects JSON even though no view matched."""
    if request.url_rule is None:
        return "/api/" in request.path
    return (request.endpoint or "").rpartition(".")[2] in API_ENDPOINTS


def error_page(code: int, message: str) -> tuple[Any, int]:
    """An Arabic error page (or JSON for the API), never a stack trace."""
    if _is_api():
        return jsonify(error=message), code
    return render_template("error.html", code=code, message=message), code


def add_security_headers(response: Any) -> Any:
    """Set the headers unless the host app already chose its own."""
    for k, v in SECURITY_HEADERS.items():
        response.headers.setdefault(k, v)
    return response


def create_blueprint(name: str = "searchapp") -> Blueprint:
    """The search pages and API; register it with :func:`init_app` or ``create_app``."""
    bp = Blueprint(name, __name__, template_folder=resource_dir("templates"),
                   static_folder=resource_dir("static"), static_url_path="/static")

    @bp.route("/")
    def search_page() -> Any:
        args = parse_search_args(request.args)
        results = run_search(args) if args.active else None
        return render_template("search.html", args=args, results=results,
                               facet_limit=FACET_VALUES_SHOWN)

    @bp.route("/article/<path:article_id>")
    def article_page(article_id: str) -> Any:
        return _article(article_id)

    @bp.route("/article")
    def article_by_id() -> Any:
        article_id = request.args.get("id")
        if not article_id:
            abort(404)
        return _article(article_id)

    @bp.context_processor
    def _links() -> dict[str, Any]:
        return {"article_url": article_url}

    @bp.route("/help")
    def help_page() -> Any:
        return render_template("help.html", max_chars=querylang.MAX_QUERY_CHARS,
                               max_clauses=querylang.MAX_CLAUSES,
                               max_prefixes=MAX_PREFIX_CLAUSES)

    register_api(bp)

    @bp.app_template_filter("count")
    def _count(n: int) -> str:
        return format_count(n)

    @bp.app_template_filter("arabic_date")
    def _date(d: Any) -> str:
        return format_date(d)

    @bp.app_template_filter("isolate")
    def _isolate(text: str) -> str:
        # For plain-text contexts (<title>) where <bdi> cannot be used: FIRST STRONG ISOLATE ..
        # POP DIRECTIONAL ISOLATE keep corpus text (an unpaired U+202E) from reordering the rest.
        return "\u2068" + (text or "") + "\u2069"

    @bp.app_template_filter("http_url")
    def _http_url(url: str) -> str:
        # Corpus URLs are links to the original article; anything but http(s) (javascript:,
        # data:) is dropped rather than escaped, since escaping does not defuse a scheme.
        return url if urlsplit(url or "").scheme in ("http", "https") else ""

    bp.register_error_handler(ArgumentError, lambda e: error_page(400, str(e)))
    bp.register_error_handler(404, lambda e: error_page(404, NOT_FOUND))
    bp.register_error_handler(500, lambda e: error_page(500, SERVER_ERROR))
    bp.register_error_handler(storage.IndexError_, _index_unavailable)
    bp.after_request(add_security_headers)
    return bp


def _article(article_id: str) -> Any:
    article = engine().get_article(article_id)
    if article is None:
        abort(404)
    q = request.args.get("q", "")[: querylang.MAX_QUERY_CHARS]
    similar, linked = _related(article)
    return render_template("article.html", article=article, q=q, hl=_highlighter(q),
                           similar=similar, linked=linked)


def _index_unavailable(e: Exception) -> tuple[Any, int, dict[str, str]]:
    """503 for any index problem (missing, removed, locked, wrong version, corrupt).

    The reader gets the Arabic page (or JSON error) and may retry; the operator gets the
    engine's message, which says what to run. ``no-store``: a cache must not keep the outage.
    """
    current_app.logger.error("index unavailable (%s): %s", type(e).__name__, e)
    body, code = error_page(503, INDEX_UNAVAILABLE)
    return body, code, {"Retry-After": str(INDEX_RETRY_SECONDS), "Cache-Control": "no-store"}


def relative_redirects(response: Any) -> Any:
    """Make a redirect to the request's own host relative (``/search/`` for ``/search``).

    Werkzeug's slash and merge-slashes redirects are absolute URLs built from the Host header,
    which the client chooses; a cached 308 would then send every reader to that host. The
    relative form (RFC 9110, 10.2.2) names the same resource for an honest client.
    """
    location = response.headers.get("Location")
    if location and 300 <= response.status_code < 400:
        parts = urlsplit(location)
        if parts.netloc and parts.netloc.lower() == request.host.lower():
            response.headers["Location"] = urlunsplit(("", "", parts.path or "/", parts.query,
                                                       parts.fragment))
    return response


def init_app(app: Flask, index_dir: str | os.PathLike, url_prefix: str | None = None,
             background_swap: bool = True) -> None:
    """Mount the search blueprint on ``app`` (under ``url_prefix``) over ``index_dir``.

    ``app.config["SEARCHAPP_BASE_URL"]`` (optional) is the public URL of the application root,
    e.g. ``https://news.example.org``: the only source of absolute URLs (OpenSearch); without
    it they are relative. The request's Host header never reaches a response: redirects that
    Werkzeug builds from it are made relative (:func:`relative_redirects`).

    ``background_swap`` (on: this is a server): after a reindex, pages keep coming from the
    previous index generation until the new one is prepared (``SearchEngine``).
    """
    from searchapp.engine import SearchEngine

    if app.config.get(BASE_URL_KEY):
        check_base_url(app.config[BASE_URL_KEY])
    app.extensions[EXTENSION_KEY] = SearchEngine(index_dir, background_swap=background_swap)
    app.register_blueprint(create_blueprint(), url_prefix=url_prefix)
    app.after_request(relative_redirects)


def create_app(test_config: dict | None = None) -> Flask:
    """The standalone search site (``searchapp serve``).

    Configured from the environment: ``SEARCHAPP_INDEX`` (index directory) and
    ``SEARCHAPP_BASE_URL`` (public URL of the site, see :func:`init_app`), then ``test_config``.
    """
    app = Flask(__name__, template_folder=resource_dir("templates"), static_folder=None)
    app.config.from_mapping(INDEX_DIR=os.environ.get("SEARCHAPP_INDEX", "index"),
                            **{BASE_URL_KEY: os.environ.get(BASE_URL_KEY, "")})
    if test_config:
        app.config.from_mapping(test_config)
    init_app(app, app.config["INDEX_DIR"],
             background_swap=app.config.get("BACKGROUND_SWAP", True))
    app.after_request(add_security_headers)
    # Pages outside the blueprint's views (unknown URLs, 405s) get the same Arabic pages.
    app.register_error_handler(404, lambda e: error_page(404, NOT_FOUND))
    app.register_error_handler(405, lambda e: error_page(405, "طريقة الطلب غير مسموحة"))
    app.register_error_handler(500, lambda e: error_page(500, SERVER_ERROR))
    return app
