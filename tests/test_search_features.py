"""Query syntax, filters, facets, sorting, suggestions and related articles on a known corpus."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from searchapp import SearchEngine, reindex
from tests.conftest import write_jsonl

SOURCES = ["الشرق الأوسط", "الرياض", "عكاظ"]
SECTIONS = ["الاقتصاد", "رياضة", "العالم"]
FILLER = ["الحكومة", "اجتماع", "المدينة", "تقرير", "الأسبوع", "مشروع", "الوزارة", "مسؤول"]


def make_records(n: int = 60, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    recs = []
    for i in range(n):
        words = rnd.sample(FILLER, 4)
        if i % 3 == 0:
            words.append("الطاقة")  # every third article mentions energy
        if i % 5 == 0:
            words.append("الشمسية")
        recs.append({
            "id": f"n{i}",
            "title": f"خبر {i} عن {words[0]}",
            "body": " ".join(words) + f" في العام {2020 + i % 5}.",
            "source": SOURCES[i % 3],
            "section": SECTIONS[(i // 3) % 3],
            "author": "كاتب" if i % 2 else "محرر",
            "date": f"{2020 + i % 5}-{i % 12 + 1:02d}-{i % 27 + 1:02d} 10:00:00",
        })
    recs.append({"id": "phrase", "title": "وقف إطلاق النار في غزة",
                 "body": "أعلن الوسطاء وقفَ إطلاقِ النّار بين الطرفين.", "source": "الرياض",
                 "date": "2025-03-05"})
    recs.append({"id": "split", "title": "إطلاق مبادرة", "body": "النار اشتعلت ثم تم إطلاق "
                 "مبادرة جديدة لوقف الحرائق.", "source": "الرياض", "date": "2025-01-10"})
    return recs


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return make_records()


@pytest.fixture(scope="module")
def news(tmp_path_factory, records) -> SearchEngine:
    root = tmp_path_factory.mktemp("news")
    write_jsonl(root / "c" / "news.jsonl", records)
    assert reindex([root / "c"], root / "i").errors == []
    return SearchEngine(root / "i")


def ids(res) -> set[str]:
    return {h.id for h in res.hits}


def test_facet_counts_match_brute_force(news, records):
    res = news.search("الطاقة", per_page=5)
    expected = [r for r in records if "الطاقة" in r["body"]]
    assert res.total == len(expected)
    assert dict(res.facets["source"]) == Counter(r["source"] for r in expected)
    assert dict(res.facets["section"]) == Counter(r["section"] for r in expected)
    assert dict(res.facets["year"]) == Counter(r["date"][:4] for r in expected)


def test_filters_by_keyword_and_by_query_syntax_agree(news, records):
    expected = {r["id"] for r in records if "الطاقة" in r["body"] and r["source"] == "عكاظ"}
    by_kw = news.search("الطاقة", per_page=100, filters={"source": "عكاظ"})
    by_syntax = news.search('الطاقة source:"عكاظ"', per_page=100)
    assert ids(by_kw) == ids(by_syntax) == expected


def test_section_and_author_filters(news, records):
    res = news.search("الطاقة", per_page=100, filters={"section": "رياضة", "author": "محرر"})
    assert ids(res) == {r["id"] for r in records if "الطاقة" in r["body"]
                        and r["section"] == "رياضة" and r.get("author") == "محرر"}


def test_date_range_filter_and_syntax(news, records):
    res = news.search("الطاقة", per_page=100, date_from=date(2021, 1, 1),
                      date_to=date(2022, 12, 31))
    expected = {r["id"] for r in records if "الطاقة" in r["body"] and r["date"][:4] in
                ("2021", "2022")}
    assert ids(res) == expected
    assert ids(news.search("الطاقة date:2021..2022", per_page=100)) == expected
    month = news.search("الطاقة date:2021-04", per_page=100)
    assert ids(month) == {r["id"] for r in records if "الطاقة" in r["body"]
                          and r["date"][:7] == "2021-04"}


def test_sort_newest_and_oldest(news):
    newest = news.search("الطاقة", per_page=100, sort="newest").hits
    dates = [h.date for h in newest]
    assert dates == sorted(dates, reverse=True)
    oldest = [h.date for h in news.search("الطاقة", per_page=100, sort="oldest").hits]
    assert oldest == sorted(oldest)


def test_phrase_matches_after_normalization_and_not_scattered_words(news):
    res = news.search('"وقف اطلاق النار"', per_page=100)
    assert ids(res) == {"phrase"}
    assert ids(news.search("وقف اطلاق النار", per_page=100)) >= {"phrase", "split"}


def test_exclusion_and_or(news, records):
    energy = {r["id"] for r in records if "الطاقة" in r["body"]}
    solar = {r["id"] for r in records if "الشمسية" in r["body"]}
    assert ids(news.search("الطاقة -الشمسية", per_page=100)) == energy - solar
    assert ids(news.search("الطاقة OR الشمسية", per_page=100)) == energy | solar
    assert ids(news.search("الطاقة أو الشمسية", per_page=100)) == energy | solar


def test_prefix_search(news, records):
    res = news.search("الشمسي*", per_page=100)
    assert ids(res) == {r["id"] for r in records if "الشمسية" in r["body"]}


@pytest.mark.parametrize("q", ['"وقف اطلاق', "-", "*", "ا*", "OR", "في من على", "x" * 5000,
                               "source:", 'source:"', "date:2025-99", "-الطاقة"])
def test_malformed_or_degenerate_queries_never_raise(news, q):
    res = news.search(q)
    assert res.total >= 0 and res.page == 1


def test_stop_words_only_query_still_searches(news):
    assert news.search("في").total > 0


def test_only_negation_lists_everything_else_newest_first(news, records):
    res = news.search("-الطاقة", per_page=100)
    assert res.total == len(records) - sum("الطاقة" in r["body"] for r in records)


def test_did_you_mean_fixes_a_missing_letter_and_a_confusable(news):
    assert news.search("الطاقه").total > 0  # ة/ه is normalization, not a correction
    res = news.search("الطقة")
    assert res.total == 0 and res.suggestion == "الطاقة"
    res = news.search("الوظارة")  # ز/ظ confusion
    assert res.suggestion == "الوزارة"
    assert news.search("الطاقة").suggestion is None


def test_did_you_mean_splits_run_together_words(news):
    res = news.search("الحكومةاجتماع")
    assert res.suggestion == "الحكومة اجتماع"


def test_suggest_completes_last_word_of_headlines_in_written_form(news, records):
    out = news.suggest("الوز")
    assert out[0] == "الوزارة"  # written with ة although matching is on normalized forms
    assert news.suggest("خبر الوز")[0] == "خبر الوزارة"
    counts = Counter(w for r in records for w in r["title"].split() if w.startswith("ال"))
    assert news.suggest("ال", limit=3)[:3] == [w for w, _ in counts.most_common(3)]
    assert news.suggest("") == []


def test_suggest_offers_titles(news):
    assert "وقف إطلاق النار في غزة" in news.suggest("وقف اطلاق", limit=10)


def test_more_like_this_finds_same_story_and_excludes_itself(news):
    similar = news.more_like_this("phrase", limit=5)
    assert similar and "phrase" not in {h.id for h in similar}
    assert similar[0].id == "split"
    assert news.more_like_this("no-such-id") == []


def test_explain_says_which_form_matched(engine):
    res = engine.search("الاتصالات بوتين سوري*", explain=True)
    by_word = {e["word"]: e for e in res.hits[0].explain}
    assert by_word["بوتين"]["form"] == "exact" and "title" in by_word["بوتين"]["fields"]
    assert by_word["الاتصالات"]["form"] == "exact"  # the subtitle has this very form
    assert by_word["سوري*"]["form"] == "prefix"
    # (the three words are in one article only: the result set holds every word)
    res = engine.search("الاتصالات", explain=True)
    stem_only = [h for h in res.hits if h.explain[0]["form"] == "stem"]
    assert stem_only, "some article has only اتصال/اتصالات's stem"
    assert engine.search("بوتين").hits[0].explain is None


def test_query_size_is_bounded_including_or_alternatives_and_prefixes():
    from searchapp.querylang import MAX_CLAUSES, MAX_PREFIXES, parse

    text = " OR ".join(f"ك{i}" for i in range(120))
    assert len(text) < 1000
    many_or = parse(text)
    assert 1 + len(many_or.clauses[0].alternatives) == MAX_CLAUSES
    assert many_or.dropped_clauses == many_or.dropped_alternatives == 120 - MAX_CLAUSES
    plain = parse(" ".join(f"ك{i}" for i in range(120)))
    assert len(plain.clauses) == MAX_CLAUSES and plain.dropped_alternatives == 0
    prefixes = parse(" ".join(f"ab{i}*" for i in range(10)))
    assert sum(c.kind == "prefix" for c in prefixes.clauses) == MAX_PREFIXES
    assert prefixes.demoted_prefixes == 10 - MAX_PREFIXES


@pytest.fixture(scope="module")
def months(tmp_path_factory) -> SearchEngine:
    root = tmp_path_factory.mktemp("months")
    write_jsonl(root / "c" / "m.jsonl", [
        {"id": "levant", "title": "اجتماع", "body": "عقد الاجتماع في تشرين الثاني الماضي."},
        {"id": "egypt", "title": "اجتماع", "body": "عقد الاجتماع في نوفمبر الماضي."},
        {"id": "maghreb", "title": "اجتماع", "body": "عقد الاجتماع في نونبر الماضي."},
        {"id": "other", "title": "اجتماع", "body": "عقد الاجتماع في الشهر الثاني من العام."},
        {"id": "jan", "title": "قرار", "body": "صدر القرار في جانفي الماضي."},
    ])
    reindex([root / "c"], root / "i")
    return SearchEngine(root / "i")


@pytest.mark.parametrize("q", ["نوفمبر", "تشرين الثاني", "نونبر"])
def test_month_names_find_each_other(months, q):
    found = ids(months.search(f"الاجتماع {q}", per_page=10))
    top3 = {h.id for h in months.search(f"الاجتماع {q}", per_page=3).hits}
    # "other" holds only الاجتماع: the result set holds both words (issue 13, point 1)
    assert top3 == {"levant", "egypt", "maghreb"} == found


def test_month_synonym_is_explained_and_highlighted(months):
    res = months.search("يناير", explain=True)
    assert [h.id for h in res.hits] == ["jan"]
    assert res.hits[0].explain[0]["form"] == "synonym"
    assert "<mark>جانفي</mark>" in res.hits[0].snippet
