"""Date order sorts the result set the relevance order has (issue 13, point 1)."""

from __future__ import annotations

import pytest

from searchapp import SearchEngine
from tests.conftest import engine_over


def _records() -> list[dict]:
    recs = []
    for i in range(6):  # the story: both words, older
        recs.append({"id": f"oil{i}", "title": f"تراجع أسعار النفط {i}",
                     "body": "تراجعت أسعار النفط في الأسواق العالمية اليوم.",
                     "date": f"2020-01-{i + 1:02d}"})
    for i in range(12):  # only one query word, newer
        recs.append({"id": f"dress{i}", "title": f"فساتين الزفاف {i}",
                     "body": "أسعار فساتين الزفاف والأحذية في السوق.",
                     "date": f"2024-02-{i + 1:02d}"})
    recs.append({"id": "brent", "title": "النفط الخام", "body": "برنت يصعد.",
                 "date": "2025-01-01"})
    return recs


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    return engine_over(tmp_path_factory, "sort", _records())


# A plain-word query (the fast scorer) and one with a phrase (the query-tree executor).
@pytest.mark.parametrize("q", ["أسعار النفط", '"تراجعت أسعار" النفط', "أسعار النفط*"])
def test_newest_sorts_the_relevance_set(engine, q):
    by_rel = engine.search(q, per_page=100, snippets=False)
    by_new = engine.search(q, per_page=100, snippets=False, sort="newest")
    by_old = engine.search(q, per_page=100, snippets=False, sort="oldest")
    assert by_rel.total == by_new.total == by_old.total
    assert {h.id for h in by_rel.hits} == {h.id for h in by_new.hits} == {h.id for h in by_old.hits}
    assert by_new.hits[0].id.startswith("oil")
    assert [h.id for h in by_new.hits] == sorted((h.id for h in by_new.hits), reverse=True)
    assert all(h.id.startswith("oil") for h in by_new.hits)


def test_facets_count_the_same_set(engine):
    res = engine.search("أسعار النفط", sort="newest")
    assert sum(c for _, c in res.facets["year"]) == res.total == 6


def test_when_no_article_has_every_word_the_set_is_any_word(engine):
    # Nothing holds both: the reader still gets the articles holding either word, in both orders.
    by_rel = engine.search("الزفاف برنت", per_page=100, snippets=False)
    by_new = engine.search("الزفاف برنت", per_page=100, snippets=False, sort="newest")
    assert by_rel.total == by_new.total == 13
    assert by_new.hits[0].id == "brent"
