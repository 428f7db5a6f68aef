"""Hostile requests and hostile corpus text: every answer is a page or a 4xx/503, never a 500.

Why a file of its own: these tests are about the classes of input that reached a traceback
(dates past 9999, Unicode digits, 5,000-digit numbers, a Host header copied into a document, an
index removed under a running server, article ids that are not path segments, bidi controls in
titles), each tested over every endpoint rather than one example.
"""

from __future__ import annotations

import logging
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from searchapp import reindex, storage
from searchapp.check import IndexCorrupt
from searchapp.web import create_app, init_app
from searchapp.web_args import MAX_YEAR, MIN_YEAR, ArgumentError, parse_int
from tests.conftest import write_jsonl
from tests.test_web_pages import build_news_index

ARABIC = re.compile("[\u0600-\u06ff]")
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
EVIL_HOST = "evil.example"


@pytest.fixture(scope="module")
def news_dir(tmp_path_factory) -> Path:
    return build_news_index(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def client(news_dir):
    return create_app({"TESTING": True, "INDEX_DIR": str(news_dir)}).test_client()


def soup(resp) -> BeautifulSoup:
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def assert_arabic_400(client, url: str) -> None:
    """The page says why in Arabic; so does the JSON of an API URL."""
    resp = client.get(url)
    assert resp.status_code == 400, (url, resp.status_code)
    if "/api/" in url:
        assert ARABIC.search(resp.get_json()["error"])
    else:
        assert ARABIC.search(soup(resp).select_one(".error-message").get_text())


# -- 1. dates outside MIN_YEAR..MAX_YEAR ---------------------------------------------------------

BAD_DATES = ["9999-12-31", "0001-01-01", f"{MIN_YEAR - 1}-12-31", f"{MAX_YEAR + 1}-01-01",
             "20250307", "2025-W10-1", "\u0662\u0660\u0662\u0665-03-07", "2025-3-7", "+2025-03-07"]


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("path", ["/", "/api/search"])
def test_dates_out_of_range_or_form_are_an_arabic_400(client, path, name, value):
    assert_arabic_400(client, f"{path}?q=x&{name}={quote(value)}")


@pytest.mark.parametrize("path", ["/", "/api/search"])
def test_the_bounds_themselves_are_accepted(client, path):
    url = f"{path}?q=x&date_from={MIN_YEAR}-01-01&date_to={MAX_YEAR}-12-31"
    assert client.get(url).status_code == 200


# -- 2. one strict integer parser --------------------------------------------------------------

BAD_INTS = ["\u00b2", "\u0661\u0662", "\u06f3", "\uff11", "9" * 5000, "1" * 10, "1e3", "+1",
            "1_0", "-1", "0x1", "1.0", "\u0661"]
INT_ARGS = [("/?q=x&", "page"), ("/?q=x&", "per_page"), ("/?q=x&", "year"),
            ("/api/search?q=x&", "page"), ("/api/search?q=x&", "per_page"),
            ("/api/search?q=x&", "year"), ("/api/suggest?q=x&", "limit")]


@pytest.mark.parametrize("value", BAD_INTS, ids=lambda v: v if len(v) < 12 else f"{len(v)}digits")
@pytest.mark.parametrize(("prefix", "name"), INT_ARGS)
def test_every_integer_argument_is_ascii_digits_bounded(client, prefix, name, value):
    assert_arabic_400(client, f"{prefix}{name}={quote(value)}")


@pytest.mark.parametrize(("raw", "expected"), [(None, 7), ("", 7), ("3", 3), (" 10 ", 10),
                                               ("0010", 10)])
def test_parse_int_accepts_plain_ascii_numbers(raw, expected):
    assert parse_int(raw, "n", 7, 1, 10) == expected


@pytest.mark.parametrize("raw", [*BAD_INTS, "0", "11", "1 0", "1\n"])
def test_parse_int_message_names_the_argument_and_range(raw):
    with pytest.raises(ArgumentError, match=r"n .*1 و10"):
        parse_int(raw, "n", 7, 1, 10)


# -- 3. index removed or damaged under a running server ------------------------------------------

INDEX_URLS = ["/?q=" + quote("الاقتصاد"), "/api/search?q=x", "/article/putin",
              "/article/putin?q=" + quote("بوتين"), "/article?id=putin",
              "/api/suggest?q=" + quote("بو")]


def assert_503(resp, url: str) -> None:
    body = resp.get_data(as_text=True)
    assert resp.status_code == 503, (url, resp.status_code, body[:300])
    assert "Traceback" not in body and resp.headers["Retry-After"]
    assert resp.headers["Cache-Control"] == "no-store"
    if "/api/" in url:
        assert ARABIC.search(resp.get_json()["error"])
    else:
        assert ARABIC.search(soup(resp).select_one(".error-message").get_text())


@pytest.mark.parametrize("testing", [True, False])
def test_index_directory_removed_under_a_running_server(tmp_path, caplog, testing):
    index_dir = build_news_index(tmp_path)
    client = create_app({"TESTING": testing, "INDEX_DIR": str(index_dir)}).test_client()
    for url in INDEX_URLS:  # warm every cache: searcher, suggester, doc table
        assert client.get(url).status_code == 200, url
    shutil.rmtree(index_dir)
    with caplog.at_level(logging.ERROR):
        for url in INDEX_URLS:
            assert_503(client.get(url), url)
    assert "index" in caplog.text.lower()
    assert client.get("/help").status_code == 200  # pages without the index still work


# (URL, engine method that fails while serving it)
FAILING = [("/?q=x", "search"), ("/api/search?q=x", "search"), ("/article/putin", "get_article"),
           ("/article/putin", "more_like_this"), ("/article/putin?q=x", "query_words"),
           ("/article?id=putin", "get_article"), ("/api/suggest?q=x", "suggest")]


@pytest.mark.parametrize("error", [IndexCorrupt, storage.IndexMissing, storage.IndexLocked,
                                   storage.IndexVersionError])
@pytest.mark.parametrize(("url", "method"), FAILING)
def test_any_index_error_from_any_view_is_a_logged_503(news_dir, monkeypatch, caplog, url,
                                                       method, error):
    app = create_app({"INDEX_DIR": str(news_dir)})  # not TESTING: nothing propagates

    def broken(*_a, **_k):
        raise error(f"damaged segment in {news_dir}")

    monkeypatch.setattr(app.extensions["searchapp"], method, broken)
    with caplog.at_level(logging.ERROR):
        assert_503(app.test_client().get(url), url)
    assert "damaged segment" in caplog.text


# -- 4. the Host header never reaches a response ------------------------------------------------

HOST_URLS = ["/", "/?q=x", "/help", "/article/putin", "/article?id=putin", "/api/search?q=x",
             "/api/suggest?q=x", "/api/openapi.json", "/opensearch.xml", "/no-such",
             "/help/", "/static/style.css"]


@pytest.mark.parametrize("url", HOST_URLS)
def test_hostile_host_header_is_not_reflected(client, url):
    resp = client.get(url, headers={"Host": EVIL_HOST})
    assert resp.status_code < 500
    assert EVIL_HOST not in resp.get_data(as_text=True)
    assert all(EVIL_HOST not in v for _, v in resp.headers.items())


def opensearch_templates(resp) -> dict[str, str]:
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    return {u.get("type"): u.get("template")
            for u in ET.fromstring(resp.data).findall("os:Url", ns)}


def test_opensearch_urls_are_relative_without_a_base_url(client):
    urls = opensearch_templates(client.get("/opensearch.xml", headers={"Host": EVIL_HOST}))
    assert urls["text/html"] == "/?q={searchTerms}"
    assert urls["application/x-suggestions+json"].startswith("/api/suggest?")
    assert urls["application/opensearchdescription+xml"] == "/opensearch.xml"


@pytest.mark.parametrize("base", ["https://news.example.org", "https://news.example.org/"])
def test_opensearch_urls_come_from_the_configured_base_url(news_dir, base):
    app = create_app({"TESTING": True, "INDEX_DIR": str(news_dir), "SEARCHAPP_BASE_URL": base})
    resp = app.test_client().get("/opensearch.xml", headers={"Host": EVIL_HOST})
    urls = opensearch_templates(resp)
    assert urls["text/html"] == "https://news.example.org/?q={searchTerms}"
    assert urls["application/opensearchdescription+xml"] == \
        "https://news.example.org/opensearch.xml"
    assert EVIL_HOST not in resp.get_data(as_text=True)


def test_base_url_from_the_environment_and_under_a_prefix(news_dir, monkeypatch):
    monkeypatch.setenv("SEARCHAPP_BASE_URL", "https://example.org/app")
    app = create_app({"TESTING": True, "INDEX_DIR": str(news_dir)})
    resp = app.test_client().get("/opensearch.xml", environ_base={"SCRIPT_NAME": "/app"})
    assert opensearch_templates(resp)["text/html"] == "https://example.org/app/?q={searchTerms}"
    host = Flask("host")
    host.config["SEARCHAPP_BASE_URL"] = "https://example.org"
    init_app(host, news_dir, url_prefix="/search")
    resp = host.test_client().get("/search/opensearch.xml", headers={"Host": EVIL_HOST})
    assert opensearch_templates(resp)["text/html"] == \
        "https://example.org/search/?q={searchTerms}"


@pytest.mark.parametrize("base", ["news.example.org", "javascript:alert(1)", "https://",
                                  "https://x.org/?a=1", 'https://x.org/"><x'])
def test_a_malformed_base_url_fails_at_start_up(news_dir, base):
    with pytest.raises(ValueError, match="SEARCHAPP_BASE_URL"):
        create_app({"INDEX_DIR": str(news_dir), "SEARCHAPP_BASE_URL": base})


@pytest.mark.parametrize("path", ["/search", "/search//help", "/search/help//"])
def test_werkzeug_redirects_do_not_carry_the_host_header(news_dir, path):
    host = Flask("host")
    init_app(host, news_dir, url_prefix="/search")
    resp = host.test_client().get(path + "?q=x", headers={"Host": EVIL_HOST})
    assert resp.status_code < 500
    if 300 <= resp.status_code < 400:
        assert resp.headers["Location"].startswith("/search/")
    assert EVIL_HOST not in resp.headers.get("Location", "")


# -- 5. article ids that are not path segments -------------------------------------------------

NASTY_IDS = ["..", ".", "/", "/lead", "a/b", "a/../b", "../../etc/passwd", "q?x=1", "frag#1",
             "100%", "%41", "%2F", "with space", "سوريا-1", "a+b", "a&b=c", ".hidden",
             "trailing/", "a//b", "semi;colon", "tab\tin", "back\\slash", "plain-id", "~t",
             "a.b"]


def as_sent_by_a_browser(href: str) -> str:
    """The request a browser makes for ``href``: dot segments removed, %2e counted as a dot
    (WHATWG URL standard), fragment dropped; the test client does none of this itself."""
    absolute = urljoin("http://localhost/", re.sub("(?i)%2e", ".", href))
    parts = urlsplit(absolute)
    return urlunsplit(("", "", parts.path, parts.query, ""))


@pytest.fixture(scope="module")
def nasty(tmp_path_factory):
    """One article per nasty id, each findable by a shared word; each relates to the next."""
    root = tmp_path_factory.mktemp("ids")
    records = [{"id": i, "title": f"مقال الاختبار رقم {n}", "source": "test",
                "body": [f"نص تجريبي عن الاختبار رقم {n} والمعرفات الغريبة."],
                "related": [NASTY_IDS[(n + 1) % len(NASTY_IDS)]]}
               for n, i in enumerate(NASTY_IDS)]
    report = reindex([write_jsonl(root / "ids.jsonl", records)], root / "index")
    assert report.errors == []
    app = create_app({"TESTING": True, "INDEX_DIR": str(root / "index")})
    client = app.test_client()
    page = soup(client.get("/?q=" + quote("تجريبي") + "&per_page=100"))
    links = {a.get_text(): a["href"] for a in page.select(".hit-title a")}
    assert len(links) == len(NASTY_IDS)
    return client, links


@pytest.mark.parametrize("n", range(len(NASTY_IDS)), ids=[repr(i) for i in NASTY_IDS])
def test_every_article_id_round_trips_from_the_results_page(nasty, n):
    client, links = nasty
    title = f"مقال الاختبار رقم {n}"
    resp = client.get(as_sent_by_a_browser(links[title]), follow_redirects=True)
    assert resp.status_code == 200, (NASTY_IDS[n], links[title])
    page = soup(resp)
    assert page.h1.get_text() == title
    # The related list links the next id; following it lands on that article too.
    nxt = (n + 1) % len(NASTY_IDS)
    related = {a.get_text(): a["href"] for a in page.select(".related a")}
    assert f"مقال الاختبار رقم {nxt}" in related
    target = soup(client.get(as_sent_by_a_browser(related[f"مقال الاختبار رقم {nxt}"]),
                             follow_redirects=True))
    assert target.h1.get_text() == f"مقال الاختبار رقم {nxt}"


def test_simple_ids_keep_their_path_url(nasty):
    client, links = nasty
    assert links[f"مقال الاختبار رقم {NASTY_IDS.index('plain-id')}"].startswith(
        "/article/plain-id?q=")
    assert client.get("/article/plain-id").status_code == 200
    assert client.get("/article?id=" + quote("a/b", safe="")).status_code == 200
    assert client.get("/article").status_code == 404


# -- 6. bidi controls in corpus text ------------------------------------------------------------

@pytest.fixture(scope="module")
def bidi(tmp_path_factory):
    root = tmp_path_factory.mktemp("bidi")
    records = [{"id": f"rlo-{n}", "title": f"عنوان {RLO}مقلوب {n}", "source": f"src{RLO}x",
                "section": f"قسم{RLO}", "author": f"كاتب {RLO}", "location": f"مكان{RLO}",
                "date": "2025-01-02", "body": [f"نص عن الانقلاب رقم {n}."],
                "captions": [{"text": "صورة", "credit": f"مصور{RLO}"}],
                "related": [f"rlo-{1 - n}"]} for n in (0, 1)]
    # Ingestion strips bidi controls (tests/test_corpus_*); this index bypasses that on
    # purpose, to prove the templates isolate corpus text on their own (defence in depth: an
    # index written by an older version, a cleaning rule that misses a character).
    from searchapp.corpus import records as corpus_records

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(corpus_records, "clean_text", lambda s: s)
        mp.setattr(corpus_records, "clean_id", lambda s: s)
        report = reindex([write_jsonl(root / "bidi.jsonl", records)], root / "index")
    assert report.errors == []
    return create_app({"TESTING": True, "INDEX_DIR": str(root / "index")}).test_client()


def assert_override_isolated(page: BeautifulSoup, present: bool = True) -> None:
    """Every text holding U+202E sits in a <bdi> (or FSI..PDI in the plain-text <title>)."""
    nodes = [t for t in page.find_all(string=lambda s: s and RLO in s)]
    assert nodes or not present
    for node in nodes:
        if node.parent.name == "title":
            assert re.search("\u2068[^\u2069]*\u202e[^\u2069]*\u2069", node)
        else:
            assert node.find_parent("bdi") is not None, (str(node.parent)[:200])


@pytest.mark.parametrize("url", ["/?q=" + quote("الانقلاب"), "/article/rlo-0",
                                 "/article/rlo-0?q=" + quote("مقلوب"), "/?q=x&author=" +
                                 quote(f"كاتب {RLO}"), "/?q=" + quote("الانقلاب") + "&section=" +
                                 quote(f"قسم{RLO}")])
def test_a_title_with_an_unpaired_override_is_isolated(bidi, url):
    resp = bidi.get(url)
    assert resp.status_code == 200
    # Result lists show the stored title field, which may already be without the control.
    assert_override_isolated(soup(resp), present=url.startswith("/article"))


def test_hit_title_is_inside_a_bdi(bidi):
    # collapse=0: the two titles are near-duplicates, folded into one hit by default.
    page = soup(bidi.get("/?q=" + quote("الانقلاب") + "&collapse=0"))
    titles = page.select(".hit-title a > bdi")
    assert len(titles) == 2 and all("مقلوب" in t.get_text() for t in titles)


# -- 7. anything else a client can send ---------------------------------------------------------

ENDPOINTS = ["/", "/api/search", "/api/suggest", "/article/putin", "/article", "/help",
             "/opensearch.xml", "/api/openapi.json"]
HOSTILE_QUERIES = [
    "q=%FF", "q=%00", "q=a%00b", "q=%ED%A0%80", "q=%C0%AF", "q=%E0%A4%A", "q=%", "q=%%",
    "q=" + "%D8%A8" * 5000, "q=" + "(" * 900, "q=" + '"' * 999, "q=" + "-" * 999,
    "q=date:9999-12-31", "q=date:0000-00-00", "q=date:1..99999999999999999999",
    "q=author:" + "x" * 999, "q=x&q=y", "q=" + "*" * 999, "q=" + "OR+" * 300,
    "source=%00", "source=%FF%FE", "section=" + "x" * 5000, "author=" + "\u0628" * 5000,
    "source=a&source=b", "sort=%00", "sort=" + "x" * 10000, "sort=oldest", "sort=",
    "explain=%FF", "explain=" + "1" * 10000, "explain=true&explain=0", "explain=",
    "page=1e3", "page=1&page=2", "page=%00", "per_page=0", "per_page=-1", "per_page=",
    "year=%FF", "year=0", "year=-0", "date_from=%00", "date_to=9999-99-99", "limit=%00",
    "limit=99999999999999999999", "format=%00", "format=opensearch", "id=%00",
    "id=" + "x" * 10000, "id=", "id=..", "&&&&", "=", "q", "%", "a[]=1", "q[]=x",
    "q=" + quote("\u202e\u0000\ufeff"),
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=lambda q: q[:40])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_query_string_reaches_a_500(client, path, query):
    resp = client.get(f"{path}?{query}")
    assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
    if path.startswith("/api/") and resp.status_code == 400:
        assert resp.is_json


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_other_methods_never_reach_a_500(client, path, method):
    assert client.open(f"{path}?q=x&id=putin", method=method).status_code < 500


@pytest.mark.parametrize(("method", "path", "code"), [
    ("POST", "/api/search?q=x", 405), ("GET", "/api/nope", 404), ("DELETE", "/api/suggest", 405)])
def test_unrouted_api_urls_answer_json(client, method, path, code):
    resp = client.open(path, method=method)
    assert resp.status_code == code and ARABIC.search(resp.get_json()["error"])


@pytest.mark.parametrize("path", ["/article/%FF", "/article/%00", "/article/..%2F..%2Fetc",
                                  "/article/" + "x" * 5000, "/static/..%2Fsearchapp%2Fweb.py",
                                  "/static/%00", "/%FF", "/api/%00", "/article/%", "/?%FF=1"])
def test_hostile_paths_never_reach_a_500(client, path):
    resp = client.get(path)
    assert resp.status_code < 500
    assert "import" not in resp.get_data(as_text=True)  # no source file served
