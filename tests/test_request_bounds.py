"""Every request's work is bounded: spelling candidates, memo caches, prefix expansion, explain,
phrases. Counts, never timings (``benchmarks/worst_inputs.py`` measures the time)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from searchapp import (
    SearchEngine,
    analysis,
    arabic,
    querylang,
    ranking,
    reindex,
    spelling,
    termstats,
)
from searchapp import suggest as suggest_mod
from searchapp.explain import MAX_EXPLAINED_WORDS, Explainer
from searchapp.suggest import MAX_CANDIDATES, Suggester, correct_word, edits
from tests.conftest import write_jsonl

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
FILLER = ["الحكومة", "اجتماع", "المدينة", "تقرير", "الأسبوع", "مشروع", "الوزارة", "مسؤول",
          "الطاقة", "الشمسية", "وقف", "إطلاق", "النار"]


def junk(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(n))


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    """60 news-like articles plus 3,000 distinct title words starting with قم (a prefix with
    far more terms than the expansion keeps)."""
    rng = random.Random(5)
    recs = []
    for i in range(60):
        words = rng.sample(FILLER, 6)
        recs.append({"id": f"n{i}", "title": " ".join(words[:3]), "body": " ".join(words) + ".",
                     "source": "الرياض" if i % 2 else "عكاظ",
                     "date": f"202{i % 5}-0{i % 9 + 1}-1{i % 9}"})
    prefixed = sorted({"قم" + junk(rng, 5) for _ in range(3000)})
    for j in range(0, len(prefixed), 30):
        recs.append({"id": f"p{j}", "title": " ".join(prefixed[j:j + 30]), "body": "نص"})
    root = tmp_path_factory.mktemp("bounds")
    write_jsonl(root / "c" / "c.jsonl", recs)
    assert reindex([root / "c"], root / "i").errors == []
    return SearchEngine(root / "i")


class CountingDf:
    def __init__(self, n: int = 0) -> None:
        self.calls, self.n = 0, n

    def __call__(self, term: str) -> int:
        self.calls += 1
        return self.n


# ------------------------------------------------------------------------------- spelling
def test_correct_word_looks_up_nothing_for_a_1000_letter_word():
    df = CountingDf()
    assert correct_word(junk(random.Random(1), 1000), df) is None
    assert df.calls == 0
    assert edits("ب" * 1000) == {}


def test_correct_word_looks_up_at_most_its_budget():
    word = junk(random.Random(2), 15)
    df = CountingDf()
    correct_word(word, df)
    assert 0 < df.calls <= MAX_CANDIDATES
    df = CountingDf()
    correct_word(word, df, budget=10)
    assert df.calls <= 10


def test_correct_word_skips_digits_and_latin_edits():
    df = CountingDf()
    correct_word("1" * 12, df)
    correct_word("abcdefgh", df)
    assert df.calls == 2 * ((12 - 3) + (8 - 3))  # only the run-together splits


class CountingReader:
    def __init__(self) -> None:
        self.calls = 0

    def doc_frequency(self, field: str, term: str) -> int:
        self.calls += 1
        return 0


class FakeSearcher:
    def __init__(self) -> None:
        self._reader = CountingReader()

    def reader(self) -> CountingReader:
        return self._reader


def test_did_you_mean_bounds_words_and_lookups_per_query():
    rng = random.Random(3)
    q = " ".join(junk(rng, 12) for _ in range(64))
    searcher = FakeSearcher()
    assert spelling.did_you_mean(q, querylang.parse(q), searcher, {}, 0, lambda _: 0) is None
    # two index lookups per candidate, plus each word's own count
    limit = 2 * (spelling.MAX_LOOKUPS + spelling.MAX_CORRECTED_WORDS)
    assert searcher.reader().calls <= limit


def test_corrections_still_work(engine):
    assert engine.search("الحكومهاجتماع").suggestion == "الحكومة اجتماع"
    assert engine.search("الوظارة").suggestion == "الوزارة"


# ------------------------------------------------------------------------------- caches
def cache_sizes() -> tuple[int, int, int]:
    return (arabic.normalize_word.cache_info().currsize, arabic.light_stem.cache_info().currsize,
            len(analysis._CACHE))


def test_memo_caches_admit_no_long_strings():
    rng = random.Random(4)
    long_words = [junk(rng, 60) for _ in range(200)] + [junk(rng, 1000)]
    before = cache_sizes()
    for w in long_words:
        analysis.analyze_word(w)
        arabic.light_stem(arabic.normalize(w))
    analysis.tokens_with_offsets(" ".join(long_words))
    assert cache_sizes() == before


def test_a_hostile_search_adds_few_cache_entries(engine):
    rng = random.Random(6)
    engine.search("x")
    before = cache_sizes()
    engine.search(junk(rng, 1000))  # one word, corrected: ~60,000 candidates before
    engine.search(" ".join(junk(rng, 14) for _ in range(64)))  # 64 rare words
    grown = [after - b for after, b in zip(cache_sizes(), before, strict=True)]
    assert max(grown) <= 2 * querylang.MAX_CLAUSES  # the query's own words, no candidates


def test_suggest_caches_short_prefixes_only():
    sug = Suggester.from_titles(["الحكومة تعلن مشروعا", "اجتماع الوزارة"])
    sug.complete("ال")
    cached = sug._complete_cached.cache_info().currsize
    for i in range(50):
        sug.complete("ا" * (suggest_mod.MAX_CACHED_PREFIX + 1 + i))
    assert sug._complete_cached.cache_info().currsize == cached
    assert sug.complete("الح") == ["الحكومة", "الحكومة تعلن مشروعا"]


# ------------------------------------------------------------------------------- prefixes
def test_prefix_expands_to_the_most_frequent_terms_only(engine):
    reader = engine._searcher().reader()
    assert sum(1 for _ in reader.expand_prefix("title", "قم")) >= 3000
    terms = ranking.prefix_terms("قم", reader)
    assert 0 < len(terms) <= ranking.MAX_PREFIX_TERMS
    query, _ = ranking.build(querylang.parse("قم* ال* وق*"), reader, ranking.Ranking())
    assert len(set(query.iter_all_terms())) <= 3 * ranking.MAX_PREFIX_TERMS
    # The most frequent ال term is kept (top-terms rewrite, not the first in lexicon order).
    df = {t: reader.doc_frequency("title", t) for t in reader.expand_prefix("title", "ال")}
    top = max(df, key=lambda t: (df[t], t)).decode("utf-8")
    assert ("title", top) in ranking.prefix_terms("ال", reader)


def test_prefix_scan_is_bounded(engine, monkeypatch):
    monkeypatch.setattr(termstats, "MAX_PREFIX_SCAN", 40)
    reader = engine._searcher().reader()
    first = {t.decode("utf-8") for _, t in zip(range(40), reader.expand_prefix("title", "قم"),
                                                 strict=False)}
    assert {t for _, t in ranking.prefix_terms("قم", reader)} <= first


def test_prefix_postings_are_bounded(engine, monkeypatch):
    monkeypatch.setattr(ranking, "MAX_PREFIX_POSTINGS", 50)
    reader = engine._searcher().reader()
    terms = ranking.prefix_terms("ال", reader)
    assert len(terms) >= 1
    assert len(terms) == 1 or sum(reader.doc_frequency(f, t) for f, t in terms) <= 50


# ------------------------------------------------------------------------------- execution
QUERIES = ['"وقف إطلاق النار" الحكومة', "قم* OR الطاقة", "الحكومة -الوزارة", "-الطاقة",
           'الشمسي* -"الطاقة الشمسية"', "اجتماع أو تقرير أو مشروع", '"الحكومة اجتماع"',
           "مسؤول الحكومة الطاقة"]


@pytest.mark.parametrize("phrase_doc_cost", [0, 10**9])  # phrases by Whoosh / by positions
@pytest.mark.parametrize("q", QUERIES)
def test_executor_scores_and_terms_equal_whoosh(engine, q, phrase_doc_cost, monkeypatch):
    monkeypatch.setattr(ranking, "PHRASE_DOC_COST", phrase_doc_cost)
    searcher = engine._searcher()
    query, _ = ranking.build(querylang.parse(q), searcher.reader(), engine.ranking)
    ex = ranking.Executor(engine._table(), searcher, engine.ranking)
    scores, matched = ex.score(query)
    res = searcher.search(query, limit=None, terms=True)
    expected = {d: s for s, d in res.top_n}
    assert set(np.nonzero(matched)[0].tolist()) == set(expected)
    for d, s in expected.items():
        assert scores[d] == pytest.approx(s, rel=1e-9)
    hits = list(res)[:20]
    got = ex.matched_terms(query, [h.docnum for h in hits])
    for h, terms in zip(hits, got, strict=True):
        whoosh_terms = {(f, t.decode("utf-8")) for f, t in h.matched_terms()}
        # Whoosh also lists the words of a phrase that failed its position check; ours not.
        assert terms == whoosh_terms if '"' not in q else terms <= whoosh_terms


def test_phrase_positions_read_are_bounded(engine, monkeypatch):
    monkeypatch.setattr(ranking, "MAX_PHRASE_POSTINGS", 10)
    searcher = engine._searcher()
    q = " ".join(f'"{a} {b}"' for a, b in itertools.pairwise(FILLER))
    query, _ = ranking.build(querylang.parse(q), searcher.reader(), engine.ranking)
    ex = ranking.Executor(engine._table(), searcher, engine.ranking)
    _, matched = ex.score(query)
    assert ex.postings_read <= 10 and matched.any()  # past the budget: words co-occur


def test_explain_works_per_page_hit_and_per_bounded_word(engine, monkeypatch):
    calls = []
    original = Explainer.__call__
    monkeypatch.setattr(Explainer, "__call__",
                        lambda self, terms: calls.append(1) or original(self, terms))
    q = " OR ".join(FILLER * 5)
    res = engine.search(q, per_page=7, page=2, explain=True, sort="newest")
    assert len(calls) == len(res.hits) <= 7
    long_phrase = '"' + " ".join(FILLER * 20) + '"'
    assert len(Explainer(querylang.parse(long_phrase))([])) == MAX_EXPLAINED_WORDS


def test_explained_search_pages_like_the_fast_path(engine):
    for kw in ({}, {"sort": "newest"}, {"sort": "oldest", "page": 2, "per_page": 5},
               {"filters": {"source": "عكاظ"}}):
        fast = engine.search("الحكومة الطاقة", **kw)
        slow = engine.search("الحكومة الطاقة", explain=True, **kw)
        assert [h.id for h in slow.hits] == [h.id for h in fast.hits]
        assert slow.total == fast.total and slow.facets == fast.facets
