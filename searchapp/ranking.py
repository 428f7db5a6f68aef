"""From a parsed query to a Whoosh query: field weights, exact-form bonus, word coordination.

Every word becomes, per searchable field, its stem term plus (when different) its exact
normalized surface term with a bonus, so ``الاتصالات`` ranks documents with that exact form
above ones that only share the stem ``اتصال``. Stop words are dropped from ranking unless the
query has nothing else (they stay inside phrases, whose positions are indexed).

Several words are combined by :class:`Coordinated`: a document's score is the sum of its
per-word BM25F scores times ``(matched words / query words) ** coord``. That is a soft AND: for a
short keyword query the articles containing every word come first, while a ten-word question
still finds the paragraph that lacks one of its words (it only loses a fraction of its score).
The title is its own coordinated group (``title_coord``): a title that holds all the query words
weighs fully, one that shares a single word with a long question hardly counts. That gives short
known-item queries a strong title preference and questions a weak one, with one configuration.
Whoosh's own ``Or(scale=...)`` counts matching *terms* (fields x forms), and its bonus is additive
and tiny, so it did not do this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh import scoring

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.coordination import Coordinated
from searchapp.querylang import Clause, ParsedQuery
from searchapp.schema import TEXT_FIELDS
from searchapp.synonyms import find_months, month_names

MAX_PREFIX_TERMS = 50


@dataclass(frozen=True)
class Ranking:
    """Tunable ranking parameters (defaults tuned on the ARCD-train dev set and generated
    known-item queries; see ``benchmarks/README.md``). Field weights, boosts and BM25 are applied
    at query time: changing them never needs a reindex.

    ``bm25_b = 1.0`` (full length normalization): news articles are long and repeat their
    topic words, so without it a long article about a topic outranks the short paragraph or
    article that is exactly about the query. Measured on the full benchmark: b 0.75 -> 1.0 gave
    ARCD MRR@10 +0.02 and known-item +0.01.

    ``bm25_k1 = 1.6`` (was 1.2) and ``exact_bonus = 0.8`` (was 0.5), measured together on the
    full benchmark (1000 known-item queries, 693 ARCD-train questions): ARCD MRR@10 0.686 ->
    0.696, known-item with variation 0.918 -> 0.921, clean twin 0.924 -> 0.927. A larger k1
    lets a paragraph that repeats the question's words win (k1 2.0: ARCD 0.709 but known-item
    0.916); the larger exact bonus prefers the headline holding the query's exact forms over a
    near-duplicate story from another paper (exact_bonus 2.0: known-item 0.922, clean 0.931,
    ARCD 0.679 and a wider variation gap).

    Per-field length normalization (``title_b`` ...) is available but unset: a lower title b
    made both sets worse (title_b 0.3 / 0.5 / 0.75: ARCD 0.667 / 0.672 / 0.677, known-item
    0.915 / 0.915 / 0.917; body_b 0.75: ARCD 0.644).
    """

    field_weights: dict[str, float] = field(
        default_factory=lambda: {"title": 3.0, "subtitle": 1.5, "captions": 1.0, "body": 1.0}
    )
    #: Weight of the exact surface form relative to the stem (added on top of the stem's).
    exact_bonus: float = 0.8
    #: Coordination strength: scores are multiplied by (matched/total words) ** coord.
    coord: float = 1.0
    #: The title is scored as its own coordinated group, with this strength: a title holding
    #: every query word counts fully, one holding 1 of 5 counts (1/5) ** title_coord.
    title_coord: float = 2.0
    #: Weight of the tanween-without-mark alternative (see ``tanween_variant``); 0 disables.
    tanween_alt: float = 1.0
    bm25_b: float = 1.0
    bm25_k1: float = 1.6
    #: Per-field BM25 length normalization (Whoosh's ``<field>_B``); None: use ``bm25_b``.
    title_b: float | None = None
    subtitle_b: float | None = None
    captions_b: float | None = None
    body_b: float | None = None

    def weighting(self) -> scoring.WeightingModel:
        per_field = {f"{f}_B": b for f, b in (
            ("title", self.title_b), ("subtitle", self.subtitle_b),
            ("captions", self.captions_b), ("body", self.body_b)) if b is not None}
        return scoring.BM25F(B=self.bm25_b, K1=self.bm25_k1, **per_field)


@dataclass
class Words:
    """What to highlight: stems and surfaces of every positive query word."""

    stems: set[str] = field(default_factory=set)
    surfaces: set[str] = field(default_factory=set)


# ------------------------------------------------------------------------- word queries
def tanween_variant(surface: str, stem: str) -> str | None:
    """The stem of ``surface`` read as an accusative with its tanween mark left out.

    Writers drop the fathatan but keep its alef: برنامجا for برنامجاً, قرارا for قراراً. With
    the mark, normalization removes the alef (اتصالاً → اتصال); without it the alef stays, and
    stripping every final alef would cut names (بريطانيا, أمريكا). So the query also looks for
    the stem without that alef, as an alternative (weight ``Ranking.tanween_alt``); measured on
    the known-item queries, where typed variants drop the mark (benchmarks/README.md).
    """
    if (len(surface) < 4 or not surface.endswith("\u0627") or surface.endswith("\u0627\u0627")
            or surface in arabic.PROTECTED or stem in arabic.PROTECTED):
        return None
    alt = arabic.light_stem(surface[:-1])
    return alt if alt != stem and len(alt) >= 3 else None


def _term_query(surface: str, stem: str, reader, r: Ranking,
                fields: dict[str, float] | None = None) -> wq.Query:
    subs: list[wq.Query] = []
    for f, w in (r.field_weights if fields is None else fields).items():
        if reader is not None and f in reader.schema and not reader.doc_frequency(f, stem) and \
                not reader.doc_frequency(f, surface):
            continue  # field never has this word: skip it (keeps the query tree small)
        parts = [wq.Term(f, stem, boost=w)]
        if surface != stem:
            parts.append(wq.Term(f, surface, boost=w * r.exact_bonus))
        alt = tanween_variant(surface, stem)
        if alt and r.tanween_alt:
            parts.append(wq.Term(f, alt, boost=w * r.tanween_alt))
        subs.append(parts[0] if len(parts) == 1 else wq.Or(parts))
    if not subs:
        # Matches nothing (no field has the word) but still counts as a query word.
        return wq.Term(next(iter(r.field_weights if fields is None else fields)), stem)
    return subs[0] if len(subs) == 1 else wq.Or(subs)


def _phrase_query(words: list[tuple[str, str]], r: Ranking) -> wq.Query:
    stems = [stem for _, stem in words]
    return wq.Or([wq.Phrase(f, stems, boost=w) for f, w in r.field_weights.items()])


def _prefix_query(prefix: str, reader, r: Ranking) -> wq.Query | None:
    """Bounded prefix expansion: the most frequent matching terms only."""
    norm = arabic.normalize(prefix)
    if len(norm) < 2:
        return None
    # The body indexes stems only (schema.py), so there the prefix is also tried as a stem:
    # الشمسي* reaches the body's شمس (from الشمسية) as well as titles' الشمسية.
    stem = arabic.light_stem(norm)
    terms: dict[tuple[str, str], int] = {}
    for f in TEXT_FIELDS:
        for p in {norm, stem} if len(stem) >= 2 else {norm}:
            for i, t in enumerate(reader.expand_prefix(f, p)):
                t = t.decode("utf-8") if isinstance(t, bytes) else t
                terms[f, t] = reader.doc_frequency(f, t)
                if i >= MAX_PREFIX_TERMS * 20:
                    break
    top = sorted(terms, key=terms.get, reverse=True)[: MAX_PREFIX_TERMS * len(TEXT_FIELDS)]
    if not top:
        return wq.NullQuery
    return wq.Or([wq.Term(f, t, boost=r.field_weights.get(f, 1.0)) for f, t in top])


def _clause_query(c: Clause, reader, r: Ranking, words: Words, drop_stops: bool,
                  seen: set[str]) -> wq.Query | None:
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
    words_ = [(s, st) for s, st in toks if not (drop_stops and arabic.is_stop_word(s))
              and (s, st) not in seen]
    seen.update(words_)
    if not words_:
        return None
    if len(words_) == 1:
        return _split(*words_[0], reader, r)
    return wq.And([_term_query(s, st, reader, r) for s, st in words_])


def _split(surface: str, stem: str, reader, r: Ranking) -> wq.Query:
    """A plain word: (title part, rest part) for the two coordinated groups in ``build``."""
    title = {f: w for f, w in r.field_weights.items() if f == "title"}
    rest = {f: w for f, w in r.field_weights.items() if f != "title"}
    return _Split([_term_query(surface, stem, reader, r, title),
                   _term_query(surface, stem, reader, r, rest)])


class _Split(wq.Or):
    """Marker: an Or of a word's title part and its other-fields part (see ``build``)."""


def _month_query(month: int, reader, r: Ranking, words: Words) -> wq.Query:
    """Any of the month's names (see :mod:`searchapp.synonyms`), one query word."""
    subs: list[wq.Query] = []
    for name in month_names(month):
        toks = [(w, arabic.light_stem(w)) for w in name]
        for s, st in toks:
            words.stems.add(st)
            words.surfaces.add(s)
        subs.append(_term_query(*toks[0], reader, r) if len(toks) == 1
                    else _phrase_query(toks, r))
    return wq.Or(subs)


def build(parsed: ParsedQuery, reader, r: Ranking) -> tuple[wq.Query | None, Words]:
    """Whoosh query for the positive/negative clauses (None when there are none)."""
    words = Words()
    positives = [c for c in parsed.clauses if not c.negated]
    # Drop stop words only when something else remains to rank by.
    drop = any(
        c.kind != "word" or not arabic.is_stop_word(arabic.normalize(c.text)) for c in positives
    )
    seen: set = set()
    pos_qs = []
    months = {
        start: (length, month) for start, length, month in find_months(
            [arabic.normalize(c.text) if c.kind == "word" and not c.alternatives else ""
             for c in positives])
    }
    skip = 0
    for i, c in enumerate(positives):
        if skip:
            skip -= 1
            continue
        if i in months:
            length, month = months[i]
            pos_qs.append(_month_query(month, reader, r, words))
            skip = length - 1
            continue
        alts = [q for q in (_clause_query(a, reader, r, words, drop, seen)
                            for a in [c, *c.alternatives]) if q is not None]
        if alts:
            pos_qs.append(alts[0] if len(alts) == 1 else wq.Or(alts))
    neg_qs = [q for c in parsed.clauses if c.negated
              if (q := _clause_query(c, reader, r, words, False, set())) is not None]
    if not pos_qs:
        positive: wq.Query | None = wq.Every() if neg_qs else None
    elif len(pos_qs) == 1:
        positive = pos_qs[0]
    elif r.title_coord == r.coord or not all(isinstance(q, _Split) for q in pos_qs):
        positive = Coordinated(pos_qs, power=r.coord)
    else:
        # Title and other fields as two coordinated groups, summed.
        positive = wq.Or([
            Coordinated([q.subqueries[0] for q in pos_qs], power=r.title_coord),
            Coordinated([q.subqueries[1] for q in pos_qs], power=r.coord),
        ])
    if positive is not None and neg_qs:
        positive = wq.AndNot(positive, wq.Or(neg_qs))
    return positive, words
