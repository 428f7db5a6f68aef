"""Autocomplete and "did you mean": both work on normalized forms, shown in written forms.

Completions come from the words and titles of the indexed articles (headline vocabulary is what
readers search for: names, places, events), ranked by how many titles use them. Each word is
shown in its most frequent written spelling without diacritics (مدرسة, not the normalized مدرسه).

Spelling correction proposes, for a query word that the index barely knows, the candidate at
edit distance one (a letter missing, extra, replaced or two swapped — plus two words run
together or split) that the most documents contain. Replacements between letters Arabic
writers commonly confuse (ض/ظ, ذ/ز, س/ص, ت/ة, ه/ة) count double (Buckwalter & Parkinson's
frequency dictionary lists these among the commonest learner and typist slips).

The work is bounded because the input is not: a word of n letters has ~60n candidates, each a
stem and two index lookups (~35 us), and a query may hold a 1000-letter "word". Only Arabic
words of at most ``MAX_CORRECTION_LETTERS`` letters get edit candidates (longer strings are
not misspelled words: see the constant), run-together splits are tried up to
``MAX_SPLIT_LETTERS``, and at most ``MAX_CANDIDATES`` candidates are looked up per word.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets

_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALPHABET = sorted(set(arabic.normalize("ابتثجحخدذرزسشصضطظعغفقكلمنهويءئؤة")))
_LETTERS = frozenset(_ALPHABET)
_CONFUSABLE = [("ض", "ظ"), ("ذ", "ز"), ("س", "ص"), ("ت", "ه"), ("ت", "ة")]
CONFUSION_BONUS = 2.0
#: Longest word given edit candidates. The classical "longest Arabic word" أفاستسقيناكموها has
#: 15 letters, and in SaudiNewsNet 99.999% of body tokens have at most 15 (the longer terms are
#: run-togethers, chemical names and elongated cries such as طاااااااير): a longer string is
#: not a word with one slip in it. A 15-letter word has ~900 candidates.
MAX_CORRECTION_LETTERS = 15
#: Longest string tried as two words run together (two words of the bound above, roughly).
MAX_SPLIT_LETTERS = 30
#: Candidates looked up per word at most (edits of a 15-letter word and its splits fit).
MAX_CANDIDATES = 1000
#: Longest autocomplete prefix whose completions are cached (no title word is longer: 16
#: letters in SaudiNewsNet); longer prefixes are answered uncached, they complete nothing.
MAX_CACHED_PREFIX = 20


def strip_marks(word: str) -> str:
    """A written word without diacritics or tatweel: how suggestions are shown."""
    return _MARKS.sub("", word)

MAX_TITLE_COMPLETIONS = 3


class Suggester:
    """Built once per index generation from the indexed titles."""

    def __init__(self, titles: Iterable[str]) -> None:
        spellings: dict[str, Counter[str]] = defaultdict(Counter)
        title_keys: list[tuple[str, str]] = []
        for title in titles:
            for surface, _, s, e in tokens_with_offsets(title):
                if len(surface) >= 2 and not surface.isdigit():
                    spellings[surface][strip_marks(title[s:e])] += 1
            title_keys.append((arabic.normalize(title), title))
        self.counts = {w: sum(c.values()) for w, c in spellings.items()}
        self.display = {w: c.most_common(1)[0][0] for w, c in spellings.items()}
        self.words = sorted(self.counts)
        title_keys.sort()
        self._title_keys = [k for k, _ in title_keys]
        self._titles = [t for _, t in title_keys]
        self._complete_cached = lru_cache(maxsize=4096)(self._complete_word_uncached)

    def _complete_word(self, prefix: str, limit: int) -> tuple[str, ...]:
        if len(prefix) > MAX_CACHED_PREFIX:
            return self._complete_word_uncached(prefix, limit)
        return self._complete_cached(prefix, limit)

    def _complete_word_uncached(self, prefix: str, limit: int) -> tuple[str, ...]:
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\uffff")
        best = heapq.nlargest(limit, self.words[lo:hi], key=lambda w: (self.counts[w], -len(w)))
        return tuple(self.display[w] for w in best)

    def complete(self, text: str, limit: int = 10) -> list[str]:
        """Completions of the last word of ``text`` (keeping the words before it as typed),
        then up to three titles that start with ``text``."""
        text = text.strip()
        norm = arabic.normalize(text)
        if not norm:
            return []
        head, _, last = text.rpartition(" ")
        last_norm = arabic.normalize(last)
        out: list[str] = []
        if last_norm:
            for word in self._complete_word(last_norm, limit):
                out.append(f"{head} {word}" if head else word)
        i = bisect.bisect_left(self._title_keys, norm)
        titles = []
        while i < len(self._titles) and self._title_keys[i].startswith(norm):
            if self._titles[i] not in titles:
                titles.append(self._titles[i])
            if len(titles) == MAX_TITLE_COMPLETIONS:
                break
            i += 1
        room = max(0, limit - len(titles))
        return [*dict.fromkeys(out[:room]), *titles][:limit]


def correctable(word: str) -> bool:
    """Whether normalized ``word`` gets edit candidates: Arabic letters only (the candidate
    alphabet is Arabic: digits and Latin words would only get nonsense), of a word's length."""
    return 3 <= len(word) <= MAX_CORRECTION_LETTERS and all(c in _LETTERS for c in word)


def edits(word: str) -> dict[str, float]:
    """Candidates at edit distance one, with a weight (confusable replacements count double).
    Empty for a string longer than ``MAX_CORRECTION_LETTERS`` (see ``correctable``)."""
    out: dict[str, float] = {}
    if len(word) > MAX_CORRECTION_LETTERS:
        return out
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for a, b in splits:
        if b:
            out.setdefault(a + b[1:], 1.0)  # deletion
        if len(b) > 1:
            out.setdefault(a + b[1] + b[0] + b[2:], 1.0)  # transposition
        for c in _ALPHABET:
            out.setdefault(a + c + b, 1.0)  # insertion
            if b and c != b[0]:
                weight = CONFUSION_BONUS if _confusable(b[0], c) else 1.0
                out[a + c + b[1:]] = max(out.get(a + c + b[1:], 0.0), weight)
    out.pop(word, None)
    return out


def _confusable(x: str, y: str) -> bool:
    return (x, y) in _CONFUSABLE or (y, x) in _CONFUSABLE


def correct_word(word: str, df: Callable[[str], int],
                 budget: int = MAX_CANDIDATES) -> tuple[str, int] | None:
    """Best correction of one normalized ``word`` given ``df(term) -> document count``.

    Calls ``df`` at most ``budget`` times (capped at ``MAX_CANDIDATES``): edits first, then
    the splits into two words (two calls each); nothing at all for a string that is neither
    ``correctable`` nor short enough to split.
    """
    budget = min(budget, MAX_CANDIDATES)
    best, best_score, best_df = None, 0.0, 0
    if correctable(word):
        for cand, weight in itertools.islice(edits(word).items(), budget):
            budget -= 1
            n = df(cand)
            if n and n * weight > best_score:
                best, best_score, best_df = cand, n * weight, n
    if len(word) <= MAX_SPLIT_LETTERS:
        for i in range(2, len(word) - 1):  # two words run together
            if budget < 2:
                break
            budget -= 2
            left, right = word[:i], word[i:]
            n = min(df(left), df(right))
            if n and n > best_score:
                best, best_score, best_df = f"{left} {right}", n, n
    return (best, best_df) if best else None
