"""Tests for searchapp.arabic: every normalization rule and its edge cases, the stem table,
conflation pairs that must (and must not) meet, and the stop list."""

from __future__ import annotations

import unicodedata
import warnings

import pytest

from searchapp import arabic
from searchapp.arabic import (
    STOP_WORDS,
    compose_hamza,
    fold_digits,
    fold_letters,
    is_stop_word,
    light_stem,
    nfkc,
    normalize,
    normalize_word,
    remove_controls,
    remove_diacritics,
    remove_tanween_alef,
    unify_alef,
    unify_hamza_seats,
)

FATHATAN = "\u064b"
HAMZA_ABOVE = "\u0654"
HAMZA_BELOW = "\u0655"
MADDA_ABOVE = "\u0653"
FATHA = "\u064e"
SHADDA = "\u0651"
TATWEEL = "\u0640"


def stem(word: str) -> str:
    return light_stem(normalize(word))


# ---------------------------------------------------------------- normalization steps


class TestNfkc:
    def test_lam_alef_ligatures(self) -> None:
        assert nfkc("\ufefb") == "\u0644\u0627"  # ﻻ
        assert nfkc("\ufef7") == "\u0644\u0623"  # ﻷ
        assert normalize("\ufef9\u0633\u0644\u0627\u0645") == "الاسلام"[1:]  # ﻹسلام -> لاسلام

    def test_presentation_forms(self) -> None:
        # isolated/initial/medial/final forms as produced by PDF extraction: ﺳﻼﻡ
        assert normalize("\ufeb3\ufefc\ufee1") == "سلام"
        assert normalize("\ufdf2") == "الله"  # ﷲ

    def test_fullwidth_latin(self) -> None:
        assert normalize("\uff21\uff22\uff23") == "abc"


class TestControls:
    @pytest.mark.parametrize("char", [TATWEEL, "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
                                      "\u061c", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                                      "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\u00ad"])
    def test_removed_inside_word(self, char: str) -> None:
        assert remove_controls(f"كت{char}اب") == "كتاب"
        assert normalize(f"كت{char}اب") == "كتاب"

    def test_tatweel_runs(self) -> None:
        assert normalize("مـــــصـر") == "مصر"

    def test_keeps_ordinary_space(self) -> None:
        assert remove_controls("a b\u00a0c") == "a b\u00a0c"


class TestComposeHamza:
    def test_alef_with_combining_marks(self) -> None:
        assert compose_hamza("\u0627" + HAMZA_ABOVE) == "\u0623"
        assert compose_hamza("\u0627" + HAMZA_BELOW) == "\u0625"
        assert compose_hamza("\u0627" + MADDA_ABOVE) == "\u0622"

    def test_waw_and_yeh(self) -> None:
        assert compose_hamza("\u0648" + HAMZA_ABOVE) == "\u0624"
        assert compose_hamza("\u064a" + HAMZA_ABOVE) == "\u0626"
        assert compose_hamza("\u0649" + HAMZA_ABOVE) == "\u0626"  # NFC does not compose this

    def test_across_harakat(self) -> None:
        # fatha between alef and hamza: composed, fatha kept for the diacritic step
        assert compose_hamza("\u0627" + FATHA + HAMZA_ABOVE) == "\u0623" + FATHA

    def test_decomposed_words_meet_composed(self) -> None:
        assert normalize("مس\u0648" + HAMZA_ABOVE + "ول") == normalize("مسؤول")
        assert normalize("مس\u064a" + HAMZA_ABOVE + "ول") == normalize("مسئول")
        assert normalize("\u0627" + HAMZA_ABOVE + "حمد") == "احمد"
        # split by tatweel: NFKC cannot compose, our step can after tatweel removal
        assert normalize("مسو" + TATWEEL + HAMZA_ABOVE + "ول") == normalize("مسؤول")
        # hamza above is not silently dropped leaving a bare و
        assert normalize("مس\u0648" + HAMZA_ABOVE + "ول") != "مسوول"

    def test_noop_without_marks(self) -> None:
        assert compose_hamza("كتاب") == "كتاب"


class TestTanweenAlef:
    @pytest.mark.parametrize(("word", "expected"), [
        ("اتصالاً", "اتصال"),
        ("هاتفياً", "هاتفي"),
        ("اتصالًا", "اتصال"),  # classical order: fathatan before the alef
        ("جداً", "جد"),
        ("شيئاً", "شء"),
    ])
    def test_alef_goes_with_the_mark(self, word: str, expected: str) -> None:
        assert normalize(word) == expected

    def test_meets_bare_word(self) -> None:
        assert normalize("اتصالاً") == normalize("اتصال")
        assert normalize("هاتفياً") == normalize("هاتفي")

    def test_radical_hamza_alef_kept(self) -> None:
        assert remove_tanween_alef("ملجأً") == "ملجأً"  # mark left for remove_diacritics
        assert normalize("ملجأً") == "ملجا"

    def test_only_at_word_end(self) -> None:
        assert remove_tanween_alef("اً كتاب") == " كتاب"
        assert remove_tanween_alef("كتابا") == "كتابا"  # no mark, nothing to do

    def test_other_tanween_untouched(self) -> None:
        assert normalize("كتابٌ") == "كتاب"
        assert normalize("مدينةً") == "مدينه"
        assert normalize("هدىً") == "هدي"

    def test_in_sentence(self) -> None:
        assert normalize("أجرى اتصالاً هاتفياً بالرئيس") == "اجري اتصال هاتفي بالرءيس"


class TestDiacritics:
    def test_harakat_range(self) -> None:
        marks = "".join(chr(c) for c in range(0x064B, 0x0660))
        assert remove_diacritics("ب" + marks + "ت") == "بت"

    def test_superscript_alef_removed(self) -> None:
        assert normalize("هٰذا") == "هذا"  # pyarabic's strip_tashkeel would keep U+0670

    def test_quranic_marks(self) -> None:
        quranic = "".join(chr(c) for c in range(0x06D6, 0x06EE))
        assert remove_diacritics("ق" + quranic + "ل") == "قل"

    def test_fully_vocalized(self) -> None:
        assert normalize("بَنَّاءٌ") == "بناء"
        assert normalize("الْكِتَابُ") == "الكتاب"


class TestAlef:
    @pytest.mark.parametrize("alef", ["\u0623", "\u0625", "\u0622", "\u0671", "\u0672", "\u0673"])
    def test_forms(self, alef: str) -> None:
        assert unify_alef(alef + "ب") == "اب"
        assert normalize(alef + "ب") == "اب"

    def test_names(self) -> None:
        assert normalize("أحمد") == "احمد"
        assert normalize("إبراهيم") == "ابراهيم"
        assert normalize("آمال") == "امال"


class TestHamzaSeats:
    @pytest.mark.parametrize(("a", "b"), [
        ("مسؤول", "مسئول"),
        ("شؤون", "شئون"),
        ("شاطئ", "شاطىء"),
        ("شاطئ", "شاطيء"),
        ("مبادئ", "مبادىء"),
        ("أبناؤه", "أبنائه"),   # seat follows the case ending
        ("أبناؤه", "أبناءه"),
        ("تساءل", "تسائل"),     # frequent misspelling
        ("شيء", "شئ"),
    ])
    def test_spellings_meet(self, a: str, b: str) -> None:
        assert normalize(a) == normalize(b)

    def test_canonical_seat_is_bare_hamza(self) -> None:
        assert unify_hamza_seats("مسؤول") == "مسءول"
        assert unify_hamza_seats("مسئول") == "مسءول"
        assert unify_hamza_seats("شاطىء") == "شاطء"

    @pytest.mark.parametrize(("a", "b"), [
        ("سؤال", "سوال"),  # hamza stays distinct from waw
        ("ماء", "ما"),
        ("رئيس", "ريس"),
        ("قراءة", "قراة"),
    ])
    def test_no_collision_with_plain_letters(self, a: str, b: str) -> None:
        assert normalize(a) != normalize(b)

    def test_medial_yeh_hamza_untouched(self) -> None:
        assert normalize("هيئة") == "هيءه"
        assert normalize("بيئة") == "بيءه"


class TestLetters:
    def test_alef_maqsura_and_teh_marbuta(self) -> None:
        assert fold_letters("مستشفى") == "مستشفي"
        assert fold_letters("مدرسة") == "مدرسه"
        assert normalize("على") == normalize("علي")

    @pytest.mark.parametrize(("char", "expected"), [
        ("\u06a9", "\u0643"), ("\u06aa", "\u0643"), ("\u06cc", "\u064a"), ("\u06d2", "\u064a"),
        ("\u06c0", "\u0647"), ("\u06c1", "\u0647"), ("\u06be", "\u0647"), ("\u06c3", "\u0647"),
        ("\u06d5", "\u0647"),
    ])
    def test_persian_urdu(self, char: str, expected: str) -> None:
        assert normalize(char) == expected

    def test_persian_spelling_meets_arabic(self) -> None:
        assert normalize("کتاب") == normalize("كتاب")
        assert normalize("کراچی") == "كراچي"


class TestDigitsAndLatin:
    def test_arabic_indic(self) -> None:
        assert fold_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"

    def test_extended_arabic_indic(self) -> None:
        assert normalize("۰۱۲۳۴۵۶۷۸۹") == "0123456789"

    def test_separators(self) -> None:
        assert normalize("٣٫٥٪") == "3.5%"
        assert normalize("١٬٠٠٠") == "1,000"

    def test_latin_casefold(self) -> None:
        assert normalize("FIFA") == "fifa"
        assert normalize("Straße") == "strasse"
        assert normalize("ISIS داعش") == "isis داعش"

    def test_mixed_text(self) -> None:
        assert normalize("سعر iPhone ٧ بـ ٥٠٠ ريال") == "سعر iphone 7 ب 500 ريال"


class TestNormalize:
    def test_idempotent(self) -> None:
        for text in ("اتصالاً هاتفياً", "مسؤولية الشؤون", "ﻻ", "شاطىء", "Iphone ٧"):
            assert normalize(normalize(text)) == normalize(text)

    def test_long_text_equals_word_by_word(self) -> None:
        text = " ".join(["أجرى الرئيس اتصالاً هاتفياً مع نظيره في الشؤون الخارجية"] * 5)
        assert len(text) > 40
        assert normalize(text) == " ".join(normalize_word(w) for w in text.split(" "))

    def test_fused_table_equals_step_sequence(self) -> None:
        text = "أإآٱ ؤئ ى ة ک ی ۀ ھ ٠۹ " + "".join(chr(c) for c in range(0x064B, 0x0660))
        stepwise = fold_digits(unify_hamza_seats(fold_letters(unify_alef(remove_diacritics(text)))))
        assert text.translate(arabic._FOLD_TABLE) == stepwise

    def test_ascii_fast_path(self) -> None:
        assert normalize("Hello World") == "hello world"
        assert normalize("") == ""

    def test_output_is_nfc(self) -> None:
        out = normalize("بِسْمِ ٱللَّهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ")
        assert out == "بسم الله الرحمن الرحيم"
        assert unicodedata.is_normalized("NFC", out)


# ---------------------------------------------------------------- light stemming

STEM_TABLE = [
    # proper names: intact (tashaphyne defaults: وت, اديمير, حمد, ريطانيا)
    ("بوتين", "بوتين"), ("فلاديمير", "فلاديمير"), ("أحمد", "احمد"), ("بريطانيا", "بريطانيا"),
    ("محمد", "محمد"), ("فلسطين", "فلسطين"), ("البحرين", "بحرين"), ("لبنان", "لبنان"),
    ("واشنطن", "واشنطن"), ("فرنسا", "فرنسا"), ("الرياض", "رياض"), ("عبدالله", "عبدالله"),
    ("لبريطانيا", "بريطانيا"), ("والبحرين", "بحرين"), ("بفلسطين", "فلسطين"),
    ("السيسي", "سيس"), ("الحوثيين", "حوث"), ("الحوثي", "حوث"),
    # tanween alef removed by normalize, then nothing else to strip
    ("اتصالاً", "اتصال"), ("هاتفياً", "هاتف"), ("الْمُسَاعَدَاتُ", "مساعد"),
    ("وَالْكِتَابِ", "كتاب"),
    # article / conjunction prefixes
    ("والكتاب", "كتاب"), ("بالكتاب", "كتاب"), ("فالكتاب", "كتاب"), ("كالكتاب", "كتاب"),
    ("للكتاب", "كتاب"), ("وللكتاب", "كتاب"), ("وبالكتاب", "كتاب"), ("وقال", "قال"),
    ("واضاف", "اضاف"), ("الحكومة", "حكوم"),
    # suffixes
    ("المساعدات", "مساعد"), ("المسلمين", "مسلم"), ("اللاعبون", "لاعب"), ("حكومتها", "حكوم"),
    ("مسؤولية", "مسءول"), ("المسؤوليات", "مسءول"), ("السعودية", "سعود"), ("السعوديين", "سعود"),
    ("السورية", "سور"), ("السوري", "سور"), ("سورية", "سور"), ("اتجاهات", "اتجا"),
    ("اتجاه", "اتجا"), ("اعمالهم", "اعمال"), ("قالوا", "قال"), ("العمليات", "عمل"),
    # words whose letters only look like affixes
    ("قانون", "قانون"), ("القانوني", "قانون"), ("تأمين", "تامين"), ("الاثنين", "اثنين"),
    ("ثلاثين", "ثلاثين"), ("الحرمين", "حرمين"), ("الدين", "دين"), ("الوزير", "وزير"),
    ("ووزير", "وزير"), ("الوطنية", "وطن"), ("الوقت", "وقت"), ("وقته", "وقت"), ("الله", "الله"),
    ("والله", "الله"), ("الرياضة", "رياضه"), ("الرياضي", "رياضي"), ("القوات", "قوات"),
    ("وقوات", "قوات"), ("الجهات", "جهات"),
    # short words intact
    ("في", "في"), ("من", "من"), ("الحي", "الحي"), ("والد", "والد"), ("بيت", "بيت"),
    ("وطن", "وطن"), ("مصر", "مصر"),
    # non-Arabic
    ("fifa", "fifa"), ("2015", "2015"),
]


@pytest.mark.parametrize(("word", "expected"), STEM_TABLE)
def test_stem_table(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_stem_table_size() -> None:
    assert len(STEM_TABLE) >= 40


@pytest.mark.parametrize("group", [
    ("الاتصال", "اتصالات", "واتصال", "اتصالاً", "الاتصالات", "اتصال"),
    ("المسؤول", "مسئولين", "مسؤولون", "المسؤولية", "مسئول"),
    ("السيادة", "سياده", "السياده"),
    ("الوزير", "وزير", "ووزير", "والوزير", "للوزير"),
    ("وزارة", "الوزارة", "وزارات", "لوزارة"),
    ("الحكومة", "حكومة", "للحكومة", "حكومتها", "الحكومات", "الحكومية"),
    ("شؤون", "شئون", "الشؤون", "للشؤون"),
    ("السعودية", "السعودي", "سعودي", "السعوديين", "سعوديون"),
    ("فلسطين", "الفلسطيني", "لفلسطين", "بفلسطين"),
    ("البحرين", "بحرين", "والبحرين", "البحريني"),
    ("الوطن", "الوطني", "الوطنية", "وطني"),
    ("اتجاه", "اتجاهات", "الاتجاه"),
    ("لاعب", "اللاعب", "اللاعبين", "لاعبون"),
    ("هاتفياً", "هاتفي", "الهاتفي", "هاتف"),
])
def test_must_conflate(group: tuple[str, ...]) -> None:
    stems = {stem(w) for w in group}
    assert len(stems) == 1, stems


@pytest.mark.parametrize(("a", "b"), [
    ("البحرين", "البحر"),      # Bahrain is not the sea
    ("بوتين", "بوت"),
    ("الرياض", "الرياضة"),     # Riyadh is not sport
    ("ثلاثين", "ثلاثة"),       # thirty is not three
    ("قانون", "قان"),
    ("لبنان", "لبن"),          # Lebanon is not milk
    ("السودان", "سود"),
    ("فلاديمير", "اديمير"),
    ("بريطانيا", "بريطاني"),   # the country stays whole (issue example)
    ("احمد", "حمد"),
])
def test_must_not_conflate(a: str, b: str) -> None:
    assert stem(a) != stem(b)


def test_stem_keeps_three_letters() -> None:
    words = ["والد", "الحي", "بها", "وقته", "الجهات", "امهات", "للجنه", "كتبه", "ولي"]
    for w in words:
        s = stem(w)
        assert len(s) >= 3 or s == normalize(w), (w, s)


def test_functions_pickle() -> None:
    # Whoosh pickles the analyzer, which refers to these functions.
    import pickle

    for func in (normalize, normalize_word, light_stem, is_stop_word):
        assert pickle.loads(pickle.dumps(func)) is func


def test_stem_deterministic_and_idempotent_on_cache_clear() -> None:
    words = [w for w, _ in STEM_TABLE]
    first = [stem(w) for w in words]
    light_stem.cache_clear()
    assert [stem(w) for w in words] == first


def test_tashaphyne_import_warnings_contained() -> None:
    arabic._stemmer = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arabic._tashaphyne()
    assert not [w for w in caught if "invalid escape sequence" in str(w.message)]


# ---------------------------------------------------------------- stop words


def test_stop_words_normalized() -> None:
    assert all(normalize(w) == w for w in STOP_WORDS)
    assert 150 <= len(STOP_WORDS) <= 300


@pytest.mark.parametrize("word", ["ما", "ماذا", "من", "متى", "أين", "كيف", "هل", "لماذا", "كم",
                                  "الذي", "التي", "الذين", "قد", "لقد", "لم", "لن", "إن", "أن",
                                  "كان", "في", "على", "إلى", "هو", "هي", "وفي"])
def test_question_and_function_words(word: str) -> None:
    assert is_stop_word(normalize(word))


@pytest.mark.parametrize("word", ["قال", "الرئيس", "السعودية", "اتصال", "وزير", "عام", "الله",
                                  "كتاب", "مصر", "النفط"])
def test_content_words_not_stopped(word: str) -> None:
    assert not is_stop_word(normalize(word))
