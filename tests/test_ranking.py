"""Ranking properties on a tiny index: exact form, coordination, questions, title, stop words.

Each test states a property of :mod:`searchapp.ranking` that a plausible configuration could
break (e.g. a stem-only query, a pure AND, a title weight below 1, dropping every stop word).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchapp import SearchEngine, reindex

FILLER = [
    "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في المنطقة الشرقية بسعة مئتي سرير.",
    "ارتفعت أسعار النفط في الأسواق العالمية بعد قرار خفض الإنتاج.",
    "فاز الفريق الأول لكرة القدم بالمباراة النهائية أمام جمهور كبير.",
    "ناقش مجلس الشورى مشروع نظام جديد لحماية البيئة والحياة الفطرية.",
    "افتتح أمير المنطقة معرض الكتاب الدولي بمشاركة دور نشر عربية وأجنبية.",
    "تواصل الجهات المختصة أعمال الصيانة في الطرق الرئيسية قبل موسم الأمطار.",
]

DOCS = [
    # exact surface form vs stem only (exact forms are indexed in titles, subtitles, captions)
    {"id": "stem", "title": "شبكة اتصال جديدة", "body": "توسعت الشبكة في المدن الصغيرة."},
    {"id": "exact", "title": "شبكة الاتصالات جديدة", "body": "توسعت الشبكة في المدن الصغيرة."},
    {"id": "body-form", "title": "تقرير سنوي", "body": "توسعت شبكة واتصالاتها في القرى."},
    # all query words vs only some (the partial one repeats its words)
    {"id": "some", "title": "أخبار محلية",
     "body": "حديقة الشاطئ الجميلة تستقبل الزوار، وزوار حديقة الشاطئ كثر في الصيف."},
    {"id": "all", "title": "أخبار محلية",
     "body": "افتتحت البلدية حديقة جديدة قرب الشاطئ للعائلات ضمن خطة التشجير."},
    # a question whose paragraph lacks one of its words
    {"id": "answer", "title": "نهر النيل",
     "body": "يعد نهر النيل أطول أنهار العالم، وينبع من بحيرة فيكتوريا ويصب في البحر المتوسط."},
    # title match vs one body mention
    {"id": "mention", "title": "جولة في الصحف العالمية",
     "body": "تناولت الصحف قضايا عدة، وذكرت إحداها أن بوتين تحدث عن سوريا، " + FILLER[1]
     + " " + FILLER[3]},
    {"id": "titled", "title": "بوتين يعرض المساعدة على سوريا",
     "body": "قال الرئيس الروسي إن بلاده مستعدة لتقديم الدعم في إعادة الإعمار."},
] + [{"id": f"filler-{i}", "title": "خبر", "body": text} for i, text in enumerate(FILLER)]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    tmp: Path = tmp_path_factory.mktemp("ranking")
    corpus = tmp / "docs.jsonl"
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DOCS), "utf-8")
    report = reindex([corpus], tmp / "index", full=True)
    assert report.errors == []
    assert report.documents == len(DOCS)
    return SearchEngine(tmp / "index")


def _build(tmp_path: Path, docs: list[dict]) -> None:
    """Index ``docs`` at ``tmp_path / "i"``."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
    reindex([corpus], tmp_path / "i")


def ids(engine: SearchEngine, q: str) -> list[str]:
    return [h.id for h in engine.search(q, per_page=100, snippets=False, facets=False).hits]


def test_exact_surface_form_ranks_above_stem_only_match(engine):
    found = ids(engine, "الاتصالات")
    assert found[:2] == ["exact", "stem"]
    assert "body-form" in found  # the body matches every form by its stem


def test_document_with_all_words_ranks_above_one_with_some(engine):
    found = ids(engine, "حديقة الشاطئ التشجير")
    assert found[0] == "all"
    # A short lookup lists the articles holding every word (issue 13, point 1); partial
    # matches are listed only when no article holds them all.
    assert "some" not in found
    assert ids(engine, "حديقة الشاطئ الزوار")[0] == "some"


def test_question_finds_paragraph_missing_one_of_its_words(engine):
    # "منبع" is nowhere in the corpus; the paragraph has the rest of the question.
    found = ids(engine, "ما هو منبع نهر النيل أطول أنهار العالم؟")
    assert found[0] == "answer"


def test_title_match_beats_single_body_mention(engine):
    found = ids(engine, "بوتين سوريا")
    assert found[0] == "titled"
    assert "mention" in found


def test_typed_variation_still_finds_title(engine):
    assert ids(engine, "بوتين سوريه")[0] == "titled"


def test_stop_word_only_query_returns_results(engine):
    assert ids(engine, "من هو")
    assert ids(engine, "في")


@pytest.mark.parametrize(("word", "alt"), [
    ("برنامجا", "برنامج"), ("قرارا", "قرار"), ("حفلا", "حفل"),
    ("سوريا", None), ("بريطانيا", None), ("امريكا", None), ("هذا", None), ("ماا", None),
])
def test_tanween_variant_only_for_unmarked_accusatives(word, alt):
    from searchapp import arabic
    from searchapp.ranking import tanween_variant

    assert tanween_variant(word, arabic.light_stem(word)) == alt


def test_accusative_typed_without_its_mark_finds_the_marked_form(tmp_path):
    docs = [{"id": "marked", "title": "مجلس الشورى يصدر قراراً جديداً", "body": "نص الخبر."},
            {"id": "other", "title": "مجلس الشورى يجتمع", "body": "نص آخر عن الاجتماع."}]
    _build(tmp_path, docs)
    engine = SearchEngine(tmp_path / "i")
    assert ids(engine, "الشورى قرارا")[0] == "marked"


# ------------------------------------------------------------------ clitic alternatives
def _df(counts: dict[str, int]):
    return lambda field, term: counts.get(term, 0) if field == "body" else 0


@pytest.mark.parametrize(("stem", "counts", "alt"), [
    ("بزيار", {"بزيار": 3, "زيار": 40}, "زيار"),      # بزيارة: the remainder is commoner
    ("لمسافات", {"لمسافات": 1, "مساف": 9}, "مساف"),  # the remainder is stemmed again
    ("لبنان", {"لبنان": 50, "بنان": 1}, None),        # a name: the remainder is rare
    ("كتاب", {"كتاب": 80, "تاب": 2}, None),           # a radical ك
    ("فرنسا", {}, None),                               # protected name
    ("الكتاب", {"الكتاب": 1, "لكتاب": 5}, None),      # an article, not a clitic
    ("بحر", {"حر": 100}, None),                        # too short to hold a clitic
])
def test_clitic_variant_only_when_the_remainder_is_the_likelier_word(stem, counts, alt):
    from searchapp.ranking import clitic_variant

    assert clitic_variant(stem, _df(counts)) == alt


def test_glued_preposition_finds_the_word_without_it(tmp_path):
    docs = [{"id": "visit", "title": "خبر", "body": "جاءت الزيارة بعد أشهر من المفاوضات."},
            {"id": "visit2", "title": "خبر", "body": "تمت الزيارة في موعدها المقرر."},
            {"id": "glued", "title": "خبر", "body": "قام الوفد بزيارة قصيرة للمصنع."},
            {"id": "other", "title": "خبر", "body": "قام الوفد بجولة في المصنع الجديد."}]
    _build(tmp_path, docs)
    from searchapp.ranking import Ranking

    without = ids(SearchEngine(tmp_path / "i", ranking_config=Ranking(clitic_alt=0.0)),
                  "بزيارة")
    assert without == ["glued"]
    with_alt = ids(SearchEngine(tmp_path / "i", ranking_config=Ranking(clitic_alt=0.5)),
                   "بزيارة")
    assert with_alt[0] == "glued" and set(with_alt) == {"glued", "visit", "visit2"}


# ------------------------------------------------------------------ body exact forms
def test_body_exact_forms_are_indexed_without_positions():
    from searchapp.schema import build_schema

    field = build_schema()["body_forms"]
    assert not field.format.supports("positions")
    terms = {t.decode(): n for t, n, _, _ in field.index("المدارس والمدرسة مدرسة المدارس")}
    # Only forms that differ from their stem (مدرسة is its own stem's surface: مدرسه/مدرس).
    assert terms["المدارس"] == 2 and terms["والمدرسه"] == 1
    assert all(t != "مدارس" for t in terms)


def test_body_exact_form_ranks_the_verbatim_passage_first(tmp_path):
    from searchapp.ranking import Ranking

    docs = [{"id": "stem-only", "title": "خبر", "body": "اتصال الشبكة توقف أمس."},
            {"id": "verbatim", "title": "خبر", "body": "الاتصالات توقفت في المدينة أمس."}]
    _build(tmp_path, docs)
    off = ids(SearchEngine(tmp_path / "i", ranking_config=Ranking(body_exact=0.0)), "الاتصالات")
    on = ids(SearchEngine(tmp_path / "i", ranking_config=Ranking(body_exact=0.4)), "الاتصالات")
    assert set(off) == set(on) == {"stem-only", "verbatim"}
    assert on[0] == "verbatim"
    # Without the bonus both hold the stem once: the shorter body decides, not the form.
    assert off[0] == "stem-only"


def test_explain_names_the_body_for_a_body_exact_form(tmp_path):
    from searchapp.ranking import Ranking

    docs = [{"id": "verbatim", "title": "خبر", "body": "الاتصالات توقفت في المدينة أمس."}]
    _build(tmp_path, docs)
    engine = SearchEngine(tmp_path / "i", ranking_config=Ranking(body_exact=0.4))
    hit = engine.search("الاتصالات", explain=True).hits[0]
    assert hit.explain == [{"word": "الاتصالات", "form": "exact", "fields": ["body"]}]
