"""The Whoosh analyzer: one token per word with offsets into the original text."""

import pickle

from searchapp.analysis import ArabicAnalyzer, ArabicTokenizer, tokens_with_offsets


def spans(text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.startchar, t.endchar) for t in ArabicTokenizer()(text, chars=True)]


def test_diacritics_and_shadda_stay_inside_words():
    text = "بنّاء الكِتابُ"
    assert spans(text) == [("بنّاء", 0, 5), ("الكِتابُ", 6, 14)]


def test_tatweel_stays_inside_word_and_offsets_cover_it():
    text = "قـــال الرئيس"
    (word, s, e), (_, s2, e2) = spans(text)
    assert text[s:e] == "قـــال" and word == "قـــال"
    assert text[s2:e2] == "الرئيس"


def test_mixed_scripts_and_digits():
    text = "أعلن CEO شركة Apple في ٢٠٢٥ عن iPhone-16"
    assert [w for w, _, _ in spans(text)] == [
        "أعلن", "CEO", "شركة", "Apple", "في", "٢٠٢٥", "عن", "iPhone", "16",
    ]
    for word, s, e in spans(text):
        assert text[s:e] == word


def test_normalized_tokens_point_at_original_text():
    text = "وأُطلِقَ إطلاقِ النّارِ"
    toks = tokens_with_offsets(text)
    assert [text[s:e] for _, _, s, e in toks] == ["وأُطلِقَ", "إطلاقِ", "النّارِ"]
    surfaces = [surface for surface, _, _, _ in toks]
    assert surfaces[1] == "اطلاق"
    assert surfaces[2] == "النار"


def test_index_mode_emits_stem_and_surface_at_same_position():
    toks = [(t.text, t.pos) for t in ArabicAnalyzer()("الكتاب", positions=True, mode="index")]
    assert len(toks) == 2
    assert {pos for _, pos in toks} == {0}
    assert "الكتاب" in {text for text, _ in toks}


def test_query_mode_emits_one_token_per_word():
    toks = [t.text for t in ArabicAnalyzer()("الكتاب الجديد", mode="query")]
    assert len(toks) == 2


def test_diacritized_and_plain_words_analyze_identically():
    a = ArabicAnalyzer()
    plain = [t.text for t in a("اطلاق النار", mode="index")]
    marked = [t.text for t in a("إطلاقِ النّارِ", mode="index")]
    assert plain == marked


def test_analyzer_pickles_and_still_works():
    a = pickle.loads(pickle.dumps(ArabicAnalyzer()))
    assert [t.text for t in a("إطلاقِ", mode="query")] == [t.text for t in ArabicAnalyzer()("اطلاق")]
