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
import json
import mmap
import os
import re
import tempfile
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

from searchapp import arabic
from searchapp.analysis import _WORDS as WORDS

_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALPHABET = sorted(set(arabic.normalize("ابتثجحخدذرزسشصضطظعغفقكلمنهويءئؤة")))
_LETTERS = frozenset(_ALPHABET)
_LINE_BREAKS = re.compile(r"[\t\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+")
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


#: Distinct title words an index keeps for completion and correction display, most frequent
#: first: an archive's long tail of once-seen names would otherwise grow without bound (a
#: million synthetic-archive titles have ~700,000 distinct words).
MAX_WORDS = 300_000
WORDS_FILE = "suggest-words.json"
TITLES_FILE = "suggest-titles.txt"
OFFSETS_FILE = "suggest-titles.npy"


class _Titles:
    """Titles sorted by normalized form, in a file of ``key\ttitle`` lines read through mmap
    (the OS page cache, not the process heap: a million titles are ~250 MB as Python strings),
    with an array of line offsets to bisect on."""

    def __init__(self, text_path: Path, offsets_path: Path) -> None:
        self._offsets = np.load(offsets_path, mmap_mode="r")
        size = text_path.stat().st_size
        self._buf: mmap.mmap | bytes = b""
        if size:
            with open(text_path, "rb") as f:
                self._buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

    def __len__(self) -> int:
        return max(0, len(self._offsets) - 1)

    def line(self, i: int) -> tuple[str, str]:
        raw = self._buf[int(self._offsets[i]):int(self._offsets[i + 1]) - 1]
        key, _, title = raw.decode("utf-8").partition("\t")
        return key, title

    def starting_with(self, prefix: str, limit: int) -> list[str]:
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.line(mid)[0] < prefix:
                lo = mid + 1
            else:
                hi = mid
        out: list[str] = []
        while lo < len(self) and len(out) < limit:
            key, title = self.line(lo)
            if not key.startswith(prefix):
                break
            if title not in out:
                out.append(title)
            lo += 1
        return out


def write_suggestions(directory: str | os.PathLike, titles: Iterable[str]) -> None:
    """Persist what :class:`Suggester` serves, at index time: counting title words and
    sorting titles is a pass over every title, too long for a server's start or for the
    switch to a new generation.

    Words are counted by normalized form (``arabic.normalize``, what ``analyze_word`` calls
    the surface) without stemming them: suggestions never need the stem, and stemming a
    million titles' cold vocabulary was most of the cost (100 us a title, measured).
    """
    counts, display, keyed = _count_titles(titles)
    _write_files(Path(directory), counts, display, iter(keyed))


def _count_titles(titles: Iterable[str]) -> tuple[dict[str, int], dict[str, str],
                                                  list[tuple[str, str]]]:
    """(word counts, written form per word, sorted (key, title) lines) of ``titles``."""
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    keyed: list[tuple[str, str]] = []
    normalize = arabic.normalize
    for title in titles:
        marked = _MARKS.search(title) is not None
        for m in WORDS.finditer(title):
            raw = m.group()
            surface = normalize(raw)
            if len(surface) >= 2 and not surface.isdigit():
                pairs[surface, strip_marks(raw) if marked else raw] += 1
        title = _LINE_BREAKS.sub(" ", title)
        keyed.append((normalize(title), title))
    counts: dict[str, int] = defaultdict(int)
    display: dict[str, str] = {}
    best: dict[str, int] = {}
    for (surface, written), n in pairs.items():
        counts[surface] += n
        if n > best.get(surface, 0):
            best[surface], display[surface] = n, written
    keyed.sort()
    return counts, display, keyed


def update_suggestions(directory: str | os.PathLike, base: str | os.PathLike,
                       added: list[str], removed: list[str]) -> None:
    """The suggestions of ``base`` (the previous generation) with the titles of ``added``
    articles counted in and those of ``removed`` ones counted out: an incremental reindex of
    a thousand articles must not recount a million titles (~55 s).

    Counts of words outside the kept ``MAX_WORDS`` were not recorded, so such a word comes
    back with only the new titles' count; the next full rebuild recounts exactly.
    """
    base = Path(base)
    with open(base / WORDS_FILE, encoding="utf-8") as f:
        rows = json.load(f)
    counts = {w: c for w, c, _ in rows}
    display = {w: d for w, _, d in rows}
    add_counts, add_display, add_keyed = _count_titles(added)
    del_counts, _, del_keyed = _count_titles(removed)
    for w, n in add_counts.items():
        counts[w] = counts.get(w, 0) + n
        display.setdefault(w, add_display[w])
    for w, n in del_counts.items():
        if w in counts:
            counts[w] -= n
            if counts[w] <= 0:
                del counts[w], display[w]
    gone: dict[tuple[str, str], int] = defaultdict(int)
    for pair in del_keyed:
        gone[pair] += 1
    old = _Titles(base / TITLES_FILE, base / OFFSETS_FILE)

    def kept_old() -> Iterator[tuple[str, str]]:
        for i in range(len(old)):
            pair = old.line(i)
            if gone.get(pair):
                gone[pair] -= 1
                continue
            yield pair

    _write_files(Path(directory), counts, display, heapq.merge(kept_old(), add_keyed))


def _write_files(root: Path, counts: dict[str, int], display: dict[str, str],
                 keyed: Iterator[tuple[str, str]]) -> None:
    kept = heapq.nlargest(MAX_WORDS, counts, key=lambda w: (counts[w], w))
    words = sorted((w, counts[w], display[w]) for w in kept)
    # Each file is written beside and renamed over its name: a new generation starts as hard
    # links to the previous one's files, which a running server may still be reading.
    with _replacing(root / WORDS_FILE) as f:
        f.write(json.dumps(words, ensure_ascii=False, separators=(",", ":")).encode())
    offsets = array("q", [0])
    with _replacing(root / TITLES_FILE) as f:
        pos = 0
        for key, title in keyed:
            line = f"{key}\t{title}\n".encode()
            f.write(line)
            pos += len(line)
            offsets.append(pos)
    offsets = np.frombuffer(offsets, dtype=np.int64)
    with _replacing(root / OFFSETS_FILE) as f:
        np.save(f, offsets)


@contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        yield f
    os.replace(tmp, path)


def has_suggestions(directory: str | os.PathLike) -> bool:
    root = Path(directory)
    return all((root / n).exists() for n in (WORDS_FILE, TITLES_FILE, OFFSETS_FILE))


class Suggester:
    """One index generation's completions, read from the files :func:`write_suggestions`
    wrote in it (``Suggester.from_titles`` builds them in a temporary directory)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        root = Path(directory)
        with open(root / WORDS_FILE, encoding="utf-8") as f:
            rows = json.load(f)
        self.words = [w for w, _, _ in rows]
        self.counts = {w: c for w, c, _ in rows}
        self.display = {w: d for w, _, d in rows}
        self._titles = _Titles(root / TITLES_FILE, root / OFFSETS_FILE)
        self._complete_cached = lru_cache(maxsize=4096)(self._complete_word_uncached)

    @classmethod
    def from_titles(cls, titles: Iterable[str]) -> Suggester:
        with tempfile.TemporaryDirectory(prefix="searchapp-suggest-") as tmp:
            write_suggestions(tmp, titles)
            return cls(tmp)  # the mmap outlives the unlinked file

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
        titles = self._titles.starting_with(norm, MAX_TITLE_COMPLETIONS)
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
