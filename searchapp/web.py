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

from flask import Blueprint, Flask, abort, current_app, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from searchapp import querylang, storage
from searchapp.corpus import Article
from searchapp.snippets import highlight
from searchapp.sources import SOURCE_NAMES_KEY, load_source_names, source_name
from searchapp.web_api import (
    BASE_URL_KEY,
    EXTENSION_KEY,
    NAMES_KEY,
    check_base_url,
    engine,
    error_body,
    json_response,
    register_api,
    run_search,
    source_names,
)
from searchapp.web_args import (
    MAX_PREFIX_CLAUSES,
    SIMILAR_ARTICLES,
    ArgumentError,
    count_phrase,
    format_count,
    format_date,
    parse_search_args,
)

RELATED_LIMIT = 5
#: Completions put in the page's <datalist> (autocomplete without JavaScript).
DATALIST_SUGGESTIONS = 8
SERVER_ERROR = "حدث خطأ في الخادم؛ أعد المحاولة بعد قليل"
NOT_FOUND = "لم نجد ما طلبته؛ ربما تغيّر الرابط أو حُذف المقال"
METHOD_NOT_ALLOWED = "لا يقبل هذا العنوان إلا طلبات القراءة (GET)"
INDEX_UNAVAILABLE = "الفهرس غير متاح حاليًا؛ أعد المحاولة بعد قليل"
INDEX_RETRY_SECONDS = 30
FACET_VALUES_SHOWN = 10
API_ENDPOINTS = {"api_search", "api_suggest", "api_openapi", "api_article",
                 "api_article_by_id"}
#: The endpoint answering every unrouted path under the blueprint's prefix.
UNROUTED = "unrouted"
ERROR_CODES_BY_STATUS = {400: "bad_parameter", 404: "not_found", 405: "method_not_allowed",
                         500: "server_error", 503: "index_unavailable"}
# Snippet fragments are joined with this (searchapp.snippets); split back for the page.
FRAGMENT_SEPARATOR = " … "

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
    the blueprint's ``api/``, whose client expects JSON even though no view matched."""
    endpoint = (request.endpoint or "").rpartition(".")[2]
    if endpoint == UNROUTED:
        rest = (request.view_args or {}).get("rest", "")
        return rest == "api" or rest.startswith("api/")
    if request.url_rule is None:
        return "/api/" in request.path
    return endpoint in API_ENDPOINTS


def error_page(code: int, message: str, error_code: str | None = None,
               field: str | None = None) -> tuple[Any, int]:
    """An Arabic error page (or JSON for the API), never a stack trace.

    The page keeps the reader's query in its search box, so a bad argument (page=0) costs
    one click, not retyping. The JSON carries a stable ``code`` and the offending ``field``.
    """
    if _is_api():
        code_name = error_code or ERROR_CODES_BY_STATUS.get(code, "server_error")
        return json_response(error_body(message, code_name, field), code), code
    q = request.args.get("q", "")[: querylang.MAX_QUERY_CHARS]
    return render_template("error.html", code=code, message=message, q=q), code


def _argument_error(e: ArgumentError) -> tuple[Any, int]:
    return error_page(400, str(e), e.code, e.field)


def _unrouted(rest: str) -> Any:
    """Every path under the blueprint's prefix that no view takes (``/<path:rest>``, any
    method): a 405 when the path is a view's under another method, else a 404, both through
    the blueprint's own handlers (Arabic page, or JSON under ``api/``). Without it a host
    app answers them with Flask's English pages; paths outside the prefix stay the host's."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _ = adapter.match(method="GET")
    except HTTPException:
        endpoint = ""
    if request.method not in ("GET", "HEAD") and endpoint.rpartition(".")[2] != UNROUTED:
        raise MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS"])
    raise NotFound()


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
                               facet_limit=FACET_VALUES_SHOWN,
                               completions=_completions(results.query if results else ""))

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
        names = source_names()
        return {"article_url": article_url,
                "source_name": lambda slug: source_name(slug, names)}

    @bp.route("/help")
    def help_page() -> Any:
        # The date example is the newest article's month, so that it finds something here.
        try:
            newest = engine().newest_date()
        except storage.IndexError_:  # the syntax help needs no index
            newest = None
        return render_template("help.html", max_chars=querylang.MAX_QUERY_CHARS,
                               date_example=f"date:{newest:%Y-%m}" if newest else None,
                               max_clauses=querylang.MAX_CLAUSES,
                               max_prefixes=MAX_PREFIX_CLAUSES)

    register_api(bp)
    # Last, so that every view above wins; any method, so wrong methods reach it too.
    bp.add_url_rule("/<path:rest>", UNROUTED, _unrouted,
                    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])

    @bp.app_template_filter("count")
    def _count(n: int) -> str:
        return format_count(n)

    @bp.app_template_filter("results_count")
    def _results_count(n: int) -> str:
        return count_phrase(n)

    @bp.app_template_filter("similar_count")
    def _similar_count(n: int) -> str:
        return count_phrase(n, SIMILAR_ARTICLES)

    @bp.app_template_filter("fragments")
    def _fragments(snippet: str) -> list[Markup]:
        # Separate elements per fragment, so narrow screens can show only the first ones.
        return [Markup(f) for f in (snippet or "").split(FRAGMENT_SEPARATOR) if f.strip()]

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

    bp.register_error_handler(ArgumentError, _argument_error)
    bp.register_error_handler(404, lambda e: error_page(404, NOT_FOUND))
    bp.register_error_handler(405, _method_not_allowed)
    bp.register_error_handler(500, lambda e: error_page(500, SERVER_ERROR))
    bp.register_error_handler(storage.IndexError_, _index_unavailable)
    bp.after_request(add_security_headers)
    return bp


def _method_not_allowed(e: MethodNotAllowed) -> tuple[Any, int, dict[str, str]]:
    body, code = error_page(405, METHOD_NOT_ALLOWED)
    return body, code, {"Allow": ", ".join(e.valid_methods or ["GET", "HEAD", "OPTIONS"])}


def _completions(q: str) -> list[str]:
    """Completions of the query searched, for the page's <datalist>: autocomplete without
    JavaScript after a search. Bounded (:data:`DATALIST_SUGGESTIONS`); the query itself is
    left out, since offering what is already in the box helps no one."""
    q = q.strip()
    if not q:
        return []
    return [s for s in engine().suggest(q, DATALIST_SUGGESTIONS + 1) if s != q][
        :DATALIST_SUGGESTIONS]


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
             background_swap: bool = True, engine: Any = None) -> None:
    """Mount the search blueprint on ``app`` (under ``url_prefix``) over ``index_dir``.

    ``app.config["SEARCHAPP_BASE_URL"]`` (optional) is the public URL of the application root,
    e.g. ``https://news.example.org``: the only source of absolute URLs (OpenSearch); without
    it they are relative. The request's Host header never reaches a response: redirects that
    Werkzeug builds from it are made relative (:func:`relative_redirects`).

    ``app.config["SEARCHAPP_SOURCE_NAMES"]`` (optional): newspaper names for source slugs, a
    dict or a JSON file path, over the built-in table and the environment's file
    (:mod:`searchapp.sources`).

    Every path under ``url_prefix`` belongs to the blueprint: unknown ones get its Arabic
    404 page (JSON under ``api/``), wrong methods its 405. Mounted without a prefix it owns
    every path the host's own routes do not match.

    ``background_swap`` (on: this is a server): after a reindex, pages keep coming from the
    previous index generation until the new one is prepared (``SearchEngine``).

    ``engine``: the engine to search through (e.g. ``searchapp.cluster.engine(...)`` for a
    sharded index on Ray); default: :func:`searchapp.coordinator.open_engine` of
    ``index_dir`` (one index, or a sharded one searched in this process).
    """
    from searchapp.coordinator import open_engine

    if app.config.get(BASE_URL_KEY):
        check_base_url(app.config[BASE_URL_KEY])
    app.extensions[NAMES_KEY] = load_source_names(app.config.get(SOURCE_NAMES_KEY))
    app.extensions[EXTENSION_KEY] = engine if engine is not None else open_engine(
        index_dir, background_swap=background_swap)
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
             background_swap=app.config.get("BACKGROUND_SWAP", True),
             engine=app.config.get("ENGINE"))
    app.after_request(add_security_headers)
    # Pages outside the blueprint's views (unknown URLs, 405s) get the same Arabic pages.
    app.register_error_handler(404, lambda e: error_page(404, NOT_FOUND))
    app.register_error_handler(405, _method_not_allowed)
    app.register_error_handler(500, lambda e: error_page(500, SERVER_ERROR))
    return app
