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

Every request's work is bounded: a prefix expands to its most frequent terms only
(``prefix_terms``), and the query tree is scored by :class:`Executor` with numpy (exactly
Whoosh's scores; phrase positions within a budget), never by Whoosh's one-document-at-a-time
matchers, which took seconds for a 64-word OR or three two-letter prefixes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.codec.whoosh3 import W3LeafMatcher

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.coordination import Coordinated
from searchapp.querylang import Clause, ParsedQuery
from searchapp.schema import (
    BODY_FORMS,
    SCORED_FIELDS,
    SHORT_GAPS,
    TEXT_FIELDS,
    PackedPositions,
    decode_positions,
)
from searchapp.sparse import union
from searchapp.synonyms import find_months, month_names
from searchapp.termstats import LocalStats, TermStats, prefix_scan

#: Prefix expansion bounds (see ``prefix_terms``): terms kept per prefix, all fields together;
#: lexicon entries read per field, form and segment; postings of the kept terms (a term with
#: more is kept alone). Three prefixes cost at most ~0.2 s with cold posting caches.
MAX_PREFIX_TERMS = 16
MAX_PREFIX_POSTINGS = 100_000


#: How a question is ranked: as a passage query. See ``Ranking`` for the figures.
QUESTION_SETTINGS: dict[str, object] = {
    "title": 2.0, "coord": 0.3, "bm25_k1": 3.0, "exact_bonus": 0.0, "body_exact": 0.4,
    "generic_df": 0.1, "generic_coord": 0.2, "clitic_alt": 0.5,
}


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

    Questions (:mod:`searchapp.questions`) are ranked with ``question`` (QUESTION_SETTINGS):
    a headline sharing three question words outranked the paragraph that answers, through
    the title weight, the title's exact-form bonus and its coordination. Measured on the
    31 k benchmark, ARCD-train MRR@10 from 0.699, one change at a time: syntax read as words
    0.701; title 3 -> 1.5: 0.709; coord 1 -> 0.5: 0.713; k1 1.6 -> 3: 0.723; generic words
    (stem in > 10% of bodies) weighing 0.2 in coordination: 0.714; no exact bonus outside
    the body: 0.714; together, with the body's exact forms at 0.4: 0.758 (1 M articles:
    0.669, from 0.607). Then coord 0.3 and the clitic alternative at 0.5, chosen at both
    sizes: 0.756 at 31 k, 0.678 at 1 M (coord 0.5: 0.758 / 0.674). Known-item queries are
    never questions and keep every setting above. Dropped, ARCD on top of the rest (31 k /
    1 M): BM25 idf (-0.004 / +0.002), coord 1.0 (1 M: 0.658), k1 2 or 5 (1 M: 0.667 /
    0.669), title 1.5 (1 M: 0.664), generic threshold 5% (1 M: 0.672, R@100 -0.02), body
    exact 0.8 (0.744 / 0.669), title_coord 1 or 3 (0.674 / 0.702 alone), b 0.9 (0.684
    alone); the clitic alternative for lookups (known-item -0.002 / -0.001).
    """

    field_weights: dict[str, float] = field(
        default_factory=lambda: {"title": 3.0, "subtitle": 1.5, "captions": 1.0, "body": 1.0}
    )
    #: Weight of the exact surface form relative to the stem (added on top of the stem's).
    exact_bonus: float = 0.8
    #: The same for the body, whose exact forms are the positionless ``body_forms`` field.
    body_exact: float = 0.0
    #: Coordination strength: scores are multiplied by (matched/total words) ** coord.
    coord: float = 1.0
    #: The title is scored as its own coordinated group, with this strength: a title holding
    #: every query word counts fully, one holding 1 of 5 counts (1/5) ** title_coord.
    title_coord: float = 2.0
    #: Weight of the tanween-without-mark alternative (see ``tanween_variant``); 0 disables.
    tanween_alt: float = 1.0
    #: Weight of the stem without a glued ب/ل/ك/ف (see ``clitic_variant``); 0 disables.
    clitic_alt: float = 0.0
    bm25_b: float = 1.0
    bm25_k1: float = 1.6
    #: Per-field BM25 length normalization (Whoosh's ``<field>_B``); None: use ``bm25_b``.
    title_b: float | None = None
    subtitle_b: float | None = None
    captions_b: float | None = None
    body_b: float | None = None
    #: ``"whoosh"``: log(N / (df + 1)) + 1, never below 1; ``"bm25"``: Robertson-Sparck Jones
    #: log(1 + (N - df + 0.5) / (df + 0.5)) as Lucene, near 0 for a word in most documents.
    idf: str = "whoosh"
    #: A word whose stem is in more than this fraction of bodies is generic: it scores, but
    #: does not count in coordination (1.0: every word counts).
    generic_df: float = 1.0
    #: A generic word's weight in the coordination count (an informative word's is 1).
    generic_coord: float = 0.0
    #: Detect questions (:mod:`searchapp.questions`), read their syntax as words and rank
    #: them with the ``question`` settings.
    questions: bool = True
    #: Settings that replace the ones above for a question (``for_question``): keys are
    #: Ranking fields or field names (a field weight).
    question: dict[str, object] = field(default_factory=lambda: dict(QUESTION_SETTINGS))

    def weighting(self) -> scoring.WeightingModel:
        per_field = {f"{f}_B": b for f, b in (
            ("title", self.title_b), ("subtitle", self.subtitle_b),
            ("captions", self.captions_b), ("body", self.body_b)) if b is not None}
        return _BM25F(self.idf, B=self.bm25_b, K1=self.bm25_k1, **per_field)

    def for_question(self) -> Ranking:
        """The ranking a question gets: this one with the ``question`` settings applied."""
        weights = dict(self.field_weights)
        changes: dict[str, object] = {}
        for key, value in self.question.items():
            if key in weights:
                weights[key] = float(value)  # type: ignore[arg-type]
            else:
                changes[key] = value
        return replace(self, field_weights=weights, question={}, **changes)


def term_idf(n: int, df: int, kind: str = "whoosh") -> float:
    """Inverse document frequency of a term in ``df`` of ``n`` documents (see ``Ranking.idf``);
    the one formula of every scoring path (Whoosh's matchers, the Executor, the fast path)."""
    if kind == "bm25":
        return math.log(1 + (n - df + 0.5) / (df + 0.5))
    return math.log(n / (df + 1)) + 1


class _BM25F(scoring.BM25F):
    """Whoosh's BM25F with the idf of ``Ranking.idf``."""

    def __init__(self, idf: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.idf_kind = idf

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        return term_idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text),
                        self.idf_kind)


@dataclass
class Words:
    """What to highlight: stems and surfaces of every positive query word, and the stem
    sequence of every positive phrase (whose words are marked only where they form it)."""

    stems: set[str] = field(default_factory=set)
    surfaces: set[str] = field(default_factory=set)
    phrases: list[tuple[str, ...]] = field(default_factory=list)


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


#: Letters glued to a word as a preposition or conjunction (بزيارة, لمسافات, كرئيس, فقرر) that
#: light stemming keeps (they also start فرنسا, بريطانيا, لبنان, كتاب).
CLITICS = ("\u0628", "\u0644", "\u0643", "\u0641")
CLITIC_BODY_FIELD = "body"


def clitic_variant(stem: str, doc_frequency: Callable[[str, str], int]) -> str | None:
    """The stem read with its first letter as a glued ب/ل/ك/ف, when that reading is likelier.

    The light stemmer cannot tell the preposition of بزيارة from the radical of بريطانيا, so
    it keeps both. At query time the index can: the remainder (زيارة) is an alternative when
    it is in more bodies than the whole word, so لبنان (بنان is rare) and كتاب (تاب) are left
    alone while بزيارة also finds الزيارة. Weighted ``Ranking.clitic_alt``, like the tanween
    alternative.
    """
    if len(stem) < 4 or stem[0] not in CLITICS or stem.startswith("\u0627\u0644") or \
            stem in arabic.PROTECTED:
        return None
    alt = arabic.light_stem(stem[1:])
    if len(alt) < 3 or alt == stem:
        return None
    if doc_frequency(CLITIC_BODY_FIELD, alt) <= doc_frequency(CLITIC_BODY_FIELD, stem):
        return None
    return alt


def word_terms(surface: str, stem: str, r: Ranking, doc_frequency: Callable[[str, str], int],
               fields: dict[str, float]) -> list[list[tuple[str, str, float]]]:
    """Per field of ``fields``: the (field, term, boost) one query word searches there: the
    stem, the exact surface form (``exact_bonus``; in the body also its positionless
    ``body_forms`` with ``body_exact``), the tanween and clitic alternatives; none with a
    zero weight (a zero-weight form is no evidence, and would still count as a match). One
    list, in one order, for every scoring path: their sums must be bit-for-bit the same."""
    forms = [(stem, 1.0, False)]
    if surface != stem:
        forms.append((surface, r.exact_bonus, True))
    if r.tanween_alt and (alt := tanween_variant(surface, stem)):
        forms.append((alt, r.tanween_alt, False))
    if r.clitic_alt and (alt := clitic_variant(stem, doc_frequency)) and \
            all(alt != t for t, _, _ in forms):
        forms.append((alt, r.clitic_alt, False))
    out = []
    for f, w in fields.items():
        # The body indexes stems only, but a query's surface form can be another word's stem
        # there (متابعي, the stem of متابعيها): that lookup stays, as in every other field.
        terms = [(f, t, w * k) for t, k, _ in forms if k]
        if f == "body" and r.body_exact:
            terms += [(BODY_FORMS, t, w * r.body_exact) for t, _, exact in forms if exact]
        out.append(terms)
    return out


def _term_query(surface: str, stem: str, reader, r: Ranking,
                fields: dict[str, float] | None = None) -> wq.Query:
    subs: list[wq.Query] = []
    df = _df(reader)
    per_field = word_terms(surface, stem, r, df, r.field_weights if fields is None else fields)
    for terms in per_field:
        if reader is not None and terms[0][0] in reader.schema and not any(
                df(f, t) for f, t, _ in terms):
            continue  # field never has this word: skip it (keeps the query tree small)
        parts = [wq.Term(f, t, boost=b) for f, t, b in terms]
        subs.append(parts[0] if len(parts) == 1 else wq.Or(parts))
    if not subs:
        # Matches nothing (no field has the word) but still counts as a query word.
        return wq.Term(next(iter(r.field_weights if fields is None else fields)), stem)
    return subs[0] if len(subs) == 1 else wq.Or(subs)


def _df(reader) -> Callable[[str, str], int]:
    if reader is None:
        return lambda f, t: 0
    return lambda f, t: reader.doc_frequency(f, t) if f in reader.schema else 0


def _phrase_query(words: list[tuple[str, str]], r: Ranking) -> wq.Query:
    stems = [stem for _, stem in words]
    return wq.Or([wq.Phrase(f, stems, boost=w) for f, w in r.field_weights.items()])


def prefix_terms(prefix: str, reader) -> list[tuple[str, str]]:
    """The (field, term) pairs ``prefix*`` expands to: a top-terms rewrite, bounded.

    Like Lucene's top-terms rewrite, a prefix becomes its most frequent matching terms, not all
    of them: ``ال*`` matches ~8,000 title terms and nearly every article, and each term costs
    its postings. So: the first ``termstats.MAX_PREFIX_SCAN`` lexicon entries per field and
    form are read (:func:`termstats.prefix_scan`; a term's document count comes with it;
    a shard gets the whole sharded index's first entries), and of those the
    ``MAX_PREFIX_TERMS`` most frequent are kept, while their postings add up to at most
    ``MAX_PREFIX_POSTINGS`` (the first always). A prefix of four letters or more rarely has
    more matching terms than the scan reads; for two-letter prefixes the scan is what bounds
    the work, in lexicon order.
    """
    norm = arabic.normalize(prefix)
    if len(norm) < 2:
        return []
    # The body indexes stems only (schema.py), so there the prefix is also tried as a stem:
    # الشمسي* reaches the body's شمس (from الشمسية) as well as titles' الشمسية.
    stem = arabic.light_stem(norm)
    forms = {norm, stem} if len(stem) >= 2 else {norm}
    df: dict[tuple[str, str], int] = {}
    scan = getattr(reader, "prefix_frequencies", None)  # a shard: the whole index's lexicon
    for f in TEXT_FIELDS:
        if f not in reader.schema:
            continue
        for form in sorted(forms):
            found = scan(f, form) if scan is not None else prefix_scan(reader, f, form)
            for t, n in found.items():
                df[(f, t)] = df.get((f, t), 0) + n
    out: list[tuple[str, str]] = []
    postings = 0
    for key in sorted(df, key=lambda k: (-df[k], k)):
        if len(out) == MAX_PREFIX_TERMS or (out and postings + df[key] > MAX_PREFIX_POSTINGS):
            break
        out.append(key)
        postings += df[key]
    return out


def _prefix_query(prefix: str, reader, r: Ranking, words: Words | None) -> wq.Query | None:
    """The expansion as one OR; ``words`` (if given) highlights the terms it searched, not
    every word with the prefix (``ال*`` would mark half of every paragraph)."""
    if len(arabic.normalize(prefix)) < 2:
        return None
    top = prefix_terms(prefix, reader)
    if words is not None:
        for _, t in top:  # a title term may be a surface or a stem: either may be marked
            words.stems.add(t)
            words.surfaces.add(t)
    if not top:
        return wq.NullQuery
    return wq.Or([wq.Term(f, t, boost=r.field_weights.get(f, 1.0)) for f, t in top])


def _clause_query(c: Clause, reader, r: Ranking, words: Words, drop_stops: bool,
                  seen: set[str]) -> wq.Query | None:
    if c.kind == "prefix":
        return _prefix_query(c.text, reader, r, None if c.negated else words)
    toks = [(s, st) for s, st, _, _ in tokens_with_offsets(c.text)]
    if not toks:
        return None
    if c.kind == "phrase" and len(toks) > 1:
        if not c.negated:
            words.phrases.append(tuple(st for _, st in toks))
        return _phrase_query(toks, r)
    if not c.negated:
        for s, st in toks:
            words.stems.add(st)
            words.surfaces.add(s)
    words_ = [(s, st) for s, st in toks if not (drop_stops and arabic.is_stop_word(s))
              and (s, st) not in seen]
    seen.update(words_)
    if not words_:
        return None
    if len(words_) == 1:
        q = _split(*words_[0], reader, r)
        q.informative = is_informative(words_[0][1], r, _df(reader), _doc_count(reader))
        return q
    return wq.And([_term_query(s, st, reader, r) for s, st in words_])


def _split(surface: str, stem: str, reader, r: Ranking) -> wq.Query:
    """A plain word: (title part, rest part) for the two coordinated groups in ``build``."""
    title = {f: w for f, w in r.field_weights.items() if f == "title"}
    rest = {f: w for f, w in r.field_weights.items() if f != "title"}
    return _Split([_term_query(surface, stem, reader, r, title),
                   _term_query(surface, stem, reader, r, rest)])


class _Split(wq.Or):
    """Marker: an Or of a word's title part and its other-fields part (see ``build``)."""

    informative = True  # counts in coordination (see ``is_informative``)


def _doc_count(reader) -> int:
    return reader.doc_count_all() if reader is not None else 0


def is_informative(stem: str, r: Ranking, doc_frequency: Callable[[str, str], int],
                   n: int) -> bool:
    """Whether a word counts in coordination: its stem is in at most ``Ranking.generic_df``
    of the bodies. A question's generic words (عام، اول، تم) still add their score, but a long
    article holding all of them no longer beats the passage holding the rare ones."""
    return r.generic_df >= 1.0 or doc_frequency("body", stem) <= r.generic_df * n


def coordination_weights(flags: list[bool], r: Ranking) -> list[float] | None:
    """Per-word weights in the coordination count: 1 for informative words,
    ``Ranking.generic_coord`` for generic ones; None (all count 1) when every word is
    informative or none is."""
    if all(flags) or not any(flags):
        return None
    return [1.0 if f else r.generic_coord for f in flags]


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
    months = {} if parsed.question else {
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
    else:
        weights = coordination_weights([getattr(q, "informative", True) for q in pos_qs], r)
        if r.title_coord == r.coord or not all(isinstance(q, _Split) for q in pos_qs):
            positive = Coordinated(pos_qs, power=r.coord, weights=weights)
        else:
            # Title and other fields as two coordinated groups, summed.
            positive = wq.Or([
                Coordinated([q.subqueries[0] for q in pos_qs], power=r.title_coord,
                            weights=weights),
                Coordinated([q.subqueries[1] for q in pos_qs], power=r.coord,
                            weights=weights),
            ])
    if positive is not None and neg_qs:
        positive = wq.AndNot(positive, wq.Or(neg_qs))
    return positive, words


# ------------------------------------------------------------------------- execution
#: Postings whose positions a request may read for phrase checks (~0.5 us each, the block
#: decoding; "في من" in the body reads 58,000). A phrase past the budget matches its words
#: anywhere in the field: the bound wins over exactness, and only phrases of the commonest
#: words ever reach it.
MAX_PHRASE_POSTINGS = 150_000
#: Whoosh checks a phrase in ~30 us per document holding all its words, the time of reading
#: ~60 postings' positions: when that is cheaper (a long phrase of rare co-occurrence), the
#: phrase goes to Whoosh, and counts against the budget at that rate.
PHRASE_DOC_COST = 60
_Sparse = tuple[np.ndarray, np.ndarray]  # sorted docnums, their scores


class Executor:
    """Scores a :func:`build` query tree with numpy, with Whoosh's semantics and scores.

    Whoosh walks a query one document at a time through a tree of matcher objects, ~1 us per
    posting per level: a 64-word OR, three two-letter prefixes or 64 negations (a million
    postings) took 5-15 s. Here a Term is one vectorized BM25F over the fast path's cached
    posting arrays (the formula of :mod:`searchapp.fastscore`); compounds combine per-document
    arrays as Whoosh's matchers do (Or and Coordinated sum, And intersects, AndNot removes,
    a one-child Or/And is its child with the parent's boost ignored); a phrase intersects
    sorted (document, position) keys. Any other query is left to Whoosh. One executor serves
    one request: it memoizes term scores and phrase matches for that request only.
    """

    def __init__(self, table, searcher, r: Ranking, stats: TermStats | None = None) -> None:
        self.t = table
        self.stats = stats or LocalStats(table)
        #: Whoosh scores a phrase with the searcher's own statistics: a shard (``stats``
        #: given) always checks phrases here, with the whole index's.
        self.own_stats = stats is None
        self.searcher = searcher
        w = r.weighting()
        self.k1 = w.K1
        self.b = {f: w._field_B.get(f, w.B) for f in SCORED_FIELDS}
        self.idf = r.idf
        self._terms: dict[tuple[str, str], _Sparse] = {}
        self._other: dict[wq.Query, _Sparse] = {}
        self._positions: dict[tuple[str, str], np.ndarray] = {}
        self.postings_read = 0  # for phrase positions

    def score(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """(score per document, matched mask) over every document of the table."""
        ids, scores = self._eval(q)
        acc = np.zeros(self.t.n)
        acc[ids] = scores
        hit = np.zeros(self.t.n, dtype=bool)
        hit[ids] = True
        return acc, hit & self.t.live

    # -- leaves ---------------------------------------------------------------------------
    def _term(self, field: str, text: str) -> _Sparse:
        key = (field, text)
        hit = self._terms.get(key)
        if hit is None:
            ids, tf = self.t.postings(field, text)
            if len(ids):
                idf = term_idf(self.stats.n, self.stats.doc_frequency(field, text), self.idf)
                b, k1 = self.b[field], self.k1
                dl = self.t.lengths[field][ids] / self.stats.avg_length(field)
                tf = idf * (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * dl))
            hit = self._terms[key] = (ids, tf)
        return hit

    def _phrase(self, q: wq.Phrase) -> _Sparse:
        hit = self._other.get(q)
        if hit is None:
            hit = self._other[q] = self._phrase_uncached(q)
        return hit

    def _phrase_uncached(self, q: wq.Phrase) -> _Sparse:
        words = [(q.fieldname, w) for w in q.words]
        terms = [self._term(f, w) for f, w in words]
        if not terms or any(not len(ids) for ids, _ in terms):
            return _EMPTY
        docs = terms[0][0]
        for ids, _ in terms[1:]:
            docs = np.intersect1d(docs, ids, assume_unique=True)
        if not len(docs):
            return _EMPTY
        cost = sum(len(self._term(f, w)[0]) for f, w in set(words)
                   if (f, w) not in self._positions)
        per_doc = PHRASE_DOC_COST * len(docs)
        if (self.own_stats and per_doc < cost
                and self.postings_read + per_doc <= MAX_PHRASE_POSTINGS):
            self.postings_read += per_doc  # few candidates: Whoosh's matcher skips to them
            return self._whoosh(q)
        if self.postings_read + cost <= MAX_PHRASE_POSTINGS:
            keys = self._keys(*words[0])
            for i, (f, w) in enumerate(words[1:], 1):
                keys = np.intersect1d(keys, self._keys(f, w) - i, assume_unique=True)
            docs = np.unique(keys >> 32)
        scores = sum(s[np.searchsorted(ids, docs)] for ids, s in terms)
        return docs, q.boost * scores

    def _keys(self, field: str, word: str) -> np.ndarray:
        """Sorted ``docnum << 32 | position`` of every occurrence of ``word`` in ``field``."""
        keys = self._positions.get((field, word))
        if keys is None:
            keys = self._positions[field, word] = _read_positions(self.searcher.reader(),
                                                                  field, word)
            self.postings_read += len(self._term(field, word)[0])
        return keys

    def _whoosh(self, q: wq.Query) -> _Sparse:
        hit = self._other.get(q)
        if hit is None:
            top = sorted(self.searcher.search(q, limit=None).top_n, key=lambda sd: sd[1])
            hit = self._other[q] = (np.array([d for _, d in top], dtype=np.int64),
                                    np.array([s for s, _ in top], dtype=np.float64))
        return hit

    # -- the tree -------------------------------------------------------------------------
    def _eval(self, q: wq.Query) -> _Sparse:
        if q is wq.NullQuery:
            return _EMPTY
        if isinstance(q, wq.Term) and q.fieldname in SCORED_FIELDS:
            ids, s = self._term(q.fieldname, q.text)
            return ids, s * q.boost if q.boost != 1.0 else s
        if isinstance(q, wq.Phrase) and q.fieldname in TEXT_FIELDS and q.slop == 1:
            return self._phrase(q)
        if isinstance(q, wq.Every) and q.fieldname is None:
            ids = np.nonzero(self.t.live)[0]
            return ids, np.full(len(ids), float(q.boost))
        if isinstance(q, wq.AndNot):
            ids, s = self._eval(q.a)
            keep = ~_member(ids, self._eval(q.b)[0])
            return ids[keep], s[keep]
        if isinstance(q, Coordinated | wq.Or | wq.And) and type(q) in _COMPOUNDS:
            subs = q.subqueries
            if not isinstance(q, Coordinated) and len(subs) == 1:
                return self._eval(subs[0])  # Whoosh uses the child's matcher, boost and all
            if not subs:
                return _EMPTY
            parts = [self._eval(sub) for sub in subs]
            docs = union([ids for ids, _ in parts], self.t.n)
            # Sums over the union in sub-query order, as Whoosh's matchers add them (and as
            # a dense accumulator would: the same bits), in time proportional to postings.
            acc = np.zeros(len(docs))
            count = np.zeros(len(docs), dtype=np.int32)
            for ids, s in parts:
                at = np.searchsorted(docs, ids)
                acc[at] += s
                count[at] += 1
            need = len(subs) if isinstance(q, wq.And) else 1
            keep = count >= need
            ids, count = docs[keep], count[keep]
            s = acc[keep] * q.boost
            if isinstance(q, Coordinated):
                if q.weights is None:
                    s *= (count / len(subs)) ** q.power
                else:
                    matched = np.zeros(len(docs))
                    for (sub_ids, _), wt in zip(parts, q.weights, strict=True):
                        matched[np.searchsorted(docs, sub_ids)] += wt
                    s *= (matched[keep] / sum(q.weights)) ** q.power
            return ids, s
        return self._whoosh(q)

    def matched_terms(self, q: wq.Query, docs: list[int]) -> list[set[tuple[str, str]]]:
        """Per document of ``docs``: the (field, term) pairs through which it matched ``q``,
        as Whoosh's ``Hit.matched_terms()`` (only the page's documents: explain's work)."""
        at = np.asarray(docs, dtype=np.int64)
        _, terms = self._at(q, at)
        out: list[set[tuple[str, str]]] = [set() for _ in docs]
        for term, mask in terms.items():
            for i in np.nonzero(mask)[0]:
                out[i].add(term)
        return out

    def _at(self, q: wq.Query, docs: np.ndarray) -> tuple[np.ndarray, dict]:
        if isinstance(q, wq.Term) and q.fieldname in SCORED_FIELDS:
            hit = _member(docs, self._term(q.fieldname, q.text)[0])
            return hit, {(q.fieldname, q.text): hit}
        if isinstance(q, wq.AndNot):
            hit, terms = self._at(q.a, docs)
            hit = hit & ~self._at(q.b, docs)[0]
            return hit, {t: m & hit for t, m in terms.items()}
        if isinstance(q, Coordinated | wq.Or | wq.And) and type(q) in _COMPOUNDS:
            parts = [self._at(sub, docs) for sub in q.subqueries]
            if not parts:
                return np.zeros(len(docs), dtype=bool), {}
            hits = np.array([h for h, _ in parts])
            hit = hits.all(axis=0) if isinstance(q, wq.And) else hits.any(axis=0)
            terms: dict[tuple[str, str], np.ndarray] = {}
            for _, sub_terms in parts:
                for t, m in sub_terms.items():
                    terms[t] = terms[t] | (m & hit) if t in terms else m & hit
            return hit, terms
        hit = _member(docs, self._eval(q)[0])
        return hit, {(f, t.decode("utf-8") if isinstance(t, bytes) else t): hit
                     for f, t in q.iter_all_terms()}

    def complete(self, q: wq.Query) -> np.ndarray | None:
        """The documents matching enough coordinated clauses of a :func:`build` query (each
        query word, phrase, prefix or OR group counts once; see :func:`must_match`), or None
        when it has fewer than two clauses (every match is complete). See
        :func:`searchapp.fastscore.keep_complete`."""
        groups = _required(q)
        if groups is None or len(groups) < 2:
            return None
        count = np.zeros(self.t.n, dtype=np.int32)
        for alternatives in groups:
            hit = np.zeros(self.t.n, dtype=bool)
            for sub in alternatives:
                hit[self._eval(sub)[0]] = True
            count += hit
        return count >= must_match(len(groups))

    def mask(self, q: wq.Query) -> np.ndarray:
        """The documents a filter query allows (field terms and date ranges, as Whoosh)."""
        if isinstance(q, wq.And | wq.Or) and type(q) in _COMPOUNDS:
            masks = [self.mask(sub) for sub in q.subqueries]
            return np.logical_and.reduce(masks) if isinstance(q, wq.And) else \
                np.logical_or.reduce(masks)
        out = np.zeros(self.t.n, dtype=bool)
        if isinstance(q, wq.Term):
            out[self.t.postings(q.fieldname, q.text)[0]] = True
        elif isinstance(q, wq.DateRange) and q.fieldname == "date":
            d = self.t.dates
            out[:] = d != np.iinfo(np.int64).min  # undated: outside every range
            if q.start is not None:
                out &= (d > q.start) if q.startexcl else (d >= q.start)
            if q.end is not None:
                out &= (d < q.end) if q.endexcl else (d <= q.end)
        else:
            out[list(self.searcher.docs_for_query(q))] = True
        return out


_EMPTY: _Sparse = (np.zeros(0, dtype=np.int64), np.zeros(0))
_COMPOUNDS = (wq.Or, wq.And, _Split, Coordinated)


#: Query words every listed document must hold, up to this many words (see ``must_match``).
ALL_WORDS_UP_TO = 3
#: Beyond that, the fraction of the words a listed document must hold.
MOST_WORDS = 0.75


def must_match(n: int) -> int:
    """How many of a lookup's ``n`` words (clauses) a document must hold to be in its result
    set: all of them up to ``ALL_WORDS_UP_TO``, then 75% rounded up (Elasticsearch's
    ``minimum_should_match: "3<75%"``): a short lookup means every word, while a long one
    still lists the article that lacks one word the reader guessed."""
    return n if n <= ALL_WORDS_UP_TO else math.ceil(MOST_WORDS * n)


def _required(q: wq.Query) -> list[list[wq.Query]] | None:
    """Per query clause, the sub-queries any of which matches it: a :class:`Coordinated`'s
    children, or the title and other-fields halves ``build`` splits each word into."""
    if isinstance(q, wq.AndNot):
        return _required(q.a)
    if isinstance(q, Coordinated):
        return [[sub] for sub in q.subqueries]
    subs = getattr(q, "subqueries", ())
    if (type(q) is wq.Or and subs and all(isinstance(s, Coordinated) for s in subs)
            and len({len(s.subqueries) for s in subs}) == 1):
        return [list(group) for group in zip(*(s.subqueries for s in subs), strict=True)]
    return None


def _member(docs: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Which of ``docs`` are in sorted ``ids``."""
    if not len(ids):
        return np.zeros(len(docs), dtype=bool)
    i = np.minimum(np.searchsorted(ids, docs), len(ids) - 1)
    return ids[i] == docs


def _block_positions(docs: np.ndarray, values: list[bytes]) -> np.ndarray:
    """``docnum << 32 | position`` keys of one posting block's packed values
    (:func:`searchapp.schema.encode_positions`), decoded with whole-array operations."""
    joined = b"".join(values)
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    starts = np.cumsum(sizes) - sizes
    raw = np.frombuffer(joined, dtype=np.uint8)
    head = ((raw[starts].astype(np.uint32) << 24) | (raw[starts + 1].astype(np.uint32) << 16)
            | (raw[starts + 2].astype(np.uint32) << 8) | raw[starts + 3])
    short = (head & SHORT_GAPS) != 0
    counts = (head & ~np.uint32(SHORT_GAPS)).astype(np.int64)
    if short.all():
        stream = np.frombuffer(joined, dtype=np.uint16)
        keep = np.ones(len(stream), dtype=bool)
        keep[starts // 2] = keep[starts // 2 + 1] = False  # each value's count header
        gaps = stream[keep].astype(np.int64)
        total = np.cumsum(gaps)
        first = np.cumsum(counts) - counts  # index of each value's first gap
        pos = total - np.repeat(total[first] - gaps[first], counts)
    elif not short.any():
        stream = np.frombuffer(joined, dtype=np.uint32)
        keep = np.ones(len(stream), dtype=bool)
        keep[starts // 4] = False
        pos = stream[keep].astype(np.int64)
    else:  # mixed widths (a field over 65,536 words): one value at a time
        pos = np.concatenate([np.asarray(decode_positions(v), dtype=np.int64) for v in values])
    return (np.repeat(docs, counts) << 32) | pos


def _read_positions(reader, field: str, word: str) -> np.ndarray:
    """Occurrences of ``word`` in ``field`` as sorted ``docnum << 32 | position`` keys.

    Reads the posting blocks as :mod:`searchapp.fastscore` does, and decodes their packed
    positions (``schema.PackedPositions``) as whole blocks with numpy; other encodings are
    read one posting at a time.
    """
    tbytes = word.encode("utf-8")
    fmt = reader.schema[field].format
    parts: list[np.ndarray] = []
    for leaf, offset in reader.leaf_readers():
        if (field, tbytes) not in leaf:
            continue
        m = leaf._terms.matcher(field, tbytes, fmt)
        if isinstance(m, W3LeafMatcher) and isinstance(fmt, PackedPositions):
            while m.is_active():
                if m._data is None:
                    m._read_data()
                raw_ids, values = m._data[0], m._data[2]
                docs = np.cumsum(np.asarray(raw_ids, dtype=np.int64)) + offset
                parts.append(_block_positions(docs, values))
                m._next_block()
        else:
            while m.is_active():
                pos = np.asarray(m.value_as("positions"), dtype=np.int64)
                parts.append(((m.id() + offset) << 32) | pos)
                m.next()
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
