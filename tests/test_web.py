"""The Flask pages and their JSON twins, through the test client."""

from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from searchapp.web import init_app
from tests.conftest import LEBANON_TITLE, PUTIN_TITLE


def soup(resp) -> BeautifulSoup:
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def test_search_page_lists_lebanon_article_with_original_spelling_marked(client):
    resp = client.get("/?q=" + quote("اطلاق النار"))
    assert resp.status_code == 200
    page = soup(resp)
    assert page.html["lang"] == "ar" and page.html["dir"] == "rtl"
    titles = [a.get_text() for a in page.select(".hit-title a")]
    assert titles[0] == LEBANON_TITLE
    assert "إطلاق" in [m.get_text() for m in page.select(".snippet mark")]
    assert page.select_one(".result-count").get_text().strip().startswith("نتيجة واحدة ")
    assert page.select_one("input[name=q]")["value"] == "اطلاق النار"


def test_hit_links_to_its_article_page(client):
    page = soup(client.get("/?q=" + quote("بوتين")))
    href = page.select_one(".hit-title a")["href"]
    assert href.startswith("/article/")
    article = soup(client.get(href))
    assert article.h1.get_text() == PUTIN_TITLE
    assert len(article.select("article > p:not(.subtitle):not(.byline)")) == 9
    assert len(article.select("figcaption")) == 4


def test_home_page_without_query_shows_the_box_only(client):
    page = soup(client.get("/"))
    assert page.select_one("input#q") is not None and not page.select(".hit")


def test_api_search_json(client):
    resp = client.get("/api/search?q=" + quote("بوتين") + "&per_page=2")
    assert resp.status_code == 200 and resp.is_json
    data = resp.get_json()
    assert {"total", "page", "per_page", "hits"} <= data.keys()
    assert data["per_page"] == 2 and len(data["hits"]) <= 2
    assert {"id", "title", "snippet", "score"} <= data["hits"][0].keys()
    assert data["hits"][0]["title"] == PUTIN_TITLE


def test_query_text_is_escaped(client):
    resp = client.get("/?q=" + quote('<script>alert(1)</script> بوتين'))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("query", ["page=0", "page=abc", "per_page=1000", "sort=bogus",
                                   "q=" + "ب" * 1001])
def test_out_of_bounds_arguments_get_a_clear_400(client, query):
    html = client.get("/?" + query)
    api = client.get("/api/search?" + query)
    assert html.status_code == 400 and api.status_code == 400
    assert "error" in api.get_json()


def test_unknown_article_is_an_arabic_404(client):
    resp = client.get("/article/does-not-exist")
    assert resp.status_code == 404
    assert "غير موجودة" in resp.get_data(as_text=True)


def test_security_headers(client):
    resp = client.get("/")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"]


def test_stylesheet_is_served_locally(client):
    page = soup(client.get("/"))
    href = page.select_one("link[rel=stylesheet]")["href"]
    assert href.startswith("/") and client.get(href).status_code == 200


def test_blueprint_mounts_under_a_prefix_in_another_app(sample_index):
    host = Flask("host")
    init_app(host, sample_index, url_prefix="/search")
    client = host.test_client()
    resp = client.get("/search/?q=" + quote("بوتين"))
    assert resp.status_code == 200
    assert soup(resp).select_one(".hit-title a")["href"].startswith("/search/article/")
