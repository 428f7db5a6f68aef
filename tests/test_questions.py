"""Questions: detected, their syntax read as words, and ranked as passage queries."""

from __future__ import annotations

import pytest

from searchapp import SearchEngine, querylang, reindex
from searchapp.questions import is_question
from searchapp.ranking import Ranking
from tests.conftest import write_jsonl


@pytest.mark.parametrize("text", [
    "متى بدأت معظم المشاريع الجديدة في دبي؟",
    "من هو رئيس فرنسا",
    "ماهي عاصمة اليابان",
    "بماذا اشتهرت مدينة حلب",
    "لمن تعود ملكية الشركة",
    "كم عدد سكان مصر",
    "what is this?",
    "- ماذا حدث في الاجتماع",  # a bullet before the question
    "وكيف تم تمويل المشروع",
])
def test_questions_are_detected(text):
    assert is_question(text)


@pytest.mark.parametrize("text", [
    "أسعار النفط",
    "الرئيس بوتين سوريا",
    "من نحن",  # two words: a lookup, not a question
    "كيف حالك",
    "لم يعد هناك أمل",  # لم starts headlines far more often than questions
    "مشروع الطاقة الشمسية",
    "",
])
def test_lookups_are_not_questions(text):
    assert not is_question(text)


def test_question_syntax_is_read_as_words():
    parsed = querylang.parse('متى اصدرت النمسا-المجر انذارا "نهائيا إلى صربيا أو -روسيا مارس؟')
    assert parsed.question
    assert [c.kind for c in parsed.clauses] == ["word"] * len(parsed.clauses)
    assert not any(c.negated or c.alternatives for c in parsed.clauses)
    assert [c.text for c in parsed.clauses] == [
        "متى", "اصدرت", "النمسا", "المجر", "انذارا", "نهائيا", "إلى", "صربيا", "أو", "روسيا",
        "مارس"]


def test_question_keeps_unambiguous_filters():
    parsed = querylang.parse("ما هي أسعار النفط؟ source:aawsat date:2015-07")
    assert parsed.question
    assert parsed.filters == {"source": ["aawsat"]}
    assert parsed.date_from is not None and parsed.date_from.year == 2015
    assert "source" not in [c.text for c in parsed.clauses]


def test_lookups_keep_their_syntax():
    parsed = querylang.parse('"وقف إطلاق النار" -سوريا')
    assert not parsed.question
    assert [c.kind for c in parsed.clauses] == ["phrase", "word"]
    assert parsed.clauses[1].negated


def test_question_settings_replace_the_lookup_settings():
    r = Ranking(field_weights={"title": 3.0, "body": 1.0},
                question={"title": 1.0, "bm25_k1": 2.5})
    q = r.for_question()
    assert q.field_weights == {"title": 1.0, "body": 1.0}
    assert q.bm25_k1 == 2.5 and q.question == {}
    assert r.field_weights["title"] == 3.0  # the lookup ranking is unchanged


def _passage_corpus(tmp_path):
    """A headline sharing the question's words, and the passage that answers it."""
    recs = [
        {"id": "headline", "title": "معظم المشاريع الجديدة في دبي",
         "body": "تقرير عن الاقتصاد والأسواق المالية في المنطقة والتجارة والاستثمار " * 6
                 + "وقالت الشركة إن المشاريع الجديدة في دبي تشمل مساكن ومكاتب."},
        {"id": "passage", "title": "تاريخ الإمارة",
         "body": "بدأت معظم المشاريع الجديدة في دبي عام 2002 بعد قرار فتح التملك للأجانب."},
    ]
    recs += [{"id": f"f{i}", "title": f"خبر رقم {i}", "body": "نص عن موضوع آخر تماما " * 4}
             for i in range(20)]
    write_jsonl(tmp_path / "c" / "a.jsonl", recs)
    reindex([tmp_path / "c"], tmp_path / "i")
    return tmp_path / "i"


def test_question_prefers_the_answering_passage_over_the_headline(tmp_path):
    index = _passage_corpus(tmp_path)
    question = "متى بدأت معظم المشاريع الجديدة في دبي؟"
    as_question = SearchEngine(index).search(question)
    assert as_question.hits[0].id == "passage"
    # The same words typed as a lookup still prefer the headline holding them.
    lookup = SearchEngine(index).search("المشاريع الجديدة دبي")
    assert lookup.hits[0].id == "headline"
    # And with question ranking off, the question is ranked as a lookup: the headline wins.
    old = SearchEngine(index, ranking_config=Ranking(questions=False)).search(question)
    assert old.hits[0].id == "headline"
