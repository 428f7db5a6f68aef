"""Vectorized scoring of plain-word queries: the same scores as the Whoosh query, much faster.

Whoosh evaluates a query one document at a time in Python, through a tree of matcher objects.
A ten-word question touches ~15,000 of 31,000 articles and took ~130 ms at p95 that way (and
counting facets over all matches ~90 ms more). Here each posting list is read once per index
generation into numpy arrays (docnums, term frequencies) and cached; a query is then a few
array operations: BM25F per term, sums per word, the coordination factors of
:mod:`searchapp.ranking`, filters and facets as masks and ``bincount``.

It reproduces :func:`searchapp.ranking.build` for queries made of plain words (optionally
negated), with filters, dates, sorting and facets; ``tests/test_fastscore.py`` checks its scores
against Whoosh's on the same index. Phrases, prefixes, OR, and month names go through Whoosh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.util.times import datetime_to_long

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.querylang import ParsedQuery
from searchapp.ranking import (
    Ranking,
    Words,
    coordination_weights,
    is_informative,
    must_match,
    term_idf,
    word_terms,
)
from searchapp.schema import ID_KEY, SCORED_FIELDS
from searchapp.sparse import union
from searchapp.synonyms import find_months
from searchapp.termstats import LocalStats, TermStats

#: Bytes of decoded posting lists an engine keeps per index generation (shared by threads).
POSTING_CACHE_BYTES = 256 * 2**20
#: Postings decoded by :meth:`DocTable.preload` at server start: the most frequent terms'
#: lists, which are both the slowest to decode on first use (about 1 µs a posting, measured:
#: a 64-word OR of frequent words spent 0.45 s decoding, over the 0.5 s a request may cost)
#: and the ones nearly every question touches. 1.5 M postings are about 24 MB of arrays.
PRELOAD_POSTINGS = 1_500_000
FACET_FIELDS = ("source", "section", "author")
_NO_DATE = np.iinfo(np.int64).min
_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0)


@dataclass
class Plan:
    """The plain words of a query, as (surface, stem) pairs."""

    positive: list[tuple[str, str]]
    negative: list[tuple[str, str]]
    highlight: list[tuple[str, str]]  # every positive word, stop words included


def plan(parsed: ParsedQuery) -> Plan | None:
    """The words to score, or None when the query needs Whoosh (phrases, prefixes, OR...)."""
    pos: list[tuple[str, str]] = []
    neg: list[tuple[str, str]] = []
    for c in parsed.clauses:
        if c.kind != "word" or c.alternatives:
            return None
        toks = tokens_with_offsets(c.text)
        if len(toks) != 1:
            return None
        surface, stem, _, _ = toks[0]
        (neg if c.negated else pos).append((surface, stem))
    if not parsed.question and find_months([s for s, _ in pos]):
        return None
    drop = any(not arabic.is_stop_word(s) for s, _ in pos)
    kept, seen = [], set()
    for w in pos:
        if (drop and arabic.is_stop_word(w[0])) or w in seen:
            continue
        seen.add(w)
        kept.append(w)
    return Plan(kept, neg, pos)


class DocTable:
    """Per-generation arrays: live documents, field lengths, facet codes, dates, postings.

    Shared by all threads of an engine: it owns its own Whoosh reader (readers are not
    thread-safe) and reads postings under a lock; everything else is immutable arrays.
    """

    def __init__(self, index) -> None:
        self._lock = threading.Lock()
        self.reader = reader = index.reader()
        self.n = reader.doc_count_all()
        self.live = np.zeros(self.n, dtype=bool)
        self.live[list(reader.all_doc_ids())] = True
        self.lengths: dict[str, np.ndarray] = {}
        self.avg_length: dict[str, float] = {}
        for f in SCORED_FIELDS:
            self.lengths[f] = self._lengths(reader, f)
            self.avg_length[f] = (reader.field_length(f) / self.n) if self.n else 1.0
        self.codes: dict[str, np.ndarray] = {}
        self.values: dict[str, list[str]] = {}
        for f in FACET_FIELDS:
            codes = np.full(self.n, -1, dtype=np.int32)
            values: list[str] = []
            for term in reader.lexicon(f):
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                ids, _ = self._read_postings(f, text)
                codes[ids] = len(values)
                values.append(text)
            self.codes[f] = codes
            self.values[f] = values
        self.dates = self._dates(reader)
        self.keys = self._keys(reader)
        self.year_codes, self.year_values = self._years()
        self._postings: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict())
        self.cache_budget = POSTING_CACHE_BYTES
        self.cached_bytes = 0

    def _lengths(self, reader, field: str) -> np.ndarray:
        """Field lengths as Whoosh answers them (one byte per document, decoded through
        ``byte_to_length``), read as whole arrays: a loop over ``doc_field_length`` took
        ~1 µs a call, four seconds per million articles."""
        out = np.zeros(self.n, dtype=np.float64)
        for leaf, offset in reader.leaf_readers():
            n = leaf.doc_count_all()
            col = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN) if n else None
            if col is None:
                continue
            raw = _fixed_bytes(col, n, np.uint8)
            out[offset:offset + n] = _BYTE_LENGTHS[raw]
        return out

    def _dates(self, reader) -> np.ndarray:
        """The date column, segment by segment: a segment where no article had a date has no
        column at all (an undated sample page added to a dated archive), and reading the
        multi-segment column as one stream would come up short."""
        out = np.full(self.n, _NO_DATE, dtype=np.int64)
        if "date" not in reader.schema:
            return out
        for leaf, offset in reader.leaf_readers():
            n = leaf.doc_count_all()
            if not n or not leaf.has_column("date"):
                continue
            raw = _fixed_bytes(leaf.column_reader("date", translate=False), n,
                               np.dtype(">u8")).astype(np.uint64)
            has = raw != np.iinfo(np.uint64).max
            out[offset:offset + n][has] = raw[has].astype(np.int64)
        return out

    def _keys(self, reader) -> np.ndarray:
        """The id key column (:func:`searchapp.schema.id_key`): the tie order."""
        out = np.zeros(self.n, dtype=np.uint64)
        for leaf, offset in reader.leaf_readers():
            n = leaf.doc_count_all()
            if n and leaf.has_column(ID_KEY):
                out[offset:offset + n] = _fixed_bytes(
                    leaf.column_reader(ID_KEY, translate=False), n, np.dtype(">u8"))
        return out

    def _years(self) -> tuple[np.ndarray, list[str]]:
        """Year facet codes from the date column (microseconds since datetime.min)."""
        codes = np.full(self.n, -1, dtype=np.int32)
        has = self.dates != _NO_DATE
        if not has.any():
            return codes, []
        days = self.dates[has] // (86_400 * 10**6)
        distinct, inverse = np.unique(days, return_inverse=True)
        years = [datetime.fromordinal(1 + int(d)).year for d in distinct]
        values = sorted(set(years))
        index = {y: i for i, y in enumerate(values)}
        codes[np.nonzero(has)[0]] = np.array([index[y] for y in years], dtype=np.int32)[inverse]
        return codes, [str(y) for y in values]

    # -- postings -------------------------------------------------------------------------
    def _read_postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        tbytes = text.encode("utf-8")
        fmt = self.reader.schema[field].format
        for leaf, offset in self.reader.leaf_readers():
            if (field, tbytes) not in leaf:
                continue
            m = leaf._terms.matcher(field, tbytes, fmt)
            if isinstance(m, W3LeafMatcher):
                _read_blocks(m, offset, ids, weights)
            else:  # inlined or other posting formats: one posting at a time
                one_ids, one_w = [], []
                while m.is_active():
                    one_ids.append(m.id() + offset)
                    one_w.append(m.weight())
                    m.next()
                ids.append(np.asarray(one_ids, dtype=np.int64))
                weights.append(np.asarray(one_w, dtype=np.float64))
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(ids), np.concatenate(weights)

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers as int32, term frequencies as float64) of one term, from a
        least-recently-used cache bounded in bytes (``POSTING_CACHE_BYTES``), not in terms:
        at a million articles one frequent term is megabytes, a rare one a few bytes."""
        key = (field, text)
        with self._lock:
            hit = self._postings.get(key)
            if hit is not None:
                self._postings.move_to_end(key)
                return hit
            ids, tf = self._read_postings(field, text)
            hit = (ids.astype(np.int32), tf)
            size = _entry_bytes(hit)
            if size <= self.cache_budget // 4:
                self._postings[key] = hit
                self.cached_bytes += size
                while self.cached_bytes > self.cache_budget:
                    _, old = self._postings.popitem(last=False)
                    self.cached_bytes -= _entry_bytes(old)
            return hit

    def preload(self, terms: list[tuple[str, str]], budget: int = PRELOAD_POSTINGS) -> int:
        """Decode the postings of ``terms`` ((field, text), most wanted first) into the cache
        until ``budget`` postings; returns how many were decoded. Scanning the lexicon for
        the most frequent terms took 6 s on SaudiNewsNet, so callers name the candidates."""
        done = 0
        for field, text in terms:
            if field not in self.reader.schema:
                continue
            df = self.doc_frequency(field, text)
            if not df or done + df > budget:
                continue
            done += len(self.postings(field, text)[0])
        return done

    def release(self) -> None:
        """Drop the posting cache (a replaced generation: threads still on it re-read)."""
        with self._lock:
            self._postings.clear()
            self.cached_bytes = 0

    def close(self) -> None:
        with self._lock:
            self._postings.clear()
            self.cached_bytes = 0
            self.reader.close()

    def doc_frequency(self, field: str, text: str) -> int:
        with self._lock:
            return self.reader.doc_frequency(field, text)


def _entry_bytes(entry: tuple[np.ndarray, np.ndarray]) -> int:
    return entry[0].nbytes + entry[1].nbytes + 200  # + key, tuple and array headers


#: ``byte_to_length`` for every length byte (0 stays 0, as Whoosh's reader answers it).
_BYTE_LENGTHS = np.array([0] + [byte_to_length(b) for b in range(1, 256)], dtype=np.float64)


def _fixed_bytes(col, n: int, dtype) -> np.ndarray:
    """A Whoosh fixed-width column (``FixedBytesColumn.Reader`` layout: values for the first
    ``length // width`` documents, the default after them) as one array, in one read."""
    dtype = np.dtype(dtype)
    count = min(col._count, n)
    raw = col._dbfile.get(col._basepos, count * dtype.itemsize)
    out = np.empty(n, dtype=dtype)
    out[:count] = np.frombuffer(raw, dtype=dtype, count=count)
    out[count:] = np.frombuffer(col._defaultbytes, dtype=dtype)[0]
    return out


def _read_blocks(m: W3LeafMatcher, offset: int, ids: list, weights: list) -> None:
    """Decode a Whoosh 3 posting list block by block with numpy.

    A block stores its document numbers delta-encoded (the first one absolute) and its weights
    as None (all 1.0), one float for all, or an array: the layout of ``W3LeafMatcher``.
    """
    while m.is_active():
        if m._data is None:
            m._read_data()
        raw_ids, raw_w = m._data[0], m._data[1]
        block_ids = np.cumsum(np.asarray(raw_ids, dtype=np.int64)) + offset
        ids.append(block_ids)
        if raw_w is None:
            weights.append(np.ones(len(block_ids)))
        elif isinstance(raw_w, float):
            weights.append(np.full(len(block_ids), raw_w))
        else:
            weights.append(np.asarray(raw_w, dtype=np.float64))
        m._next_block()


@dataclass
class Scored:
    """Scores of every document (0 where not matched) and the candidate mask.

    ``complete``: the documents holding every positive query word, or enough of them
    (``ranking.must_match``; None when the query has fewer than two): what
    :func:`keep_complete` narrows ``matched`` to.
    """

    scores: np.ndarray
    matched: np.ndarray
    complete: np.ndarray | None = None

    @cached_property
    def candidates(self) -> np.ndarray:
        """The matched document numbers, computed once for the total, the facets and the
        page (three boolean-mask passes over a million documents were ~10 ms a query).
        Read it only once ``matched`` is final (filters applied)."""
        return np.flatnonzero(self.matched)


class FastScorer:
    """Scores a :class:`Plan` with the formula of :func:`searchapp.ranking.build`."""

    def __init__(self, table: DocTable, ranking: Ranking, stats: TermStats | None = None
                 ) -> None:
        """``stats``: the statistics to score with (default the table's own; a shard gets
        the whole sharded index's, see :mod:`searchapp.termstats`)."""
        self.t = table
        self.stats = stats or LocalStats(table)
        self.r = ranking
        weighting = ranking.weighting()
        self.k1 = weighting.K1
        self._b = {f: weighting._field_B.get(f, weighting.B) for f in SCORED_FIELDS}

    def _df(self, field: str, text: str) -> int:
        return self.stats.doc_frequency(field, text) if field in self.t.reader.schema else 0

    def _term_scores(self, field: str, text: str, boost: float
                     ) -> tuple[np.ndarray, np.ndarray] | None:
        ids, tf = self.t.postings(field, text)
        if not len(ids):
            return None
        idf = term_idf(self.stats.n, self.stats.doc_frequency(field, text), self.r.idf)
        b, k1 = self._b[field], self.k1
        dl = self.t.lengths[field][ids]
        avg = self.stats.avg_length(field)
        score = idf * (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * dl / avg))
        return ids, boost * score

    def _word(self, surface: str, stem: str, fields: dict[str, float]
              ) -> tuple[np.ndarray, np.ndarray]:
        """(documents, score) of one word over ``fields``, as sorted sparse arrays.

        Sparse on purpose: a dense per-document array per word (8 MB each at a million
        articles, plus its zeroing and sums) made a ten-word question cost ~10 n-sized passes
        per word. The sums are taken in the same order as a dense accumulator would, so the
        scores are bit-for-bit what they were.
        """
        parts = [self._term_scores(f, t, b) for terms in word_terms(surface, stem, self.r,
                                                                    self._df, fields)
                 for f, t, b in terms]
        parts = [p for p in parts if p is not None]
        if not parts:
            return _NO_IDS, _NO_SCORES
        if len(parts) == 1:
            return parts[0][0].astype(np.int64), 0.0 + parts[0][1]
        docs = union([ids for ids, _ in parts], self.t.n)
        acc = np.zeros(len(docs))
        for ids, score in parts:
            acc[np.searchsorted(docs, ids)] += score
        return docs, acc

    def score(self, p: Plan) -> Scored:
        n_words = len(p.positive)
        r = self.r
        n = self.t.n
        title = {f: w for f, w in r.field_weights.items() if f == "title"}
        rest = {f: w for f, w in r.field_weights.items() if f != "title"}
        t_sum, r_sum = np.zeros(n), np.zeros(n)
        t_cnt = np.zeros(n)
        r_cnt = np.zeros(n)
        any_cnt = np.zeros(n)
        words_in = np.zeros(n, dtype=np.int32)  # query words each document holds, unweighted
        seen = np.zeros(n, dtype=bool)
        weights = coordination_weights([is_informative(stem, r, self._df, self.stats.n)
                                        for _, stem in p.positive], r) if n_words > 1 else None
        for i, (surface, stem) in enumerate(p.positive):
            t_ids, t_acc = self._word(surface, stem, title)
            r_ids, r_acc = self._word(surface, stem, rest)
            t_sum[t_ids] += t_acc
            r_sum[r_ids] += r_acc
            wt = 1.0 if weights is None else weights[i]
            t_cnt[t_ids] += wt
            r_cnt[r_ids] += wt
            both = union([t_ids, r_ids], n)
            any_cnt[both] += wt
            words_in[both] += 1
            seen[both] = True
        if weights is not None:
            n_words = sum(weights)
        cand = np.nonzero(seen)[0]
        scores = np.zeros(n)
        if len(p.positive) == 1:
            scores[cand] = t_sum[cand] + r_sum[cand]
        elif r.title_coord != r.coord:
            scores[cand] = (t_sum[cand] * (t_cnt[cand] / n_words) ** r.title_coord
                            + r_sum[cand] * (r_cnt[cand] / n_words) ** r.coord)
        else:
            scores[cand] = (t_sum[cand] + r_sum[cand]) * (any_cnt[cand] / n_words) ** r.coord
        matched = np.zeros(n, dtype=bool)
        matched[cand] = True
        matched &= self.t.live
        for surface, stem in p.negative:
            matched[self._word(surface, stem, r.field_weights)[0]] = False
        complete = (words_in >= must_match(len(p.positive)) if len(p.positive) > 1
                    else None)
        return Scored(scores, matched, complete)

    def everything(self, p: Plan) -> Scored:
        """No positive words: every live document not excluded (listed newest first)."""
        matched = self.t.live.copy()
        for surface, stem in p.negative:
            matched[self._word(surface, stem, self.r.field_weights)[0]] = False
        return Scored(np.zeros(self.t.n), matched)


def keep_complete(scored: Scored) -> int:
    """Narrow ``scored.matched`` (filters applied) to the documents holding every query word
    (of a long lookup, most: :func:`searchapp.ranking.must_match`) when there are any;
    returns how many such documents there are (0: none, and the set stays the documents
    holding any word).

    Why: coordination ranks complete matches first, but the set it ranks is every document
    holding any word, so a date order listed wedding dresses for أسعار النفط. A news search
    lists the documents holding all the words, in any order; when none holds them all (a
    misspelt or unknown word), the documents holding some of them are still better than an
    empty page. Both orders, the total and the facets use the set this leaves.
    """
    if scored.complete is None:
        return int(scored.matched.sum())
    full = scored.matched & scored.complete
    n = int(full.sum())
    if n:
        scored.matched = full
    return n


def filter_mask(table: DocTable, filters: dict[str, list[str]], date_from: datetime | None,
                date_to: datetime | None) -> np.ndarray:
    """Documents passing the field filters (any listed value) and the [from, to) date range."""
    mask = np.ones(table.n, dtype=bool)
    for f, wanted in filters.items():
        values = table.values[f]
        codes = [values.index(v) for v in wanted if v in values]
        mask &= np.isin(table.codes[f], codes)
    if date_from is not None:
        mask &= table.dates >= datetime_to_long(date_from)
    if date_to is not None:
        mask &= (table.dates < datetime_to_long(date_to)) & (table.dates != _NO_DATE)
    return mask


def top(scored: Scored, k: int, sort: str, table: DocTable) -> list[tuple[int, float]]:
    """The first ``k`` (docnum, score) of the ranking (or of the date order). Ties go by
    the id key (:func:`searchapp.schema.id_key`), so that a sharded index, merging its
    shards' pages, lists them in the same order (then by docnum, for a 64-bit collision)."""
    cand = scored.candidates
    if not len(cand) or k <= 0:
        return []
    if sort == "relevance":
        s = scored.scores[cand]
        if len(cand) > k:  # keep every document tied with the k-th, then order exactly
            kth = -np.partition(-s, k - 1)[k - 1]
            keep = s >= kth
            cand, s = cand[keep], s[keep]
        order = np.lexsort((cand, table.keys[cand], -s))
    else:
        d = table.dates[cand]
        missing = d == _NO_DATE  # undated documents come last either way
        key = np.where(missing, np.iinfo(np.int64).max, -d if sort == "newest" else d)
        if len(cand) > k:  # the k earliest keys and every tie with the k-th, then sort those
            keep = key <= np.partition(key, k - 1)[k - 1]
            cand, key = cand[keep], key[keep]
        order = np.lexsort((cand, table.keys[cand], key))[:k]
        s = scored.scores[cand]
    return [(int(cand[i]), float(s[i])) for i in order[:k]]


def facet_counts(scored: Scored, codes: np.ndarray, values: list[str]) -> list[tuple[str, int]]:
    picked = codes[scored.candidates]
    picked = picked[picked >= 0]
    counts = np.bincount(picked, minlength=len(values))
    pairs = [(values[i], int(c)) for i, c in enumerate(counts) if c]
    return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))


def words_of(p: Plan) -> Words:
    w = Words()
    for surface, stem in p.highlight:
        w.surfaces.add(surface)
        w.stems.add(stem)
    return w
