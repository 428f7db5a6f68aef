"""The JSON API, OpenAPI and OpenSearch documents, security headers, bounds, and embedding."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest

from searchapp import querylang
from searchapp.web import create_app
from tests.test_web_pages import build_news_index

ROOT = Path(__file__).resolve().parent.parent
# The embedding example as proposed for the README; the README's own block is run too.
EMBEDDING_EXAMPLE = '''\
from flask import Flask
from searchapp.web import init_app

app = Flask(__name__)

@app.route("/")
def home():
    return '<a href="/search/">ابحث في الأرشيف</a>'

# The search site under /search/: pages, /search/api/search, /search/api/suggest, ...
init_app(app, "path/to/index", url_prefix="/search")
'''


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return build_news_index(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def api(index_dir):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


def test_api_search_shape_with_filters_and_year(api):
    data = api.get("/api/search?q=" + quote("الاقتصاد") + "&source=alriyadh&year=2016").get_json()
    assert {"total", "page", "per_page", "hits", "facets", "suggestion"} <= data.keys()
    assert data["total"] == 12 and all(h["source"] == "alriyadh" for h in data["hits"])
    assert all(h["date"].startswith("2016") for h in data["hits"])
    assert data["facets"]["year"] == [{"value": "2016", "count": 12, "name": "2016"}]


def test_api_suggest_completes_and_has_opensearch_form(api):
    data = api.get("/api/suggest?q=" + quote("بوت")).get_json()
    assert data["query"] == "بوت" and "بوتين" in data["suggestions"]
    resp = api.get("/api/suggest?format=opensearch&q=" + quote("بوت"))
    assert resp.mimetype == "application/x-suggestions+json"
    assert resp.get_json()[0] == "بوت" and "بوتين" in resp.get_json()[1]
    assert api.get("/api/suggest?q=").get_json()["suggestions"] == []


@pytest.mark.parametrize("query", ["q=" + "ب" * 101, "q=x&limit=0", "q=x&limit=abc",
                                   "q=x&limit=21"])
def test_api_suggest_bounds(api, query):
    resp = api.get("/api/suggest?" + query)
    assert resp.status_code == 400 and resp.get_json()["error"]


def test_openapi_documents_search_and_suggest(api):
    doc = api.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    search = doc["paths"]["/api/search"]["get"]
    names = {p["name"] for p in search["parameters"]}
    assert {"q", "page", "per_page", "sort", "source", "section", "year"} <= names
    q = next(p for p in search["parameters"] if p["name"] == "q")
    assert q["schema"]["maxLength"] == querylang.MAX_QUERY_CHARS
    assert {"200", "400"} <= search["responses"].keys()
    assert "/api/suggest" in doc["paths"]
    schema = doc["components"]["schemas"]["SearchResults"]
    assert set(schema["required"]) <= set(schema["properties"])


def test_opensearch_description(api):
    resp = api.get("/opensearch.xml")
    assert resp.mimetype == "application/opensearchdescription+xml"
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    root = ET.fromstring(resp.data)
    assert root.find("os:ShortName", ns).text
    html = root.find("os:Url[@type='text/html']", ns).get("template")
    # No SEARCHAPP_BASE_URL: relative, never built from the Host header (test_web_hostile).
    assert html == "/?q={searchTerms}"


@pytest.mark.parametrize("url", ["/", "/?q=x", "/help", "/article/putin", "/no-such",
                                 "/api/search?q=x", "/api/suggest?q=x", "/opensearch.xml",
                                 "/static/style.css", "/static/autocomplete.js"])
def test_security_headers_everywhere(api, url):
    h = api.get(url).headers
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("query", [
    "page=1001", "per_page=101", "per_page=0", "page=200&per_page=100", "year=abc",
    "year=3000", "date_from=2025-13-01", "date_from=2025-02-01&date_to=2025-01-01",
    "source=" + "x" * 201, "sort=oldest2",
])
def test_bounds_are_refused_with_a_clear_message(api, query):
    page = api.get("/?q=x&" + query)
    assert page.status_code == 400
    assert 'class="error-message"' in page.get_data(as_text=True)
    err = api.get("/api/search?q=x&" + query).get_json()["error"]
    assert re.search("[\u0600-\u06ff]", err)  # an Arabic sentence, not a traceback


def test_query_length_limit_matches_the_parser():
    assert querylang.MAX_QUERY_CHARS == 1000 and querylang.MAX_CLAUSES == 64
    parsed = querylang.parse(" ".join(f"كلمة{i}" for i in range(500)))
    assert len(parsed.clauses) <= querylang.MAX_CLAUSES


@pytest.mark.parametrize("q", [
    "*", "**", "-*", '"', "ا*", "اقت* الس* سع*", " OR ".join("اقتصاد" for _ in range(60)),
    " ".join("ب" for _ in range(500)), " ".join(f"كلمة{i}" for i in range(150))[:1000],
])
def test_expensive_patterns_are_bounded(api, q):
    assert len(q) <= querylang.MAX_QUERY_CHARS
    started = time.perf_counter()
    for url in ("/?q=" + quote(q), "/api/search?q=" + quote(q)):
        assert api.get(url).status_code == 200
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("q", [
    " OR ".join("اقتصاد" for _ in range(200))[:1000],  # 100+ OR terms within 1000 chars
    " OR ".join(f"ق{i}*" for i in range(200))[:1000],  # OR-ed prefixes: minutes on 30k docs
    "اقت* الس* سع* نف*",  # each prefix expands to 50 terms per field
])
def test_unbounded_patterns_are_refused_with_a_message(api, q):
    assert len(q) <= querylang.MAX_QUERY_CHARS
    page = api.get("/?q=" + quote(q))
    assert page.status_code == 400 and "error-message" in page.get_data(as_text=True)
    err = api.get("/api/search?q=" + quote(q)).get_json()["error"]
    assert str(querylang.MAX_CLAUSES) in err or "*" in err


def test_lone_star_matches_nothing_instead_of_everything(api):
    assert api.get("/api/search?q=*").get_json()["total"] == 0


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    return next(b for b in blocks if "init_app(" in b)


@pytest.mark.parametrize("source", ["readme", "proposed"])
def test_embedding_example_runs(index_dir, source):
    code = _readme_example() if source == "readme" else EMBEDDING_EXAMPLE
    assert '"path/to/index"' in code
    namespace: dict = {"__name__": "host_app"}
    exec(code.replace('"path/to/index"', repr(str(index_dir))), namespace)  # the doc's code
    client = namespace["app"].test_client()
    resp = client.get("/search/?q=" + quote("بوتين"))
    assert resp.status_code == 200 and "Content-Security-Policy" in resp.headers
    body = resp.get_data(as_text=True)
    assert 'href="/search/article/putin?q=' in body
    assert 'href="/search/static/style.css"' in body
    assert client.get("/search/api/search?q=x").is_json
    assert client.get("/search/article/nope").status_code == 404
    assert client.get("/search/opensearch.xml").status_code == 200
    api_doc = client.get("/search/api/openapi.json").get_json()
    assert api_doc["servers"] == [{"url": "/search"}]
