"""The JSON API as integrators meet it (issue 13, points 17 and 18): UTF-8 bodies, one
serializer shared with ``searchapp search --json``, JSON errors with codes, ``/api/article``,
an OpenAPI document that matches real responses, and the blueprint inside a host app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from searchapp import reindex
from searchapp.cli import main
from searchapp.web import create_app, init_app
from tests.test_web_readers import reader_records

SLASH_ID = "2015/07/a..b c"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("json")
    recs = [*reader_records(), {"id": SLASH_ID, "title": "معرّف فيه شرطات مائلة",
                                "body": ["نص قصير عن المعرف."], "source": "okaz"}]
    src = root / "news.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), "utf-8")
    assert reindex([src], root / "index").errors == []
    return root / "index"


@pytest.fixture(scope="module")
def api(index_dir):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


@pytest.fixture(scope="module")
def host(index_dir):
    """A host app with its own pages, mounting the search site at /news."""
    app = Flask("host")

    @app.route("/")
    def home() -> str:
        return "host home"

    init_app(app, index_dir, url_prefix="/news")
    return app.test_client()


# -- 17. UTF-8, one serializer ------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/search?q=" + quote("بوتين"), "/api/suggest?q=" + quote("بو"),
                                 "/api/openapi.json", "/api/article/putin", "/api/nope",
                                 "/api/search?page=0"])
def test_api_bodies_are_readable_utf8(api, url):
    resp = api.get(url)
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    body = resp.get_data()
    assert b"\\u06" not in body and b"\\u062" not in body
    json.loads(body.decode("utf-8"))


def test_cli_json_is_byte_identical_to_the_api(api, index_dir, runner, monkeypatch):
    monkeypatch.setattr("searchapp.engine.time.perf_counter", lambda: 0.0)  # same "seconds"
    for q in ("بوتين", "خطة تطوير محطات الكهرباء", "بوتبن"):
        body = api.get("/api/search?q=" + quote(q)).get_data()
        out = runner.invoke(main, ["search", q, "--json", "--index", str(index_dir)])
        assert out.exit_code == 0, out.output
        assert out.stdout_bytes == body
    keys = list(json.loads(body))
    assert keys[:4] == ["query", "total", "page", "per_page"]  # dataclass order, not sorted


# -- 17. errors --------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "status", "code", "field"), [
    ("/api/search?q=x&page=0", 400, "bad_parameter", "page"),
    ("/api/search?q=x&per_page=1000", 400, "bad_parameter", "per_page"),
    ("/api/search?q=x&date_from=2025-13-01", 400, "bad_parameter", "date_from"),
    ("/api/search?q=x&sort=oldest2", 400, "bad_parameter", "sort"),
    ("/api/search?q=" + "ب" * 1001, 400, "query_too_long", "q"),
    ("/api/search?q=" + quote("اقت* الس* سع* نف*"), 400, "query_too_complex", "q"),
    ("/api/suggest?q=x&limit=0", 400, "bad_parameter", "limit"),
    ("/api/nope", 404, "not_found", None),
    ("/api/article/no-such-id", 404, "not_found", None),
])
def test_errors_carry_a_code_and_the_field(api, url, status, code, field):
    resp = api.get(url)
    assert resp.status_code == status
    data = resp.get_json()
    assert data["code"] == code and data["field"] == field and data["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_wrong_methods_are_a_json_405(api, method):
    resp = api.open("/api/search?q=x", method=method)
    assert resp.status_code == 405 and resp.get_json()["code"] == "method_not_allowed"
    assert "GET" in resp.headers["Allow"]


# -- 17. /api/article ---------------------------------------------------------------------------

ARTICLE_KEYS = ["id", "kind", "title", "subtitle", "paragraphs", "captions", "source",
                "source_name", "section", "author", "location", "date", "url", "related"]


def test_article_json(api):
    data = api.get("/api/article/capt").get_json()
    assert list(data) == ARTICLE_KEYS
    assert data["source"] == "aawsat" and data["source_name"] == "الشرق الأوسط"
    assert data["url"] == "https://aawsat.com/home/article/1"
    assert len(data["captions"]) == 4 and data["paragraphs"][0].startswith("افتتح")
    assert data["date"].startswith("2015-07-21")
    assert api.get("/api/article/evil").get_json()["url"] == ""  # javascript: dropped


def test_article_json_for_ids_with_slashes_and_dots(api):
    assert api.get("/api/article?id=" + quote(SLASH_ID, safe="")).get_json()["id"] == SLASH_ID
    assert api.get("/api/article?id=").status_code == 404


# -- 17. the OpenAPI document matches the responses ---------------------------------------------

def deref(doc: dict, schema: dict) -> dict:
    if "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return deref(doc, node)
    return schema


def check(doc: dict, schema: dict, value: Any, where: str) -> None:
    """Every returned key documented, every required key returned, types as documented."""
    schema = deref(doc, schema)
    if value is None:
        assert schema.get("nullable"), f"{where}: null but not nullable"
        return
    kind = schema.get("type")
    expected = {"object": dict, "array": list, "string": str, "integer": int,
                "number": (int, float), "boolean": bool}.get(kind)
    if expected:
        assert isinstance(value, expected), f"{where}: {type(value).__name__} is not {kind}"
    if kind == "object":
        props = schema.get("properties", {})
        assert not set(value) - set(props), f"{where}: undocumented {set(value) - set(props)}"
        assert not set(schema.get("required", [])) - set(value), f"{where}: missing keys"
        for k, v in value.items():
            check(doc, props[k], v, f"{where}.{k}")
    elif kind == "array":
        for i, v in enumerate(value):
            check(doc, schema["items"], v, f"{where}[{i}]")
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"


def response_schema(doc: dict, path: str, status: str) -> dict:
    return doc["paths"][path]["get"]["responses"][status]["content"]["application/json"][
        "schema"]


@pytest.mark.parametrize(("path", "url", "status"), [
    ("/api/search", "/api/search?q=" + quote("خطة تطوير محطات الكهرباء"), "200"),
    ("/api/search", "/api/search?explain=1&q=" + quote("بوتين"), "200"),
    ("/api/search", "/api/search?q=" + quote("بوتبن"), "200"),
    ("/api/search", "/api/search?correct=0&q=" + quote("بوتن"), "200"),
    ("/api/search", "/api/search?page=0", "400"),
    ("/api/suggest", "/api/suggest?q=" + quote("بو"), "200"),
    ("/api/article/{article_id}", "/api/article/capt", "200"),
    ("/api/article/{article_id}", "/api/article/none", "404"),
])
def test_responses_match_the_openapi_document(api, path, url, status):
    doc = api.get("/api/openapi.json").get_json()
    resp = api.get(url)
    assert str(resp.status_code) == status
    check(doc, response_schema(doc, path, status), resp.get_json(), url)


def test_openapi_lists_only_existing_facets_and_the_new_parameters(api):
    doc = api.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    facets = schemas["SearchResults"]["properties"]["facets"]["properties"]
    returned = api.get("/api/search?q=" + quote("الاقتصاد")).get_json()["facets"]
    assert set(facets) == set(returned) == {"source", "section", "year"}
    params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert {"collapse", "correct", "explain"} <= params.keys()
    assert "facet" not in params["author"]["description"].replace("no author facet", "")
    assert {"explain", "similar", "source_name"} <= schemas["Hit"]["properties"].keys()
    assert "corrected_from" in schemas["SearchResults"]["properties"]
    assert "/api/article/{article_id}" in doc["paths"]


# -- 18. the blueprint inside a host app --------------------------------------------------------

def test_unknown_paths_under_the_prefix_get_the_blueprint_pages(host):
    page = host.get("/news/no-such-page")
    assert page.status_code == 404 and "text/html" in page.content_type
    body = page.get_data(as_text=True)
    assert 'lang="ar"' in body and "error-message" in body
    api = host.get("/news/api/no-such")
    assert api.status_code == 404 and api.get_json()["code"] == "not_found"
    wrong = host.post("/news/api/search?q=x")
    assert wrong.status_code == 405 and wrong.get_json()["code"] == "method_not_allowed"
    wrong_page = host.post("/news/help")
    assert wrong_page.status_code == 405 and 'lang="ar"' in wrong_page.get_data(as_text=True)


def test_paths_outside_the_prefix_stay_the_hosts(host):
    assert host.get("/").get_data(as_text=True) == "host home"
    outside = host.get("/elsewhere")
    assert outside.status_code == 404 and 'lang="ar"' not in outside.get_data(as_text=True)
    assert host.get("/news/api/search?q=" + quote("بوتين")).get_json()["hits"]
    assert host.get("/news/article/putin").status_code == 200
    assert host.get("/news/api/article/putin").get_json()["id"] == "putin"
