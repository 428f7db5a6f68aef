"""Pure Arabic string functions: normalization, light stemming, stop words.

No Whoosh import here: the same functions serve the analyzer, the snippet builder and tests.
Both ``normalize`` and ``light_stem`` run once per token while indexing, so every step is a
precompiled regex or a ``str.translate`` table, pure-ASCII input takes a fast path, and the
per-word functions are memoized (news vocabulary is Zipfian: a small cache absorbs most calls).
The memo caches are bounded twice: in entries (``maxsize``) and in what they admit (strings of
at most ``MAX_CACHED_CHARS``), so that no request, however hostile its text, can fill them with
junk: a 1000-letter "word" once added ~120 MB of edit candidates to the stemmer's cache.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
import warnings
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from searchapp.stopwords import PROTECTED_WORDS, RAW_STOP_WORDS

# ---------------------------------------------------------------- normalization steps
# Each step is a separate, tested function; ``_normalize`` runs them in this order.

#: Format characters that are invisible but split or disguise words: tatweel U+0640 (pure
#: typographic elongation, Lucene ArabicNormalizer removes it too), zero-width space/joiners and
#: LRM/RLM U+200B-U+200F, Arabic letter mark U+061C, bidi embeddings U+202A-U+202E, isolates
#: U+2066-U+2069, BOM/ZWNBSP U+FEFF and soft hyphen U+00AD (SaudiNewsNet text contains U+200F,
#: U+202C-U+202D inside words).
_CONTROLS = "\u0640\u200b\u200c\u200d\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e" \
    "\u2066\u2067\u2068\u2069\ufeff\u00ad"
_CONTROLS_TABLE = str.maketrans("", "", _CONTROLS)

#: Harakat, tanween, shadda, sukun, hamza/madda marks and the rest of U+064B-U+065F, superscript
#: alef U+0670 (pyarabic's strip_tashkeel keeps it) and Quranic annotation marks U+06D6-U+06ED.
#: Readers type them inconsistently; Larkey et al. light10 and Lucene remove them.
_DIACRITICS = "".join(map(chr, range(0x064B, 0x0660))) + "\u0670" + \
    "".join(map(chr, range(0x06D6, 0x06EE)))
_DIACRITICS_TABLE = str.maketrans("", "", _DIACRITICS)
_MARK_CLASS = "\u064b-\u065f\u0670"

_ALEF = "\u0627"
_HAMZA = "\u0621"
_YEH = "\u064a"
_HEH = "\u0647"
#: أ إ آ ٱ ٲ ٳ -> ا: hamza on/under alef, madda and wasla are dropped by most writers
#: (Lucene ArabicNormalizer, light10).  Deliberately NOT pyarabic's normalize_hamza, which maps
#: إ to bare hamza.
_ALEF_TABLE = str.maketrans(dict.fromkeys("\u0623\u0625\u0622\u0671\u0672\u0673", _ALEF))
#: ؤ ئ -> ء.  The seat of a medial/final hamza is orthographic: it follows the surrounding vowels,
#: i.e. grammatical case (ابناؤه / ابناءه / ابنائه are one word) and spelling convention
#: (مسؤول / مسئول, شؤون / شئون).  Folding every seat onto bare hamza makes all of them meet, and
#: keeps hamza distinct from و and ي (سءال stays apart from سوال, ماء from ما).
_HAMZA_SEAT_TABLE = str.maketrans(dict.fromkeys("\u0624\u0626", _HAMZA))
#: ى -> ي and ة -> ه (light10, Lucene), plus Persian/Urdu look-alikes that Arabic keyboards and
#: copy-paste produce: ک U+06A9 and ڪ U+06AA -> ك, ی U+06CC and ے U+06D2 -> ي,
#: ۀ U+06C0, ہ U+06C1, ۃ U+06C3, ھ U+06BE, ە U+06D5 -> ه.
_LETTER_TABLE = str.maketrans({
    "\u0649": _YEH, "\u0629": _HEH, "\u06a9": "\u0643", "\u06aa": "\u0643", "\u06cc": _YEH,
    "\u06d2": _YEH, "\u06c0": _HEH, "\u06c1": _HEH, "\u06c3": _HEH, "\u06be": _HEH,
    "\u06d5": _HEH,
})
#: Arabic-Indic U+0660-U+0669 and Extended (Persian) U+06F0-U+06F9 digits -> ASCII, so a query
#: typed with either keyboard meets the text; the Arabic decimal/thousands separators and percent
#: sign become ``.`` ``,`` ``%`` so that numbers tokenize the same way.
_DIGIT_TABLE = str.maketrans({
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    "\u066b": ".", "\u066c": ",", "\u066a": "%",
})

#: A letter followed (possibly after other harakat) by a combining madda U+0653, hamza above
#: U+0654 / high hamza U+0674, or hamza below U+0655.  NFKC composes only adjacent pairs with
#: canonical compositions; ى + U+0654 and pairs split by tatweel are left decomposed, and the
#: diacritic step would then silently delete the hamza.
_DECOMPOSED_HAMZA = re.compile(
    f"([\u0627\u0648\u064a\u0649\u06cc\u0647\u06c1\u06d5])([{_MARK_CLASS}]*?)([\u0653\u0654\u0655\u0674])"
)
_COMPOSE = {
    ("\u0627", "\u0653"): "\u0622", ("\u0627", "\u0654"): "\u0623", ("\u0627", "\u0674"): "\u0623",
    ("\u0627", "\u0655"): "\u0625", ("\u0648", "\u0654"): "\u0624", ("\u0648", "\u0674"): "\u0624",
}
for _yeh in "\u064a\u0649\u06cc":
    _COMPOSE[(_yeh, "\u0654")] = _COMPOSE[(_yeh, "\u0674")] = "\u0626"
for _heh in "\u0647\u06c1\u06d5":
    _COMPOSE[(_heh, "\u0654")] = "\u06c0"

#: Tanween fath written with its carrier alef, either order (اتصالاً = ...ا + U+064B, or the
#: classical ...U+064B + ا), at the end of a word.  The alef is only a seat for the case ending;
#: without this rule اتصالاً would index as اتصالا and never meet اتصال.
_TANWEEN_ALEF = re.compile(
    f"\u0627[\u064c-\u065f\u0670]*\u064b[{_MARK_CLASS}]*(?!\\w)"
    f"|\u064b[\u064c-\u065f\u0670]*\u0627(?![\\w{_MARK_CLASS}])"
)
#: Older final spelling of ئ as ىء / يء (شاطىء, مبادىء), seen after the letter maps as يء.
_FINAL_YEH_HAMZA = re.compile("\u064a\u0621(?!\\w)")


def nfkc(text: str) -> str:
    """Unicode NFKC: presentation forms U+FB50-U+FDFF/U+FE70-U+FEFF (lam-alef ligatures such as
    U+FEFB, isolated/final letter forms from PDF extraction), full-width Latin, ﷲ -> الله."""
    return unicodedata.normalize("NFKC", text)


def remove_controls(text: str) -> str:
    """Delete tatweel and zero-width/bidi format characters (see ``_CONTROLS``)."""
    return text.translate(_CONTROLS_TABLE)


def _compose(match: re.Match[str]) -> str:
    base, marks, sign = match.groups()
    return _COMPOSE.get((base, sign), base) + marks


def compose_hamza(text: str) -> str:
    """Compose letter + combining hamza/madda (ا + U+0654 -> أ, و + U+0654 -> ؤ, ي/ى + U+0654 -> ئ),
    even across interleaved harakat, before the diacritic step deletes the combining mark."""
    if "\u0653" in text or "\u0654" in text or "\u0655" in text or "\u0674" in text:
        return _DECOMPOSED_HAMZA.sub(_compose, text)
    return text


def remove_tanween_alef(text: str) -> str:
    """Drop tanween fath together with its seat alef at word end: اتصالاً -> اتصال, هاتفياً ->
    هاتفي (also ...ًا).  Only plain alef is a seat: the radical أ of ملجأً is kept."""
    if "\u064b" in text:
        return _TANWEEN_ALEF.sub("", text)
    return text


def remove_diacritics(text: str) -> str:
    """Delete harakat U+064B-U+065F, superscript alef U+0670 and Quranic marks U+06D6-U+06ED."""
    return text.translate(_DIACRITICS_TABLE)


def unify_alef(text: str) -> str:
    """أ إ آ ٱ ٲ ٳ -> ا (see ``_ALEF_TABLE``)."""
    return text.translate(_ALEF_TABLE)


def unify_hamza_seats(text: str) -> str:
    """ؤ ئ -> ء, and word-final ىء/يء -> ء, so مسؤول/مسئول -> مسءول, شؤون/شئون -> شءون and
    شاطئ/شاطىء -> شاطء.  Consequence (accepted): شيء and its frequent misspelling شئ both -> شء.
    Must run after ى -> ي (``fold_letters``)."""
    text = text.translate(_HAMZA_SEAT_TABLE).translate(_LETTER_TABLE)
    if _HAMZA in text:
        return _FINAL_YEH_HAMZA.sub(_HAMZA, text)
    return text


def fold_letters(text: str) -> str:
    """ى -> ي, ة -> ه and Persian/Urdu letter variants (see ``_LETTER_TABLE``)."""
    return text.translate(_LETTER_TABLE)


def fold_digits(text: str) -> str:
    """Arabic-Indic and Extended Arabic-Indic digits -> 0-9 (see ``_DIGIT_TABLE``)."""
    return text.translate(_DIGIT_TABLE)


#: Diacritics, alef, hamza seats, letters and digits fused into one translate table: the maps
#: are disjoint and none maps onto another's source, so one pass equals the sequence (tested).
_FOLD_TABLE: dict[int, Any] = {
    **_DIACRITICS_TABLE, **_ALEF_TABLE, **_HAMZA_SEAT_TABLE, **_LETTER_TABLE, **_DIGIT_TABLE
}


def _normalize(text: str) -> str:
    if text.isascii():  # fast path: Latin words, numbers, punctuation
        return text.lower()
    text = remove_tanween_alef(compose_hamza(nfkc(text).translate(_CONTROLS_TABLE)))
    text = text.translate(_FOLD_TABLE)
    if _HAMZA in text:
        text = _FINAL_YEH_HAMZA.sub(_HAMZA, text)
    return text.casefold()  # Latin: case-insensitive search, casefold as in Unicode caseless match


#: Longest string a memo cache admits.  Longer strings are texts or junk, not words: the longest
#: term of SaudiNewsNet (5.3 M body tokens) is 32 letters, a run-together; 40 leaves room for
#: harakat on raw tokens.  At that bound an entry costs at most ~400 bytes, so a cache of
#: ``CACHE_WORDS`` entries stays under ~200 MB however it is fed (typical words: ~250 bytes).
MAX_CACHED_CHARS = 40
CACHE_WORDS = 500_000


def memo_words(fn: Callable[[str], str]) -> Callable[[str], str]:
    """Memoize a per-word function, admitting only strings of <= ``MAX_CACHED_CHARS``.

    The wrapper keeps ``fn``'s name, so it pickles by reference like the plain function (Whoosh
    pickles the analyzer); ``cache_info``/``cache_clear`` are the LRU cache's, and ``uncached``
    is ``fn`` itself, for callers that look up many throwaway strings (spelling candidates).
    """
    cached = lru_cache(maxsize=CACHE_WORDS)(fn)

    @wraps(fn)
    def call(word: str) -> str:
        return cached(word) if len(word) <= MAX_CACHED_CHARS else fn(word)

    call.cache_info = cached.cache_info  # type: ignore[attr-defined]
    call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    call.uncached = fn  # type: ignore[attr-defined]
    return call


#: Per-word normalization, memoized: a token repeats thousands of times in a corpus, and a cache
#: hit (~0.1 us) is ~10x cheaper than the NFKC + regex + translate pipeline.  Tokenizers that
#: already hold a single word may call it directly.
@memo_words
def normalize_word(word: str) -> str:
    """``normalize`` of one word, memoized (see ``memo_words``; it pickles)."""
    return _normalize(word)


def normalize(text: str) -> str:
    """Fold every spelling a reader may or may not type (diacritics, hamza, ة/ه, ى/ي, digits,
    Latin case) onto one form.  Works on a word or a whole text; the length may change."""
    if len(text) <= MAX_CACHED_CHARS:
        return normalize_word(text)
    return _normalize(text)


# ---------------------------------------------------------------- light stemming
# Affix inventory after Larkey et al. light10 / Lucene ArabicStemmer (prefixes ال وال بال كال فال
# لل و; suffixes ها ان ات ون ين يه ية ه ة ي), written in normalized spelling (ة is ه here).

MIN_STEM = 3
_ARTICLES = ("ال", "وال", "فال", "بال", "كال", "لل", "ولل", "فلل", "وبال", "وكال", "فبال")
#: Proclitic groups stripped whenever >= 3 letters remain.  A word-initial و is stripped even
#: after an article (الو...): a radical و (وزير) cannot be told from the conjunction, and
#: stripping it everywhere keeps any وX, الوX, ووX, والوX on one stem; frequent radical-و
#: stems (وزير, وطن, وقت ...) are kept whole by PROTECTED instead.  Bare ف ب ل ك are not
#: stripped (they start فرنسا بريطانيا لبنان كتاب), as in light10 and Lucene.
STRIP_PREFIXES: frozenset[str] = frozenset(
    {"و", "وو", *_ARTICLES, *(a + "و" for a in _ARTICLES)}
)
#: Article groups (without the و rule): if one of these leaves < 3 letters the word is short.
_ARTICLE_PREFIXES = frozenset(_ARTICLES)
#: Stripped only when what remains is a PROTECTED word (لبريطانيا -> بريطانيا, بفلسطين -> فلسطين).
NAME_PREFIXES: frozenset[str] = frozenset({"ب", "ل", "ك", "ف", "وب", "ول", "وك", "فب", "فل"})

_PRONOUNS = ("ه", "ها", "هم", "هما", "هن")
#: Suffix group -> minimum stem length it must leave.  ون/ين need 4: قانون, زيتون, تامين,
#: تعيين, تحسين, بحرين, بوتين are far more frequent than 3-letter plurals in -ون/-ين (the price:
#: duals of 3-letter nouns, طرفين, stay whole).  ان (dual/-an) is left out: in news it ends names
#: (لبنان ايران السودان سلمان رمضان) far more often than it marks a dual.  ت+pronoun is the ة of
#: حكومه before a pronoun (حكومتها -> حكوم, like حكومه -> حكوم); هات is ه+ات so that a plural
#: meets its singular whose final radical ه is cut like a ة: اتجاهات, اتجاه -> اتجا.
#: No ا/يا: unmarked tanween (رسميا) is left to the surface form; بريطانيا/روسيا stay whole.
SUFFIX_MIN_STEM: dict[str, int] = {
    **dict.fromkeys(_PRONOUNS, 3),
    **dict.fromkeys(("ي", "يه", "ات", "يات", "يون", "يين", "وا"), 3),
    **dict.fromkeys((b + p for b in ("ات", "هات", "يات") for p in ("", *_PRONOUNS)), 3),
    **dict.fromkeys((b + p for b in ("ت", "يت") for p in _PRONOUNS), 3),
    "ون": 4, "ين": 4,
}
#: Stems the affix rules would otherwise mangle: proper names, numbers (ثلاثين is not ثلاث),
#: stems starting with a radical و, endings that look like suffixes.  A cut leaving one of these
#: wins (والبحرين -> بحرين, not بحر; الوطنية -> وطن, not طن).
PROTECTED: frozenset[str] = frozenset(normalize(w) for w in PROTECTED_WORDS)

_stemmer: Any = None
_stemmer_lock = threading.Lock()


def _new_lock_in_child() -> None:
    # A process forked while another thread held the lock (building the stemmer: ~0.7 s)
    # inherits it held by a thread that does not exist there, and its first stem waits forever.
    global _stemmer_lock
    _stemmer_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def warm_up() -> None:
    """Build the stemmer now, in this process: call it before forking workers, so none is
    forked in the middle of another thread's build (a half-imported tashaphyne)."""
    _tashaphyne()


def _tashaphyne() -> Any:
    """tashaphyne's ArabicLightStemmer configured with our affix lists, created on first use
    (importing tashaphyne takes ~0.7 s: it loads a 130k-line stop-word module)."""
    global _stemmer
    if _stemmer is not None:
        return _stemmer
    with _stemmer_lock:
        if _stemmer is None:
            with warnings.catch_warnings():
                # pyarabic/tashaphyne source has "\w"-style escapes in non-raw strings; hide only
                # that compile-time warning, nothing else.
                for category in (SyntaxWarning, DeprecationWarning):
                    warnings.filterwarnings("ignore", "invalid escape sequence", category)
                from tashaphyne.stemming import ArabicLightStemmer
            stemmer = ArabicLightStemmer()
            stemmer.set_prefix_list(sorted(STRIP_PREFIXES | NAME_PREFIXES | {""}))
            stemmer.set_suffix_list(sorted({*SUFFIX_MIN_STEM, ""}))
            stemmer.set_min_stem_length(MIN_STEM)
            _stemmer = stemmer
        return _stemmer


def affix_cuts(word: str) -> tuple[list[int], list[int]]:
    """Cut positions from tashaphyne's prefix and suffix tries: ``lefts`` where word[:left] is a
    known prefix, ``rights`` where word[right:] is a known suffix; both sorted, both include the
    empty affix.  (Only the tries are read, so this is thread-safe after the first call.)"""
    stemmer = _tashaphyne()
    lefts = sorted(set(stemmer.lookup_prefixes(word)) | {0})
    rights = sorted(set(stemmer.lookup_suffixes(word)) | {len(word)})
    return lefts, rights


@memo_words
def light_stem(word: str) -> str:
    """Light stem of ONE normalized word: at most one proclitic group and one suffix group.

    tashaphyne's own choice over-stems (بوتين -> وت, أحمد -> حمد), so we choose among the cuts
    of its prefix/suffix tries ourselves, light10/Lucene style (prefix first, then suffix):
    1. a cut whose stem is PROTECTED wins (longest such stem); only then may a bare ب/ل/ك/ف go
       (لبريطانيا -> بريطانيا, والبحرين -> بحرين);
    2. a word that starts with an article leaving < 3 letters is short: kept whole (الحي);
    3. the longest STRIP_PREFIXES prefix that leaves >= 3 letters is removed;
    4. the longest suffix that leaves SUFFIX_MIN_STEM[suffix] (>= 3) letters is removed.
    Words of three letters or less, non-Arabic words and protected stems come back unchanged.
    """
    n = len(word)
    if n <= MIN_STEM or word in PROTECTED or not "\u0621" <= word[0] <= "\u064a":
        return word
    lefts, rights = affix_cuts(word)
    protected = [(right - left, -left, left, right) for left in lefts for right in rights
                 if right - left >= 2 and word[left:right] in PROTECTED]
    if protected:
        _, _, left, right = max(protected)
        return word[left:right]
    left = 0
    for cut in reversed(lefts):
        prefix = word[:cut]
        if prefix in _ARTICLE_PREFIXES and n - cut < MIN_STEM:
            return word
        if prefix in STRIP_PREFIXES and n - cut >= MIN_STEM:
            left = max(left, cut)
    for right in rights:  # ascending: longest suffix first
        if right == n or right - left >= SUFFIX_MIN_STEM[word[right:]]:
            return word[left:right]
    return word[left:]


# ---------------------------------------------------------------- stop words
STOP_WORDS: frozenset[str] = frozenset(normalize(w) for w in RAW_STOP_WORDS)


def is_stop_word(normalized_word: str) -> bool:
    """True for function words to ignore when ranking questions (input already normalized)."""
    return normalized_word in STOP_WORDS
