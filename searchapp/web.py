"""The web search box: a Flask blueprint (mountable in any app) and the standalone site.

Views only parse and bound request arguments (:mod:`searchapp.web_args`), then call
:class:`SearchEngine`; the JSON twins live in :mod:`searchapp.web_api`. All text from users and
the corpus reaches HTML through Jinja2's autoescaping; the only markup inserted is the
``<mark>`` of snippets and highlights, built by escaping the text first.

The blueprint carries its own error pages and security headers, so a host app that mounts it
under a prefix gets the same safety as the standalone site without configuring anything.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, jsonify, render_template, request
from markupsafe import Markup, escape

from searchapp import querylang, storage
from searchapp.corpus import Article
from searchapp.snippets import highlight
from searchapp.web_api import EXTENSION_KEY, engine, register_api, run_search
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
        article = engine().get_article(article_id)
        if article is None:
            abort(404)
        q = request.args.get("q", "")[: querylang.MAX_QUERY_CHARS]
        similar, linked = _related(article)
        return render_template("article.html", article=article, q=q, hl=_highlighter(q),
                               similar=similar, linked=linked)

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


def _index_unavailable(e: Exception) -> tuple[Any, int]:
    from flask import current_app

    current_app.logger.error("index problem: %s", e)
    return error_page(503, "الفهرس غير متاح حاليًا")


def init_app(app: Flask, index_dir: str | os.PathLike, url_prefix: str | None = None) -> None:
    """Mount the search blueprint on ``app`` (under ``url_prefix``) over ``index_dir``."""
    from searchapp.engine import SearchEngine

    app.extensions[EXTENSION_KEY] = SearchEngine(index_dir)
    app.register_blueprint(create_blueprint(), url_prefix=url_prefix)


def create_app(test_config: dict | None = None) -> Flask:
    """The standalone search site (``searchapp serve``)."""
    app = Flask(__name__, template_folder=resource_dir("templates"), static_folder=None)
    app.config.from_mapping(INDEX_DIR=os.environ.get("SEARCHAPP_INDEX", "index"))
    if test_config:
        app.config.from_mapping(test_config)
    init_app(app, app.config["INDEX_DIR"])
    app.after_request(add_security_headers)
    # Pages outside the blueprint's views (unknown URLs, 405s) get the same Arabic pages.
    app.register_error_handler(404, lambda e: error_page(404, NOT_FOUND))
    app.register_error_handler(405, lambda e: error_page(405, "طريقة الطلب غير مسموحة"))
    app.register_error_handler(500, lambda e: error_page(500, SERVER_ERROR))
    return app
