"""Did-you-mean per word with Arabic-aware edits, and autocorrect (issue 13, point 3)."""

from __future__ import annotations

import pytest

from searchapp import SearchEngine
from searchapp.suggest import confusable, edits
from tests.conftest import engine_over


def _records() -> list[dict]:
    recs: list[dict] = []

    def add(title: str, body: str, n: int) -> None:
        start = len(recs)
        recs.extend({"id": f"{start + i}", "title": title, "body": body} for i in range(n))
    add("بوتين يزور المنطقة", "وصل الرئيس بوتين اليوم.", 10)
    # تبني (adoption) shares the stem تبن with the edit وتبن (بوتبن less its ب)
    add("تبني الأطفال", "قانون جديد يسهل تبني الأطفال.", 30)
    add("أسعار النفط ترتفع", "ارتفعت أسعار النفط في الأسواق.", 10)
    add("أسعار الذهب", "تراجعت أسعار الذهب.", 10)
    add("ولي العهد يستقبل الوفد", "استقبل ولي العهد الوفد.", 10)
    add("العقد الجديد", "وقع النادي العقد.", 2)
    # الأحد is a keyboard slip away from العحد too (ع/ا are neighbours), and more frequent
    add("اجتماع يوم الأحد", "يعقد الاجتماع يوم الأحد.", 30)
    add("بوتان", "مملكة بوتان الصغيرة.", 1)  # a rare word, spelled right
    return recs


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    return engine_over(tmp_path_factory, "spelling", _records())


def test_dotted_letter_slip_beats_a_frequent_stem(engine):
    assert engine.search("بوتبن").suggestion == "بوتين"


@pytest.mark.parametrize("q, fixed", [("اسعار النفظ", "اسعار النفط"),
                                      ("ولي العحد", "ولي العهد")])
def test_one_misspelt_word_among_several(engine, q, fixed):
    res = engine.search(q)
    assert res.suggestion == fixed and res.corrected_from is None and res.query == q


@pytest.mark.parametrize("q", ["بوتين", "أسعار النفط", "ولي العهد", "بوتان", "تبني"])
def test_correct_words_are_kept(engine, q):
    assert engine.search(q).suggestion is None


def test_autocorrect_searches_the_correction_when_it_finds_clearly_more(engine):
    res = engine.search("ولي العحد", autocorrect=True)
    assert (res.query, res.corrected_from, res.suggestion) == ("ولي العهد", "ولي العحد", None)
    assert res.total == 10 and all("العهد" in h.title for h in res.hits)
    assert engine.search("بوتبن", autocorrect=True).total == 10
    kept = engine.search("بوتين", autocorrect=True)
    assert kept.query == "بوتين" and kept.corrected_from is None


def test_arabic_aware_edit_weights():
    assert confusable("ب", "ي") and confusable("ح", "خ") and confusable("ظ", "ط")
    assert confusable("ع", "ه")  # neighbours on the Arabic keyboard
    assert not confusable("ح", "ه") and not confusable("م", "ر")
    weights = edits("بوتبن")
    assert weights["بوتين"] > weights["وتبن"]


def test_the_written_form_of_a_correction_does_not_depend_on_document_order(tmp_path_factory):
    """Two articles write one word two ways (مسؤول, مسئول); the form shown is read from the
    article with the smallest id key, whatever order the articles were indexed in, so one
    index and its shards (or two builds) show a correction alike."""
    from searchapp import arabic
    from searchapp.schema import id_key
    from searchapp.spelling import written_form

    recs = [{"id": "p", "title": "خبر أول", "body": "قال مسؤول في الوزارة."},
            {"id": "q", "title": "خبر ثان", "body": "قال مسئول في الوزارة."}]
    first = min(recs, key=lambda r: id_key(r["id"]))
    term = arabic.normalize("مسؤول")
    forms = []
    for name, order in (("forward", recs), ("backward", recs[::-1])):
        e = engine_over(tmp_path_factory, name, order)
        forms.append(written_form(e._searcher(), e._table().keys, term))
    assert forms[0] == forms[1] == ("مسؤول" if first["id"] == "p" else "مسئول")
