"""The web search box: a Flask blueprint (mountable in any app) and the standalone site.

Views only parse and bound request arguments, then call :class:`SearchEngine`; every page has
a JSON twin under ``/api/``. All text from users and the corpus reaches HTML through Jinja2's
autoescaping; the only markup inserted is the ``<mark>`` of snippets, built by escaping first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request

from searchapp import querylang, storage
from searchapp.engine import MAX_PER_PAGE, SORTS, SearchEngine

MAX_PAGE = 1000
EXTENSION_KEY = "searchapp"


def resource_dir(name: str) -> str:
    """``templates``/``static`` beside the package (source checkout) or in the install prefix."""
    here = Path(__file__).resolve().parent.parent / name
    if here.is_dir():
        return str(here)
    return os.path.join(sys.prefix, "share", "searchapp", name)


class BadRequest(ValueError):
    """A request argument out of bounds; the message is shown to the reader."""


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"المعامل {name} يجب أن يكون عددًا صحيحًا") from None
    if not lo <= value <= hi:
        raise BadRequest(f"المعامل {name} يجب أن يكون بين {lo} و{hi}")
    return value


def _search_args() -> dict[str, Any]:
    q = request.args.get("q", "")
    if len(q) > querylang.MAX_QUERY_CHARS:
        raise BadRequest(f"نص البحث أطول من {querylang.MAX_QUERY_CHARS} حرف")
    sort = request.args.get("sort", "relevance")
    if sort not in SORTS:
        raise BadRequest("قيمة الترتيب غير معروفة")
    filters = {k: request.args[k] for k in ("source", "section", "author") if request.args.get(k)}
    return {
        "q": q.strip(),
        "page": _int_arg("page", 1, 1, MAX_PAGE),
        "per_page": _int_arg("per_page", 10, 1, MAX_PER_PAGE),
        "sort": sort,
        "filters": filters,
    }


def _engine() -> SearchEngine:
    return current_app.extensions[EXTENSION_KEY]


def create_blueprint(name: str = "searchapp") -> Blueprint:
    """The search pages and API; register it with :func:`init_app` or ``create_app``."""
    bp = Blueprint(name, __name__, template_folder=resource_dir("templates"),
                   static_folder=resource_dir("static"), static_url_path="/static")

    @bp.route("/")
    def search_page():
        try:
            args = _search_args()
        except BadRequest as e:
            return render_template("error.html", message=str(e), code=400), 400
        results = _engine().search(**args) if args["q"] or args["filters"] else None
        return render_template("search.html", args=args, results=results)

    @bp.route("/api/search")
    def api_search():
        try:
            args = _search_args()
        except BadRequest as e:
            return jsonify(error=str(e)), 400
        return jsonify(_engine().search(**args).to_dict())

    @bp.route("/article/<path:article_id>")
    def article_page(article_id: str):
        article = _engine().get_article(article_id)
        if article is None:
            abort(404)
        return render_template("article.html", article=article, q=request.args.get("q", "")[
            : querylang.MAX_QUERY_CHARS])

    return bp


def init_app(app: Flask, index_dir: str | os.PathLike, url_prefix: str | None = None) -> None:
    """Mount the search blueprint on ``app`` (under ``url_prefix``) over ``index_dir``."""
    app.extensions[EXTENSION_KEY] = SearchEngine(index_dir)
    app.register_blueprint(create_blueprint(), url_prefix=url_prefix)


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(test_config: dict | None = None) -> Flask:
    """The standalone search site (``searchapp serve``)."""
    app = Flask(__name__, template_folder=resource_dir("templates"), static_folder=None)
    app.config.from_mapping(INDEX_DIR=os.environ.get("SEARCHAPP_INDEX", "index"))
    if test_config:
        app.config.from_mapping(test_config)
    init_app(app, app.config["INDEX_DIR"])

    @app.after_request
    def security_headers(response):
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    @app.errorhandler(404)
    def not_found(_e):
        return render_template("error.html", code=404, message="الصفحة غير موجودة"), 404

    @app.errorhandler(500)
    def server_error(_e):
        return render_template("error.html", code=500, message="حدث خطأ في الخادم"), 500

    @app.errorhandler(storage.IndexError_)
    def index_error(e):
        app.logger.error("index problem: %s", e)
        return render_template("error.html", code=503, message="الفهرس غير متاح حاليًا"), 503

    return app
