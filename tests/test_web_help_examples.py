"""The help page's example links find something on the index it describes (issue 13, point
13: on the bundled corpus `date:2025-03` and `غزة أو رفح` found nothing)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

from searchapp.web import create_app
from tests.conftest import write_jsonl

_LINK = re.compile(r'<a href="([^"]*\?q=[^"]*)"><code')


def _examples(client) -> list[str]:
    html = client.get("/help").get_data(as_text=True)
    return [parse_qs(urlparse(unescape(href)).query)["q"][0] for href in _LINK.findall(html)]


def test_every_help_example_finds_an_article_in_the_bundled_corpus(client):
    examples = _examples(client)
    assert len(examples) >= 8
    assert not any(q.startswith("date:") for q in examples)  # the sample page has no date
    for q in examples:
        res = client.get("/api/search", query_string={"q": q}).get_json()
        assert res["total"] >= 1, q
    assert "لا تاريخ لأي مقال في هذا الفهرس" in client.get("/help").get_data(as_text=True)


def test_the_date_example_is_the_newest_month_of_a_dated_index(tmp_path):
    from searchapp import reindex

    src = write_jsonl(tmp_path / "src" / "a.jsonl", [
        {"id": "a", "title": "خبر قديم عن الاقتصاد", "body": "نص الخبر القديم عن الاقتصاد.",
         "date": "2019-05-02"},
        {"id": "b", "title": "خبر جديد عن الاقتصاد", "body": "نص الخبر الجديد عن الاقتصاد.",
         "date": "2024-11-20"}])
    reindex([src.parent], tmp_path / "index")
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "index")}).test_client()
    dates = [q for q in _examples(client) if q.startswith("date:")]
    assert dates == ["date:2024-11"]
    res = client.get("/api/search", query_string={"q": dates[0]}).get_json()
    assert [h["id"] for h in res["hits"]] == ["b"]
