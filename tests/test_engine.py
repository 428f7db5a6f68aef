"""Searching the sample page: the acceptance queries and the result contract."""

import dataclasses

import pytest

from searchapp import SearchEngine
from searchapp.storage import IndexMissing
from tests.conftest import LEBANON_TITLE, PUTIN_TITLE


def test_unvocalized_query_finds_diacritized_or_hamzated_text(engine):
    res = engine.search("اطلاق النار")
    assert res.total >= 1
    assert res.hits[0].title == LEBANON_TITLE
    assert "<mark>إطلاق</mark>" in res.hits[0].snippet


def test_query_with_damma_finds_putin_article(engine):
    res = engine.search("الرئيسُ")
    assert PUTIN_TITLE in [h.title for h in res.hits]


def test_putin_ranks_putin_article_first(engine):
    res = engine.search("بوتين")
    assert res.hits[0].title == PUTIN_TITLE
    assert "<mark>بوتين</mark>" in res.hits[0].title_html


def test_all_words_rank_above_some_words(engine):
    res = engine.search("بوتين سوريا")
    assert res.hits[0].title == PUTIN_TITLE


def test_results_are_plain_values_without_open_files(engine):
    res = engine.search("سوريا", per_page=3)
    hit = res.hits[0]
    assert dataclasses.is_dataclass(res) and dataclasses.is_dataclass(hit)
    assert isinstance(hit.id, str) and isinstance(hit.score, float) and hit.score > 0
    assert len(res.hits) <= 3


def test_paging_is_exact_and_past_the_end_is_empty(engine):
    everything = engine.search("سوريا", per_page=100, snippets=False)
    assert everything.total == len(everything.hits) >= 3
    pages = [engine.search("سوريا", page=p, per_page=2, snippets=False) for p in (1, 2)]
    assert all(p.total == everything.total for p in pages)
    assert [h.id for p in pages for h in p.hits] == [h.id for h in everything.hits[:4]]
    beyond = engine.search("سوريا", page=999, per_page=10)
    assert beyond.hits == [] and beyond.total == everything.total


def test_per_page_is_bounded(engine):
    assert engine.search("سوريا", per_page=10_000).per_page == 100
    assert engine.search("سوريا", per_page=0).per_page == 1


def test_snippets_false_gives_ids_and_scores_only(engine):
    res = engine.search("بوتين", snippets=False)
    assert res.hits and res.hits[0].snippet == "" and res.hits[0].score > 0


def test_empty_and_malformed_queries_do_not_raise(engine):
    for q in ["", "   ", '"', "-", "*", "((", "OR", "source:", "x" * 5000]:
        res = engine.search(q)
        assert res.total >= 0


def test_unknown_sort_is_a_clear_error(engine):
    with pytest.raises(ValueError, match="sort must be one of"):
        engine.search("سوريا", sort="random")


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexMissing, match="searchapp reindex"):
        SearchEngine(tmp_path / "nothing")


def test_get_article_returns_the_stored_article(engine):
    hit = engine.search("بوتين").hits[0]
    article = engine.get_article(hit.id)
    assert article is not None and article.title == PUTIN_TITLE
    assert len(article.paragraphs) == 9
    assert engine.get_article("no-such-id") is None
