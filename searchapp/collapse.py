"""Near-duplicate collapsing: syndicated copies of one story folded under one result.

Several outlets publish the same wire story (SPA, Reuters) with the same or a near-same title
and body; on a news query they fill the first page. With ``collapse=True`` the engine lists
each story once: the first copy in the page's order (the best-ranked for relevance, the newest
for newest first, the earliest, i.e. the original, for oldest first) keeps its place and the
others' ids go to its ``Hit.similar``.

Detection is at query time, from stored fields of the ranked candidates only (no index
field, no schema change): a copy shares most of the word 3-shingles of the lead (title and
first ``LEAD_WORDS`` words of the body) with the kept story, or has the same title and a
similar lead, and is dated within ``MAX_DAYS_APART`` days (a daily report under a fixed
headline, أسعار النفط تغلق على تراجع, is a new story every day). The thresholds were
read off SaudiNewsNet's top tens (see the report of issue 13).

Paging stays consistent because folding is greedy in rank order: whether a document is a
copy depends only on the documents ranked before it, so page 2 lists the stories after page
1's, never a copy of them. The cost is bounded: a page reads the stored fields of at most
``MAX_SCAN`` candidates (about 0.5 ms each on SaudiNewsNet: page 1 costs 5-30 ms more, page
50 half a second); beyond them documents are listed as they come, uncollapsed.
``total`` still counts articles, not stories (counting stories would read every match).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from searchapp import arabic
from searchapp.analysis import _WORDS as WORDS

#: Words of the body read for the lead signature (about the first paragraph).
LEAD_WORDS = 60
#: Shared lead shingles (Jaccard) above which two articles are copies of one story.
SAME_LEAD = 0.5
#: Lower bar when the normalized titles are equal.
SAME_TITLE_LEAD = 0.2
#: Copies of one story appear within days of each other.
MAX_DAYS_APART = 3
#: Candidates whose stored fields a page may read (the page's stories and their copies).
MAX_SCAN = 1000
#: Candidates read past the last story of the page, to find its copies ranked just below.
LOOKAHEAD = 20

Ranked = list[tuple[int, float]]
Group = tuple[int, float, tuple[str, ...]]


@dataclass(frozen=True)
class Signature:
    """What two articles are compared by: normalized title, lead shingles, date."""

    id: str
    title: str
    shingles: frozenset[int]
    date: datetime | None


def signature(stored: dict) -> Signature:
    """The :class:`Signature` of one stored document (its ``title``, ``doc`` and ``date``)."""
    doc = json.loads(stored.get("doc", "{}"))
    title = " ".join(arabic.normalize(w) for w in WORDS.findall(stored.get("title", "")))
    lead: list[str] = []
    for p in [doc.get("subtitle") or "", *doc.get("paragraphs", [])]:
        lead += (arabic.normalize(w) for w in WORDS.findall(p))
        if len(lead) >= LEAD_WORDS:
            break
    lead = lead[:LEAD_WORDS]
    shingles = frozenset(hash(tuple(lead[i:i + 3])) for i in range(max(0, len(lead) - 2)))
    return Signature(stored["id"], title, shingles, stored.get("date"))


def near_duplicates(a: Signature, b: Signature) -> bool:
    """Whether ``a`` and ``b`` are copies of one story (see the module docstring)."""
    if a.date and b.date and abs((a.date - b.date).days) > MAX_DAYS_APART:
        return False
    if not a.shingles or not b.shingles:
        return bool(a.title) and a.title == b.title and not a.shingles and not b.shingles
    shared = len(a.shingles & b.shingles) / len(a.shingles | b.shingles)
    return shared >= (SAME_TITLE_LEAD if a.title and a.title == b.title else SAME_LEAD)


class Collapser:
    """Folds one query's ranking (``top(k)``: its first k (docnum, score)) into stories.

    Folding is incremental (each candidate is compared once, as the scan widens) and each
    candidate is compared only with the kept stories sharing a lead shingle or its title,
    found through two small inverted maps: a page deep in the results costs its reads, not
    stories x candidates comparisons."""

    def __init__(self, searcher, top: Callable[[int], Ranked]) -> None:
        self.searcher = searcher
        self.top = top
        self._kept: list[tuple[int, float, Signature, list[str]]] = []
        self._at: list[int] = []  # position in the ranking of each kept story
        self._by_shingle: dict[int, list[int]] = {}
        self._by_title: dict[str, list[int]] = {}
        self._scanned = 0

    def _add(self, i: int, docnum: int, score: float) -> None:
        sig = signature(self.searcher.stored_fields(docnum))
        near = set(self._by_title.get(sig.title, ())) if sig.title else set()
        for sh in sig.shingles:
            near.update(self._by_shingle.get(sh, ()))
        for k in sorted(near):  # the best-ranked matching story
            if near_duplicates(self._kept[k][2], sig):
                self._kept[k][3].append(sig.id)
                return
        k = len(self._kept)
        self._kept.append((docnum, score, sig, []))
        self._at.append(i)
        for sh in sig.shingles:
            self._by_shingle.setdefault(sh, []).append(k)
        if sig.title:
            self._by_title.setdefault(sig.title, []).append(k)

    def fold(self, ranked: Ranked) -> list[Group]:
        """Stories of ``ranked`` (which extends the ranking folded so far) in order, each
        with its copies' ids."""
        prefetch = getattr(self.searcher, "prefetch", None)
        if prefetch is not None and len(ranked) > self._scanned:  # a remote reader: one round
            prefetch([d for d, _ in ranked[self._scanned:]])
        for i in range(self._scanned, len(ranked)):
            self._add(i, *ranked[i])
        self._scanned = max(self._scanned, len(ranked))
        return [(d, s, tuple(sim)) for d, s, _, sim in self._kept]

    def page(self, page: int, per_page: int) -> list[Group]:
        """The stories of page ``page`` (from 1)."""
        need = page * per_page
        k = min(MAX_SCAN, 2 * need + LOOKAHEAD)
        while True:
            ranked = self.top(k)
            groups = self.fold(ranked)
            exhausted = len(ranked) < k
            if exhausted or k == MAX_SCAN:
                break
            if len(groups) >= need and self._at[need - 1] + LOOKAHEAD < len(ranked):
                break  # the page's last story and LOOKAHEAD candidates after it were read
            k = min(MAX_SCAN, 2 * k)
        if not exhausted and len(groups) < need:  # past the scan bound: as ranked
            rest = self.top(MAX_SCAN + need - len(groups))[MAX_SCAN:]
            groups += [(d, s, ()) for d, s in rest]
        return groups[(page - 1) * per_page:need]
