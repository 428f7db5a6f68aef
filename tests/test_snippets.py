"""Snippets mark exactly the original words and escape everything else."""

import re

from searchapp.analysis import tokens_with_offsets
from searchapp.ranking import Words
from searchapp.snippets import Part, highlight, make_snippet


def words_for(query: str) -> Words:
    w = Words()
    for surface, stem, _, _ in tokens_with_offsets(query):
        w.surfaces.add(surface)
        w.stems.add(stem)
    return w


def test_marks_enclose_exactly_one_original_word_each():
    text = ("يُذكَرُ أنّ إسرائيلَ لمْ تلتزمْ باتفاقِ وقفِ إطلاقِ النّارِ، وتقـــوم بإطلاقِ "
            "النار (Reuters 2025) على المواطنين.")
    html = make_snippet([Part(text)], words_for("اطلاق النار"))
    marked = re.findall(r"<mark>(.*?)</mark>", html)
    assert "إطلاقِ" in marked and "النّارِ" in marked and "النار" in marked
    originals = {text[s:e] for _, _, s, e in tokens_with_offsets(text)}
    assert all(m in originals for m in marked)


def test_everything_else_is_escaped():
    text = 'مقال فيه <script>alert("x")</script> عن بوتين & غيره'
    html = make_snippet([Part(text)], words_for("بوتين"))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert "<mark>بوتين</mark>" in html


def test_caption_matches_are_labelled():
    parts = [Part("نص لا علاقة له"), Part("الرئيس الروسي فلاديمير بوتين", is_caption=True)]
    html = make_snippet(parts, words_for("فلاديمير"))
    assert "تعليق صورة" in html and "<mark>فلاديمير</mark>" in html


def test_at_most_three_fragments_from_a_long_text():
    para = " ".join(["كلمة"] * 60 + ["بوتين"] + ["كلمة"] * 60)
    parts = [Part(para) for _ in range(6)]
    html = make_snippet(parts, words_for("بوتين"))
    assert html.count("<mark>") == 3


def test_no_match_falls_back_to_the_lead():
    html = make_snippet([Part("بداية المقال " * 40)], words_for("غير موجود"))
    assert html.startswith("بداية المقال") and "<mark>" not in html and len(html) < 260


def test_title_highlight():
    assert highlight("بوتين يعرض <مساعدة>", words_for("بوتين")) == (
        "<mark>بوتين</mark> يعرض &lt;مساعدة&gt;"
    )


def phrase_words(phrase: str, *others: str) -> Words:
    """Words of a query holding ``"phrase"`` and plain ``others``, as ranking.build makes."""
    w = words_for(" ".join(others))
    w.phrases.append(tuple(stem for _, stem, _, _ in tokens_with_offsets(phrase)))
    return w


def test_phrase_marks_only_its_occurrences():
    text = ("دعا إلى وقف الحرب ثم أعلن وقفَ إطلاقِ النّارِ في غزة، "
            "واشتعلت النار في مخزن.")
    html = make_snippet([Part(text)], phrase_words("وقف إطلاق النار", "غزة"))
    assert re.findall(r"<mark>(.*?)</mark>", html) == ["وقفَ إطلاقِ النّارِ", "غزة"]


def test_phrase_in_title_highlight():
    title = "وقف إطلاق النار في غزة والنار مشتعلة في رفح بعد وقف المفاوضات"
    assert highlight(title, phrase_words("وقف إطلاق النار")) == (
        "<mark>وقف إطلاق النار</mark> في غزة والنار مشتعلة في رفح بعد وقف المفاوضات")


def test_fragment_prefers_the_phrase_occurrence(monkeypatch):
    monkeypatch.setattr("searchapp.snippets.MAX_FRAGMENTS", 1)
    lone = Part("طالب بوقف القتال في غزة حيث النار مشتعلة وغزة تحترق " + "كلام " * 60)
    phrase = Part("كلام " * 60 + "وأعلن الوسطاء وقف إطلاق النار رسميا")
    html = make_snippet([lone, phrase], phrase_words("وقف إطلاق النار", "غزة"))
    assert "<mark>وقف إطلاق النار</mark>" in html and "غزة" not in html
