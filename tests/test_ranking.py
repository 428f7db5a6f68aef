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


def ids(engine: SearchEngine, q: str) -> list[str]:
    return [h.id for h in engine.search(q, per_page=100, snippets=False, facets=False).hits]


def test_exact_surface_form_ranks_above_stem_only_match(engine):
    found = ids(engine, "الاتصالات")
    assert found[:2] == ["exact", "stem"]
    assert "body-form" in found  # the body matches every form by its stem


def test_document_with_all_words_ranks_above_one_with_some(engine):
    found = ids(engine, "حديقة الشاطئ التشجير")
    assert found[0] == "all"
    assert "some" in found  # partial matches are still returned, below


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
    corpus = tmp_path / "c.jsonl"
    docs = [{"id": "marked", "title": "مجلس الشورى يصدر قراراً جديداً", "body": "نص الخبر."},
            {"id": "other", "title": "مجلس الشورى يجتمع", "body": "نص آخر عن الاجتماع."}]
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
    reindex([corpus], tmp_path / "i")
    engine = SearchEngine(tmp_path / "i")
    assert ids(engine, "الشورى قرارا")[0] == "marked"
