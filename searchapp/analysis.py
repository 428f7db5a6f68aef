"""Whoosh analysis chain for Arabic news text, built on :mod:`searchapp.arabic`.

``ArabicAnalyzer()`` tokenizes, normalizes and stems in one pass (``ArabicWordTokenizer``):

* words are what ``WORD_PATTERN`` matches: it treats Arabic combining marks (harakat
  U+064B–U+065F, superscript alef U+0670, Quranic marks U+06D6–U+06ED), tatweel U+0640 and
  zero-width joiners as part of a word. Python's
  ``\\w`` does not match harakat, so Whoosh's default pattern cuts ``كَتَبَ`` into ك/ت/ب.
  Offsets (``startchar``/``endchar``) always point into the original, diacritized text: that is
  what lets snippets mark ``إطلاقِ`` when the reader typed ``اطلاق``.
* each word is normalized and, at index time, emitted as its light stem plus (when it
  differs) the normalized surface form at the same position. Queries look up both, weighting the
  surface form higher, so an exact spelling outranks a mere stem match.

It is a plain class with no closures, so the analyzer pickles into the index schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import Composable, RegexTokenizer, Token, Tokenizer

from searchapp import arabic

# Letters and digits (``[^\W_]``) plus everything that may sit *inside* an Arabic word.
WORD_PATTERN = r"(?:[^\W_]|[\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d])+"

#: Bump when tokenization, normalization or stemming changes: an index built with another
#: version gives wrong results and must be rebuilt.
ANALYZER_VERSION = 1
MAX_CACHED_WORDS = arabic.CACHE_WORDS
_WORDS = re.compile(WORD_PATTERN)
_CACHE: dict[str, tuple[str, str]] = {}


def analyze_word(raw: str) -> tuple[str, str]:
    """(normalized surface, stem) of one raw token; ``("", "")`` when nothing is left.

    Cached in ``_CACHE`` because news vocabulary is Zipfian: a few thousand distinct raw forms
    make up most tokens, so the cache turns normalization+stemming into one dict lookup per
    token. Hot loops read ``_CACHE`` directly and call this only on a miss. Like the caches of
    :mod:`searchapp.arabic`, it admits only tokens of at most ``arabic.MAX_CACHED_CHARS``
    characters (a query may hold a 1000-letter "word"; that is not vocabulary) and holds at
    most ``MAX_CACHED_WORDS`` entries (it starts over when full: cheaper than LRU bookkeeping
    in the indexing loop).
    """
    pair = _CACHE.get(raw)
    if pair is None:
        surface = arabic.normalize(raw)
        pair = (surface, arabic.light_stem(surface)) if surface else ("", "")
        if len(raw) <= arabic.MAX_CACHED_CHARS:
            if len(_CACHE) >= MAX_CACHED_WORDS:
                _CACHE.clear()
            _CACHE[raw] = pair
    return pair


def ArabicTokenizer() -> RegexTokenizer:
    """Tokenizer that keeps harakat, tatweel and joiners inside words."""
    return RegexTokenizer(WORD_PATTERN)


class ArabicWordTokenizer(Tokenizer):
    """Tokenize, normalize and stem in one pass; at index time also emit the exact form.

    One generator instead of ``RegexTokenizer() | filter``: with a per-word cache the chain's
    per-token generator hops were most of the cost, and this keeps analysis as fast as Whoosh's
    ``StandardAnalyzer`` although it does far more per word (see benchmarks/retrieval.py).
    Positions count every word-like match, exactly as ``RegexTokenizer`` does, so phrase
    positions and character offsets are the same as the two-stage chain's.
    """

    is_morph = True

    def __init__(self, keep_surface: bool = True) -> None:
        self.keep_surface = keep_surface

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArabicWordTokenizer) and other.keep_surface == self.keep_surface

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        both = self.keep_surface and mode == "index"
        cache = _CACHE
        for pos, m in enumerate(_WORDS.finditer(value) if tokenize else [_Whole(value)],
                                start_pos):
            raw = m.group()
            surface, stem = cache.get(raw) or analyze_word(raw)
            if not surface:
                continue
            t.text = stem
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = raw
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + m.start()
                t.endchar = start_char + m.end()
            yield t
            if both and surface != stem:
                t.text = surface
                yield t


class _Whole:
    """Stands in for a regex match when ``tokenize=False`` (the whole value is one word)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def group(self) -> str:
        return self.value

    def start(self) -> int:
        return 0

    def end(self) -> int:
        return len(self.value)


def ArabicAnalyzer(keep_surface: bool = True) -> Composable:
    """The one analyzer used at index and query time (see module docstring)."""
    return ArabicWordTokenizer(keep_surface=keep_surface)


def tokens_with_offsets(text: str) -> list[tuple[str, str, int, int]]:
    """(surface, stem, startchar, endchar) for every word of ``text``.

    Used by the snippet builder and by query analysis, so that highlighting, querying and
    indexing agree on what a word is. The words are ``ArabicTokenizer()``'s (the same pattern's
    matches), read straight from the regex: a snippet page of 100 hits analyzes ~35,000
    words, and Whoosh's Token objects made that 3x slower.
    """
    out = []
    cache = _CACHE
    for m in _WORDS.finditer(text):
        raw = m.group()
        surface, stem = cache.get(raw) or analyze_word(raw)
        if surface:
            out.append((surface, stem, m.start(), m.end()))
    return out
