"""From a parsed query to a Whoosh query: field weights, exact-form bonus, coordination.

Every word becomes, per searchable field, its stem term plus (when different) its exact
normalized surface term with a bonus, so ``الاتصالات`` ranks documents with that exact form
above ones that only share the stem ``اتصال``. Stop words are dropped from ranking unless the
query has nothing else (they stay inside phrases, whose positions are indexed). Several words
are OR-ed with Whoosh's coordination bonus, so documents containing more of the query's words
rank first but a question still finds a passage that lacks one of its words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh import scoring

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.querylang import Clause, ParsedQuery
from searchapp.schema import TEXT_FIELDS

MAX_PREFIX_TERMS = 50


@dataclass(frozen=True)
class Ranking:
    """Tunable ranking parameters (defaults tuned on the ARCD-train dev set; see benchmarks/)."""

    field_weights: dict[str, float] = field(
        default_factory=lambda: {"title": 2.0, "subtitle": 1.5, "captions": 1.0, "body": 1.0}
    )
    exact_bonus: float = 0.3
    coord: float = 0.9  # Whoosh Or(scale=...): strength of the "more words matched" bonus
    bm25_b: float = 0.75
    bm25_k1: float = 1.2

    def weighting(self) -> scoring.WeightingModel:
        return scoring.BM25F(B=self.bm25_b, K1=self.bm25_k1)


@dataclass
class Words:
    """What to highlight: stems and surfaces of every positive query word."""

    stems: set[str] = field(default_factory=set)
    surfaces: set[str] = field(default_factory=set)


def _term_query(surface: str, stem: str, r: Ranking) -> wq.Query:
    subs: list[wq.Query] = []
    for f, w in r.field_weights.items():
        subs.append(wq.Term(f, stem, boost=w))
        if surface != stem:
            subs.append(wq.Term(f, surface, boost=w * r.exact_bonus))
    return wq.Or(subs)


def _phrase_query(words: list[tuple[str, str]], r: Ranking) -> wq.Query:
    stems = [stem for _, stem in words]
    return wq.Or([wq.Phrase(f, stems, boost=w) for f, w in r.field_weights.items()])


def _prefix_query(prefix: str, reader, r: Ranking) -> wq.Query | None:
    """Bounded prefix expansion: the most frequent matching terms only."""
    norm = arabic.normalize(prefix)
    if len(norm) < 2:
        return None
    terms: dict[str, int] = {}
    for f in TEXT_FIELDS:
        for t in reader.expand_prefix(f, norm):
            t = t.decode("utf-8") if isinstance(t, bytes) else t
            terms[t] = terms.get(t, 0) + reader.doc_frequency(f, t)
            if len(terms) > MAX_PREFIX_TERMS * 20:
                break
    top = sorted(terms, key=terms.get, reverse=True)[:MAX_PREFIX_TERMS]
    if not top:
        return wq.NullQuery
    return wq.Or([wq.Term(f, t, boost=w) for t in top for f, w in r.field_weights.items()])


def _clause_query(c: Clause, reader, r: Ranking, words: Words, drop_stops: bool) -> wq.Query | None:
    if c.kind == "prefix":
        q = _prefix_query(c.text, reader, r)
        if q is not None and not c.negated:
            words.stems.add(arabic.normalize(c.text) + "*")
        return q
    toks = [(s, st) for s, st, _, _ in tokens_with_offsets(c.text)]
    if not toks:
        return None
    if not c.negated:
        for s, st in toks:
            words.stems.add(st)
            words.surfaces.add(s)
    if c.kind == "phrase" and len(toks) > 1:
        return _phrase_query(toks, r)
    subs = [
        _term_query(s, st, r)
        for s, st in toks
        if not (drop_stops and arabic.is_stop_word(s))
    ]
    if not subs:
        return None
    return subs[0] if len(subs) == 1 else wq.And(subs)


def build(parsed: ParsedQuery, reader, r: Ranking) -> tuple[wq.Query | None, Words]:
    """Whoosh query for the positive/negative clauses (None when there are none)."""
    words = Words()
    positives = [c for c in parsed.clauses if not c.negated]
    # Drop stop words only when something else remains to rank by.
    drop = any(
        c.kind != "word" or not arabic.is_stop_word(arabic.normalize(c.text)) for c in positives
    )
    pos_qs = []
    for c in positives:
        alts = [q for q in (_clause_query(a, reader, r, words, drop) for a in [c, *c.alternatives])
                if q is not None]
        if alts:
            pos_qs.append(alts[0] if len(alts) == 1 else wq.Or(alts))
    neg_qs = [q for c in parsed.clauses if c.negated
              if (q := _clause_query(c, reader, r, words, False)) is not None]
    if not pos_qs:
        positive: wq.Query | None = wq.Every() if neg_qs else None
    elif len(pos_qs) == 1:
        positive = pos_qs[0]
    else:
        positive = wq.Or(pos_qs, scale=r.coord)
    if positive is not None and neg_qs:
        positive = wq.AndNot(positive, wq.Or(neg_qs))
    return positive, words
