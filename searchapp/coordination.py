"""Word-level coordination for Whoosh: a document's score is the sum of its matching words'
scores times ``(matched words / query words) ** power`` (see :mod:`searchapp.ranking`).

Whoosh's own ``Or(scale=...)`` counts matching *terms* (fields x forms) and adds a tiny bonus;
this query counts *words* and multiplies, which is what makes short queries behave like a soft
AND while long questions still find passages missing a word.
"""

from __future__ import annotations

from whoosh import matching
from whoosh import query as wq


class CoordinatedMatcher(matching.Matcher):
    """Union of one matcher per query word; score = sum of matching words' scores times
    ``(matched/total) ** power``. Flat (no binary tree) so it knows which words match."""

    def __init__(self, subs: list[matching.Matcher], power: float, total: int,
                 boost: float = 1.0, weights: list[float] | None = None) -> None:
        self._subs = subs
        self._power = power
        self._total = total
        self._boost = boost
        # Each matcher's weight in the matched count (None: 1 each); kept by identity, as
        # replace() drops exhausted matchers.
        self._weights = None if weights is None else dict(zip(map(id, subs), weights,
                                                              strict=True))
        self._weight_total = total if weights is None else sum(weights)
        self._id: int | None = None
        self._find()

    def _find(self) -> None:
        ids = [m.id() for m in self._subs if m.is_active()]
        self._id = min(ids) if ids else None

    def is_active(self) -> bool:
        return self._id is not None

    def id(self) -> int:
        return self._id  # type: ignore[return-value]

    def reset(self) -> None:
        for m in self._subs:
            m.reset()
        self._find()

    def copy(self) -> CoordinatedMatcher:
        weights = None if self._weights is None else [self._weights[id(m)] for m in self._subs]
        return CoordinatedMatcher([m.copy() for m in self._subs], self._power, self._total,
                                  self._boost, weights)

    def replace(self, minquality=0):
        active = [m for m in self._subs if m.is_active()]
        if not active:
            return matching.NullMatcher()
        self._subs = active  # total stays the query's word count
        return self

    def children(self):
        return list(self._subs)

    def supports(self, astype) -> bool:
        return all(m.supports(astype) for m in self._subs)

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        # An upper bound (the coordination factor is <= 1), used by a parent's replace().
        try:
            return self._boost * sum(m.max_quality() for m in self._subs if m.is_active())
        except matching.NoQualityAvailable:
            return float("inf")

    def next(self) -> None:
        current = self._id
        for m in self._subs:
            if m.is_active() and m.id() == current:
                m.next()
        self._find()

    def skip_to(self, target: int) -> None:
        for m in self._subs:
            if m.is_active() and m.id() < target:
                m.skip_to(target)
        self._find()

    def _current(self):
        current = self._id
        return [m for m in self._subs if m.is_active() and m.id() == current]

    def score(self) -> float:
        here = self._current()
        s = sum(m.score() for m in here)
        if self._weights is None:
            return s * self._boost * (len(here) / self._total) ** self._power
        matched = sum(self._weights[id(m)] for m in here)
        return s * self._boost * (matched / self._weight_total) ** self._power

    def weight(self) -> float:
        return sum(m.weight() for m in self._current())

    def value(self):
        return self._current()[0].value()

    def term_matchers(self):
        for m in self._subs:
            yield from m.term_matchers()

    def matching_terms(self, id=None):
        id = self._id if id is None else id
        for m in self._subs:
            if m.is_active() and m.id() == id:
                yield from m.matching_terms(id)

    def spans(self):
        return sorted({s for m in self._current() for s in m.spans()})


class Coordinated(wq.compound.CompoundQuery):
    """Match any of the word queries; coordination-scaled sum (see module docstring)."""

    JOINT = " COORD "

    def __init__(self, subqueries, boost: float = 1.0, power: float = 1.0,
                 weights: list[float] | None = None) -> None:
        super().__init__(subqueries, boost=boost)
        self.power = power
        #: Per-word weight in the matched count (None: every word counts 1).
        self.weights = weights

    def __eq__(self, other: object) -> bool:
        return (super().__eq__(other) and self.power == other.power  # type: ignore[attr-defined]
                and self.weights == other.weights)  # type: ignore[attr-defined]

    __hash__ = wq.compound.CompoundQuery.__hash__

    def normalize(self) -> wq.Query:
        # Never flatten or drop words: the word count is part of the score.
        return self.__class__([q.normalize() for q in self.subqueries], self.boost, self.power,
                              self.weights)

    def apply(self, fn):
        return self.__class__([fn(q) for q in self.subqueries], self.boost, self.power,
                              self.weights)

    def matcher(self, searcher, context=None):
        subs = [q.matcher(searcher, context) for q in self.subqueries]
        m = CoordinatedMatcher(subs, self.power, len(subs), self.boost, self.weights)
        return m if m.is_active() else matching.NullMatcher()
