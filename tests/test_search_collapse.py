"""Near-duplicate collapsing (issue 13, point 5): syndicated copies fold under one hit."""

from __future__ import annotations

import pytest

from searchapp import SearchEngine
from searchapp.collapse import Collapser
from tests.conftest import engine_over

WIRE = ("أعلنت وزارة الطاقة اليوم خطة جديدة لخفض استهلاك الكهرباء في المدن الكبرى خلال "
        "فصل الصيف عبر تركيب عدادات ذكية في المنازل والمباني الحكومية والتجارية")


def _records() -> list[dict]:
    recs = []
    # one wire story, five outlets, the same day; one copy retitled and one lightly edited
    for i, src in enumerate(["alriyadh", "okaz", "alyaum", "alwatan", "aawsat"]):
        title = "خطة لخفض استهلاك الكهرباء" if i != 3 else "الطاقة: خطة لخفض استهلاك الكهرباء"
        body = WIRE if i != 4 else WIRE.replace("اليوم", "أمس")
        recs.append({"id": f"wire{i}", "title": title, "body": body, "source": src,
                     "date": f"2024-05-0{1 + i % 2} 10:00:00"})
    # a daily report under a fixed headline: a new story every week
    for i in range(3):
        recs.append({"id": f"daily{i}", "title": "الكهرباء في أسبوع",
                     "body": f"بلغ استهلاك الكهرباء {100 + i * 7} ميغاواط في الأسبوع {i} "
                             f"وسجلت المحطة {i * 3} أعطال متفرقة في الشبكة",
                     "date": f"2024-0{i + 1}-10"})
    for i in range(14):  # distinct stories
        recs.append({"id": f"other{i}", "title": f"الكهرباء وموضوع {i}",
                     "body": f"تقرير {i} عن الكهرباء " + " ".join(f"كلمة{i}{j}" for j in range(20)),
                     "date": f"2023-01-{i + 1:02d}"})
    return recs


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    return engine_over(tmp_path_factory, "collapse", _records())


def wire_hits(res) -> list:
    return [h for h in res.hits if h.id.startswith("wire")]


def test_copies_fill_the_page_without_collapse(engine):
    res = engine.search("خطة استهلاك الكهرباء", per_page=10)
    assert len(wire_hits(res)) == 5 and all(h.similar == () for h in res.hits)


def test_copies_fold_under_the_best_ranked(engine):
    plain = engine.search("خطة استهلاك الكهرباء", per_page=10)
    res = engine.search("خطة استهلاك الكهرباء", per_page=10, collapse=True)
    [kept] = wire_hits(res)
    assert kept.id == wire_hits(plain)[0].id  # the best-ranked copy keeps its place
    assert sorted((kept.id, *kept.similar)) == [f"wire{i}" for i in range(5)]
    assert list(kept.similar) == [h.id for h in wire_hits(plain)[1:]]  # in rank order
    assert res.total == plain.total  # total still counts articles


def test_newest_first_keeps_the_newest_copy(engine):
    res = engine.search("الكهرباء", per_page=10, sort="newest", collapse=True)
    [kept] = wire_hits(res)
    assert kept.date.day == 2 and len(kept.similar) == 4


def test_same_headline_different_story_is_not_folded(engine):
    res = engine.search("الكهرباء في أسبوع", per_page=20, collapse=True)
    assert {"daily0", "daily1", "daily2"} <= {h.id for h in res.hits}


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_pages_do_not_repeat_stories(engine, sort):
    pages = [engine.search("الكهرباء", page=p, per_page=4, sort=sort, collapse=True,
                           snippets=False) for p in (1, 2, 3, 4, 5, 6)]
    listed = [h.id for res in pages for h in res.hits]
    folded = [i for res in pages for h in res.hits for i in h.similar]
    assert len(listed) == len(set(listed)) and not set(listed) & set(folded)
    assert sorted(listed + folded) == sorted(h.id for h in engine.search(
        "الكهرباء", per_page=100, sort=sort, snippets=False).hits)
    assert [h.id for h in pages[0].hits] + [h.id for h in pages[1].hits] == [
        h.id for h in engine.search("الكهرباء", per_page=8, sort=sort, collapse=True).hits]


def test_reads_only_the_candidates_a_page_needs(engine, monkeypatch):
    asked: list[int] = []
    real = Collapser.__init__

    def spy(self, searcher, top):
        real(self, searcher, lambda k: asked.append(k) or top(k))

    monkeypatch.setattr(Collapser, "__init__", spy)
    monkeypatch.setattr("searchapp.collapse.LOOKAHEAD", 3)
    res = engine.search("الكهرباء", per_page=2, collapse=True)
    assert res.total == 22 and len(res.hits) == 2
    assert asked and max(asked) <= 2 * 2 + 3  # not the 22 matching articles
