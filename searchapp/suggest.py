"""Autocomplete and "did you mean": both work on normalized forms, shown in written forms.

Completions come from the words, phrases and titles of the indexed articles (headline
vocabulary is what readers search for: names, places, events), ranked by how many titles use
them (document frequency). Each word is shown in its most frequent written spelling without
diacritics (مدرسة, not the normalized مدرسه; أسعار with its hamza).

The last typed word is completed in the context of the words before it: ``ولي ال`` offers
ولي العهد, the phrase headlines use, not ولي إلى. Phrases are the 2- and 3-word sequences of
title words (within one clause: no phrase across a colon or a dash, none starting or ending
with a function word), ``MAX_PHRASES`` of them kept by frequency and offered once seen in
``MIN_PHRASE_TITLES`` titles. A word with a glued clitic whose remainder is a word at least as
frequent (بوزارة: وزارة; للوزارة: الوزارة) is not offered as a word (see :func:`glued`).

Spelling correction proposes, for a query word that the index barely knows, the candidate at
edit distance one (a letter missing, extra, replaced or two swapped — plus two words run
together or split) with the best frequency x edit weight. A replacement Arabic writers and
typists commonly make weighs ``CONFUSION_BONUS`` times a plain edit (see :func:`confusable`):
letters that differ only by their dots (one skeleton: ب ت ث ن ي, ج ح خ, د ذ, ر ز, س ش, ص ض,
ط ظ, ع غ, ف ق), neighbouring keys on the standard Arabic keyboard, and the sound confusions
ض/ظ, ذ/ز, ظ/ز, س/ص, ث/س, ت/ه (Buckwalter & Parkinson's frequency dictionary lists these among
the commonest learner and typist slips). Hamza seats, ة/ه and ى/ي need no edit: they are
folded by normalization.

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
#: Letters sharing one skeleton (rasm), told apart by dots only: a dot misread or mistyped.
_SKELETONS = ("بتثني", "جحخ", "دذ", "رز", "سش", "صض", "طظ", "عغ", "فق")
#: Sound confusions (dialect pronunciation: ظ as ض or ز, ث as س, ذ as ز) and ت/ه (final ة).
_SOUNDS = (("ض", "ظ"), ("ذ", "ز"), ("ظ", "ز"), ("س", "ص"), ("ث", "س"), ("ت", "ه"))
#: The standard Arabic (101) keyboard's letter rows, normalized (ئ ؤ ء are one letter; ى is ي,
#: ة is ه), with each row's offset in key widths: keys within one width are neighbours.
_KEY_ROWS = ((0.0, "ضصثقفغعهخحجد"), (0.25, "شسيبلاتنمكط"), (0.75, "ءءءر يهوزظ"))


def _neighbour_keys() -> set[frozenset[str]]:
    keys = [(x + i, y, c) for y, (x, row) in enumerate(_KEY_ROWS) for i, c in enumerate(row)
            if c != " "]
    return {frozenset((a, b)) for xa, ya, a in keys for xb, yb, b in keys
            if a != b and abs(ya - yb) <= 1 and abs(xa - xb) <= 1.0}


_CONFUSABLE: frozenset[frozenset[str]] = frozenset(
    {frozenset((a, b)) for group in _SKELETONS for a in group for b in group if a != b}
    | {frozenset(pair) for pair in _SOUNDS} | _neighbour_keys())
#: Weight of a confusable replacement relative to any other edit.
CONFUSION_BONUS = 4.0
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
#: Frequent words with the typed prefix whose co-occurrence with the context is counted.
CONTEXT_CANDIDATES = 30


#: Distinct title words an index keeps for completion and correction display, most frequent
#: first: an archive's long tail of once-seen names would otherwise grow without bound (a
#: million synthetic-archive titles have ~700,000 distinct words).
MAX_WORDS = 300_000
#: Phrases kept (2-3 words), most frequent first, and the titles one must appear in to be
#: offered: SaudiNewsNet's 31 k titles have ~40,000 phrases in 3+ titles; an archive of a
#: million ~1 M, so the cap is what bounds the file (~20 MB) and the server's memory.
MAX_PHRASES = 300_000
MIN_PHRASE_TITLES = 3
#: Distinct phrases counted in memory while indexing before the rarest are dropped (lossy
#: counting: a phrase dropped early may be undercounted; one in hundreds of titles is not).
#: About 127 bytes each (measured on SaudiNewsNet's phrases): ~120 MB at the cap.
MAX_COUNTED_PHRASES = 1_000_000
PHRASE_WORDS = (2, 3)
#: Proclitics a title word may carry (conjunction و/ف, prepositions ب/ل/ك and their pairs).
CLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")
_CLAUSE_BREAKS = re.compile(r"[.:;!?،؛؟«»\"()\[\]{}|/\-–—…]+")

WORDS_FILE = "suggest-words.json"
#: Optional (indexes written before it have no phrases and still load).
PHRASES_FILE = "suggest-phrases.json"
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
    phrases and sorting titles is a pass over every title, too long for a server's start or
    for the switch to a new generation.

    Words are counted by normalized form (``arabic.normalize``, what ``analyze_word`` calls
    the surface) without stemming them: suggestions never need the stem, and stemming a
    million titles' cold vocabulary was most of the cost (100 us a title, measured).
    """
    counts, display, keyed, phrases = _count_titles(titles)
    _write_files(Path(directory), counts, display, iter(keyed), phrases)


def title_phrases(words: list[str]) -> set[str]:
    """The phrases one title contributes: ``PHRASE_WORDS``-long runs of its words (normalized,
    one list per clause), none starting or ending with a function word or holding a number."""
    out: set[str] = set()
    for n in PHRASE_WORDS:
        for i in range(len(words) - n + 1):
            run = words[i:i + n]
            if (arabic.is_stop_word(run[0]) or arabic.is_stop_word(run[-1])
                    or any(w.isdigit() or len(w) < 2 for w in run)):
                continue
            out.add(" ".join(run))
    return out


class _PhraseCounts(dict):
    """Titles per phrase, at most ``MAX_COUNTED_PHRASES`` of them: when full, the phrases
    seen in the fewest titles so far are dropped until half the room is free."""

    def add(self, phrases: Iterable[str], n: int = 1) -> None:
        for p in phrases:
            self[p] = self.get(p, 0) + n
        if len(self) > MAX_COUNTED_PHRASES:
            floor = 1
            while len(self) > MAX_COUNTED_PHRASES // 2:
                for p in [p for p, c in self.items() if c <= floor]:
                    del self[p]
                floor += 1


def _clauses(title: str) -> Iterator[list[str]]:
    normalize = arabic.normalize
    for clause in _CLAUSE_BREAKS.split(title):
        yield [normalize(w) for w in WORDS.findall(clause)]


def _count_titles(titles: Iterable[str]) -> tuple[dict[str, int], dict[str, str],
                                                  list[tuple[str, str]], dict[str, int]]:
    """(titles per word, written form per word, sorted (key, title) lines, titles per
    phrase) of ``titles``. The written form is the word's most frequent spelling."""
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    phrases = _PhraseCounts()
    keyed: list[tuple[str, str]] = []
    normalize = arabic.normalize
    for title in titles:
        marked = _MARKS.search(title) is not None
        seen: set[str] = set()
        for m in WORDS.finditer(title):
            raw = m.group()
            surface = normalize(raw)
            if len(surface) >= 2 and not surface.isdigit():
                pairs[surface, strip_marks(raw) if marked else raw] += 1
                seen.add(surface)
        for w in seen:
            counts[w] += 1
        phrases.add(set().union(*map(title_phrases, _clauses(title))))
        title = _LINE_BREAKS.sub(" ", title)
        keyed.append((normalize(title), title))
    display: dict[str, str] = {}
    best: dict[str, int] = {}
    for (surface, written), n in pairs.items():
        if n > best.get(surface, 0):
            best[surface], display[surface] = n, written
    keyed.sort()
    return dict(counts), display, keyed, dict(phrases)


def update_suggestions(directory: str | os.PathLike, base: str | os.PathLike,
                       added: list[str], removed: list[str]) -> None:
    """The suggestions of ``base`` (the previous generation) with the titles of ``added``
    articles counted in and those of ``removed`` ones counted out: an incremental reindex of
    a thousand articles must not recount a million titles (~55 s).

    Counts of words outside the kept ``MAX_WORDS`` (phrases outside ``MAX_PHRASES``) were
    not recorded, so such a word comes back with only the new titles' count; the next full
    rebuild recounts exactly. A base written before phrases were kept has its phrases
    counted from its titles, once.
    """
    base = Path(base)
    with open(base / WORDS_FILE, encoding="utf-8") as f:
        rows = json.load(f)
    counts = {w: c for w, c, _ in rows}
    display = {w: d for w, _, d in rows}
    add_counts, add_display, add_keyed, add_phrases = _count_titles(added)
    del_counts, _, del_keyed, del_phrases = _count_titles(removed)
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

    kept: Iterator[tuple[str, str]] | list[tuple[str, str]] = kept_old()
    if (base / PHRASES_FILE).exists():
        phrases = _load_phrases(base / PHRASES_FILE)[0]
        for p, n in del_phrases.items():
            if p in phrases:
                phrases[p] -= n
                if phrases[p] <= 0:
                    del phrases[p]
    else:
        kept = list(kept)
        phrases = _count_titles(t for _, t in kept)[3]
    for p, n in add_phrases.items():
        phrases[p] = phrases.get(p, 0) + n
    _write_files(Path(directory), counts, display, heapq.merge(kept, add_keyed), phrases)


def _write_files(root: Path, counts: dict[str, int], display: dict[str, str],
                 keyed: Iterator[tuple[str, str]], phrases: dict[str, int]) -> None:
    kept = heapq.nlargest(MAX_WORDS, counts, key=lambda w: (counts[w], w))
    words = sorted((w, counts[w], display[w]) for w in kept)
    top = heapq.nlargest(MAX_PHRASES, phrases, key=lambda p: (phrases[p], p))
    rows = sorted((p, phrases[p], " ".join(display.get(w, w) for w in p.split()))
                  for p in top)
    # Each file is written beside and renamed over its name: a new generation starts as hard
    # links to the previous one's files, which a running server may still be reading.
    with _replacing(root / WORDS_FILE) as f:
        f.write(json.dumps(words, ensure_ascii=False, separators=(",", ":")).encode())
    with _replacing(root / PHRASES_FILE) as f:
        f.write(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode())
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


def _load_phrases(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    with open(path, encoding="utf-8") as f:
        rows = json.load(f)
    return {p: c for p, c, _ in rows}, {p: d for p, _, d in rows}


@contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        yield f
    os.replace(tmp, path)


def has_suggestions(directory: str | os.PathLike) -> bool:
    """Whether ``directory`` holds persisted suggestions (phrases are optional: an index
    written before them completes words and titles only)."""
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
        self.phrase_counts: dict[str, int] = {}  # only the phrases offered
        self.phrase_display: dict[str, str] = {}
        if (root / PHRASES_FILE).exists():
            with open(root / PHRASES_FILE, encoding="utf-8") as f:
                for p, c, d in json.load(f):
                    if c >= MIN_PHRASE_TITLES:
                        self.phrase_counts[p], self.phrase_display[p] = c, d
        self.phrases = sorted(self.phrase_counts)
        self._titles = _Titles(root / TITLES_FILE, root / OFFSETS_FILE)
        self._complete_cached = lru_cache(maxsize=4096)(self._complete_word_uncached)
        self._phrases_cached = lru_cache(maxsize=4096)(self._complete_phrase_uncached)
        self.glued = lru_cache(maxsize=65536)(self._glued)

    @classmethod
    def from_titles(cls, titles: Iterable[str]) -> Suggester:
        with tempfile.TemporaryDirectory(prefix="searchapp-suggest-") as tmp:
            write_suggestions(tmp, titles)
            return cls(tmp)  # the mmap outlives the unlinked file

    def _glued(self, word: str) -> bool:
        """Whether normalized ``word`` is a clitic glued to a word at least as frequent in
        titles (بوزارة: وزارة; للوزارة: الوزارة; والرياض: الرياض): readers search the word,
        so the glued form is no completion. A remainder of two letters (ولي: لي) or a
        function word (والي: الي) does not count."""
        n = self.counts.get(word, 0)
        for p in CLITICS:
            if not word.startswith(p):
                continue
            rest = word[len(p):]
            for cand in (rest, "ا" + rest) if p.endswith("ل") and rest[:1] == "ل" else (rest,):
                if (len(cand) >= 3 and not arabic.is_stop_word(cand)
                        and self.counts.get(cand, 0) >= n):
                    return True
        return False

    def _complete_word(self, prefix: str, limit: int) -> tuple[str, ...]:
        """Normalized words (see ``_complete_word_uncached``)."""
        if len(prefix) > MAX_CACHED_PREFIX:
            return self._complete_word_uncached(prefix, limit)
        return self._complete_cached(prefix, limit)

    def _complete_word_uncached(self, prefix: str, limit: int) -> tuple[str, ...]:
        """The ``limit`` most frequent title words starting with ``prefix`` (normalized),
        glued forms left out."""
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\uffff")
        ranked = sorted(self.words[lo:hi], key=lambda w: (-self.counts[w], len(w), w))
        return tuple(itertools.islice((w for w in ranked if not self.glued(w)), limit))

    def _complete_phrase(self, key: str, words: int, limit: int) -> tuple[tuple[str, int], ...]:
        if len(key) > 3 * MAX_CACHED_PREFIX:
            return self._complete_phrase_uncached(key, words, limit)
        return self._phrases_cached(key, words, limit)

    def _complete_phrase_uncached(self, key: str, words: int, limit: int
                                  ) -> tuple[tuple[str, int], ...]:
        """The ``limit`` most frequent phrases of ``words`` words whose normalized form starts
        with ``key``, as (written form, titles), none of its words a glued form."""
        lo = bisect.bisect_left(self.phrases, key)
        hi = bisect.bisect_left(self.phrases, key + "\uffff")
        found = [p for p in self.phrases[lo:hi] if p.count(" ") == words - 1]
        found.sort(key=lambda p: (-self.phrase_counts[p], len(p), p))
        best = itertools.islice((p for p in found if not any(map(self.glued, p.split()))),
                                limit)
        return tuple((self.phrase_display[p], self.phrase_counts[p]) for p in best)

    def complete(self, text: str, limit: int = 10,
                 cooccurring: Callable[[str, str], int] | None = None) -> list[str]:
        """Completions of ``text`` for an autocomplete box, most searched first.

        The typed words before the last are kept as typed. With such words, the last one is
        completed as the title phrases continuing the last one or two of them do (``ولي ال``:
        ولي العهد, then ولي العهد السعودي); with none (or no phrase), as the most frequent
        title words with its prefix, and a lone prefix also as the phrases starting with it.
        ``cooccurring(a, b)``, titles holding both normalized words (the engine counts them
        from the index), puts first, when no phrase continues the context, the words that
        headlines use with its last word (``الرئيس بو``: بوتين, in titles with الرئيس, before
        the more frequent coach's name بولوني). Up to three titles starting with ``text``
        come last."""
        text = text.strip()
        norm = arabic.normalize(text)
        if not norm:
            return []
        typed = text.split()
        head, last = typed[:-1], arabic.normalize(typed[-1])
        context = [arabic.normalize(w) for w in head]
        out: list[str] = []
        if last and context:
            for n in (2, 1):  # the longest context headlines continue
                if len(context) < n or any(not w for w in context[-n:]):
                    continue
                key = " ".join([*context[-n:], last])
                found = [*self._complete_phrase(key, n + 1, limit),
                         *(self._complete_phrase(key, n + 2, limit) if n == 1 else ())]
                for phrase, _ in found:
                    out.append(" ".join([*head, *phrase.split()[n:]]))
                if out:
                    break
        if last and not out:
            with_context = bool(context and context[-1] and cooccurring)
            words = self._complete_word(last, CONTEXT_CANDIDATES if with_context else limit)
            if with_context:  # in titles with the context word first, then by frequency
                together = {w: cooccurring(context[-1], w) for w in words}
                words = tuple(sorted(words, key=lambda w: -together[w]))  # stable
            ranked = [(self.counts[w], self.display[w]) for w in words[:limit]]
            if not context and len(last) >= 2:
                ranked += [(c, p) for p, c in self._complete_phrase(last, 2, limit)]
                ranked.sort(key=lambda cw: -cw[0])  # stable: words before equal phrases
            out = [" ".join([*head, w]) for _, w in ranked]
        out = list(dict.fromkeys(out))
        # Titles take the room completions leave, and a third of a short list at least.
        titles = self._titles.starting_with(
            norm, min(MAX_TITLE_COMPLETIONS, max(limit - len(out), limit // 3)))
        return [*out[:limit - len(titles)], *titles][:limit]


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
                weight = CONFUSION_BONUS if confusable(b[0], c) else 1.0
                out[a + c + b[1:]] = max(out.get(a + c + b[1:], 0.0), weight)
    out.pop(word, None)
    return out


def confusable(x: str, y: str) -> bool:
    """Whether replacing normalized letter ``x`` by ``y`` is a common slip (dots, keyboard
    neighbours, sound: see the module docstring)."""
    return frozenset((x, y)) in _CONFUSABLE


def correct_word(word: str, df: Callable[[str], int], budget: int = MAX_CANDIDATES, *,
                 known: bool = False) -> tuple[str, int] | None:
    """Best correction of one normalized ``word`` given ``df(term) -> document count``, as
    (candidate, its count); see :func:`corrections`."""
    found = corrections(word, df, budget, known=known)
    return (found[0][0], found[0][2]) if found else None


def corrections(word: str, df: Callable[[str], int], budget: int = MAX_CANDIDATES, *,
                known: bool = False, keep: int = 5) -> list[tuple[str, float, int]]:
    """The ``keep`` best corrections of one normalized ``word``, as (candidate, score,
    count), best first: score is count x edit weight (:func:`edits`).

    Calls ``df`` at most ``budget`` times (capped at ``MAX_CANDIDATES``): edits first, then
    the splits into two words (two calls each); nothing at all for a string that is neither
    ``correctable`` nor short enough to split. A ``known`` word (in the index, if rarely) is
    not split and does not lose a leading clitic letter (بمعاق is not a slip for معاق).
    """
    budget = min(budget, MAX_CANDIDATES)
    found: list[tuple[str, float, int]] = []
    if correctable(word):
        for cand, weight in itertools.islice(edits(word).items(), budget):
            budget -= 1
            if known and cand == word[1:] and word[0] in "وفبلك":
                continue
            n = df(cand)
            if n:
                found.append((cand, n * weight, n))
    if len(word) <= MAX_SPLIT_LETTERS and not known:
        for i in range(2, len(word) - 1):  # two words run together
            if budget < 2:
                break
            budget -= 2
            left, right = word[:i], word[i:]
            n = min(df(left), df(right))
            if n:
                found.append((f"{left} {right}", n, n))
    return heapq.nlargest(keep, found, key=lambda c: c[1])
