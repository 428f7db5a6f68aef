"""Whoosh analysis chain for Arabic news text, built on :mod:`searchapp.arabic`.

The chain is ``ArabicTokenizer() | ArabicWordFilter()``:

* the tokenizer treats Arabic combining marks (harakat U+064B–U+065F, superscript alef U+0670,
  Quranic marks U+06D6–U+06ED), tatweel U+0640 and zero-width joiners as part of a word. Python's
  ``\\w`` does not match harakat, so Whoosh's default pattern cuts ``كَتَبَ`` into ك/ت/ب.
  Offsets (``startchar``/``endchar``) always point into the original, diacritized text: that is
  what lets snippets mark ``إطلاقِ`` when the reader typed ``اطلاق``.
* the word filter normalizes each token and, at index time, emits its light stem plus (when it
  differs) the normalized surface form at the same position. Queries look up both, weighting the
  surface form higher, so an exact spelling outranks a mere stem match.

Both stages are plain classes with no closures, so the analyzer pickles into the index schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Composable, RegexTokenizer, Token

from searchapp import arabic

# Letters and digits (``[^\W_]``) plus everything that may sit *inside* an Arabic word.
WORD_PATTERN = r"(?:[^\W_]|[\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d])+"

#: Bump when tokenization, normalization or stemming changes: an index built with another
#: version gives wrong results and must be rebuilt.
ANALYZER_VERSION = 1


@lru_cache(maxsize=500_000)
def analyze_word(raw: str) -> tuple[str, str]:
    """(normalized surface, stem) of one raw token; ``("", "")`` when nothing is left.

    Cached because news vocabulary is Zipfian: a few thousand distinct raw forms make up most
    tokens, so the cache turns normalization+stemming into one dict lookup per token.
    """
    surface = arabic.normalize(raw)
    if not surface:
        return "", ""
    return surface, arabic.light_stem(surface)


def ArabicTokenizer() -> RegexTokenizer:
    """Tokenizer that keeps harakat, tatweel and joiners inside words."""
    return RegexTokenizer(WORD_PATTERN)


class ArabicWordFilter(Composable):
    """Normalize and stem tokens; index both the stem and the exact surface form."""

    is_morph = True

    def __init__(self, keep_surface: bool = True) -> None:
        self.keep_surface = keep_surface

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArabicWordFilter) and other.keep_surface == self.keep_surface

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        keep_surface = self.keep_surface
        for t in tokens:
            surface, stem = analyze_word(t.text)
            if not surface:
                continue
            t.text = stem
            yield t
            if keep_surface and surface != stem and t.mode == "index":
                t.text = surface
                yield t


def ArabicAnalyzer(keep_surface: bool = True) -> Composable:
    """The one analyzer used at index and query time (see module docstring)."""
    return ArabicTokenizer() | ArabicWordFilter(keep_surface=keep_surface)


_TOKENIZER = ArabicTokenizer()


def tokens_with_offsets(text: str) -> list[tuple[str, str, int, int]]:
    """(surface, stem, startchar, endchar) for every word of ``text``.

    Used by the snippet builder and by query analysis, so that highlighting, querying and
    indexing agree on what a word is.
    """
    out = []
    for t in _TOKENIZER(text, chars=True, mode="query"):
        surface, stem = analyze_word(t.text)
        if surface:
            out.append((surface, stem, t.startchar, t.endchar))
    return out
