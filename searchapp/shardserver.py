"""One shard's side of a sharded search: what the coordinator asks a shard, in plain data.

A :class:`ShardServer` answers for one shard of a sharded index (:mod:`searchapp.shards`),
in this process or inside a Ray actor (:mod:`searchapp.cluster`): the same object either
way, so in-process and distributed search cannot drift apart. Every answer is computed on
the generation the request names (the one ``cluster.json`` named when the coordinator read
it), so one request never mixes shard generations; a server keeps the engines of the two
newest generations it was asked for.

Its engine is an ordinary :class:`SearchEngine` on that generation; a query is scored by the
engine's own ``_match`` with the whole index's statistics (:class:`termstats.SharedStats`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from searchapp import fastscore, ranking, storage
from searchapp.engine import SearchEngine
from searchapp.results import FilterSpec, Hit
from searchapp.shards import shard_generation
from searchapp.spelling import FormCandidates, form_candidates
from searchapp.termstats import Key, SharedStats, local_value

#: Engines (open generations) a server keeps: the served one and the one before it, for
#: requests that started before a new manifest.
KEEP_GENERATIONS = 2
_NO_KEY = np.iinfo(np.int64).max


class PinnedEngine(SearchEngine):
    """A :class:`SearchEngine` on one named generation of one shard (not its CURRENT)."""

    def __init__(self, root: str, shard: int, generation: str,
                 ranking_config: ranking.Ranking | None = None) -> None:
        self.root, self.shard, self.generation_name = root, shard, generation
        from searchapp.shards import shard_dir

        super().__init__(shard_dir(root, shard), ranking_config)

    def _generation(self) -> storage.Generation:
        return shard_generation(self.root, self.shard, self.generation_name)

    def _marker(self) -> object:
        return self.generation_name


@dataclass(frozen=True)
class Request:
    """One query as every shard sees it."""

    q: str
    spec: FilterSpec
    sort: str
    k: int  # page x per_page: each shard's share of the merged page can be all of it
    facets: bool = True


@dataclass
class Ranked:
    """One set's answer from one shard: its size, facets and first ``k`` entries, each
    (sort key, id key, docnum, score): the coordinator merges by (sort key, id key)."""

    total: int
    facets: dict[str, dict[str, int]]
    top: list[tuple[int | float, int, int, float]]


@dataclass
class ShardAnswer:
    """A shard's answer to a :class:`Request`: both candidate sets, because only the
    coordinator knows whether any shard has documents holding every word
    (:func:`fastscore.keep_complete`)."""

    any_words: Ranked
    #: The documents holding every word (None: the query has fewer than two words).
    all_words: Ranked | None
    complete: int | None
    sort: str  # the order used ("relevance" becomes "newest" for a query of no words)
    words: ranking.Words = field(default_factory=ranking.Words)


class ShardServer:
    """Answers for shard ``shard`` of the sharded index at ``root``."""

    def __init__(self, root: str, shard: int,
                 ranking_config: ranking.Ranking | None = None) -> None:
        self.root, self.shard = root, shard
        self.ranking = ranking_config
        self._engines: OrderedDict[str, PinnedEngine] = OrderedDict()
        self._lock = threading.Lock()
        #: Failure drills (``searchapp.cluster``): seconds each query phase waits first, and
        #: the query phases running now.
        self.fault_delay = 0.0
        self.in_flight = 0

    def engine(self, generation: str) -> PinnedEngine:
        with self._lock:
            e = self._engines.get(generation)
            if e is None:
                e = self._engines[generation] = PinnedEngine(self.root, self.shard, generation,
                                                             self.ranking)
                while len(self._engines) > KEEP_GENERATIONS:
                    self._engines.popitem(last=False)
            else:
                self._engines.move_to_end(generation)
            return e

    def ping(self) -> int:
        return self.shard

    # -- statistics -----------------------------------------------------------------------
    def stats(self, generation: str, keys: list[Key]) -> dict[Key, Any]:
        reader = self.engine(generation)._searcher().reader()
        return {k: local_value(k, reader) for k in keys}

    def dfs(self, generation: str, req: Request) -> dict[Key, Any]:
        """The statistics this query reads, as this shard has them (the dfs phase): the
        query is planned, not scored."""
        e = self.engine(generation)
        searcher = e._searcher()
        stats = SharedStats({}, searcher.reader())
        for f in fastscore.SCORED_FIELDS:
            stats.get(("len", f))
        stats.get(("n",))
        parsed = e._parse(req.q)
        from searchapp.termstats import StatsReader

        query, _ = ranking.build(parsed, StatsReader(searcher.reader(), stats),
                                 e.ranking_for(parsed))
        for f, t in (query.iter_all_terms() if query is not None else ()):
            if f in fastscore.SCORED_FIELDS:
                stats.get(("df", f, t.decode("utf-8") if isinstance(t, bytes) else t))
        return stats.missed

    # -- the query phase ------------------------------------------------------------------
    def query(self, generation: str, req: Request, values: dict[Key, Any]
              ) -> tuple[ShardAnswer | None, dict[Key, Any]]:
        """The shard's answer under the whole index's statistics ``values``, or (None,
        the statistics it also needs, as this shard has them)."""
        self.in_flight += 1
        try:
            if self.fault_delay:
                time.sleep(self.fault_delay)
            return self._query(generation, req, values)
        finally:
            self.in_flight -= 1

    def _query(self, generation: str, req: Request, values: dict[Key, Any]
               ) -> tuple[ShardAnswer | None, dict[Key, Any]]:
        e = self.engine(generation)
        searcher = e._searcher()
        stats = SharedStats(values, searcher.reader())
        parsed = e._parse(req.q)
        m = e._match(parsed, searcher, req.spec, False, stats=stats, narrow=False)
        if stats.missed:
            return None, stats.missed
        table = e._table()
        sort = "newest" if m.by_date and req.sort == "relevance" else req.sort
        scored = m.scored
        complete_mask = scored.complete
        any_words = self._ranked(scored, sort, req, table)
        all_words = complete = None
        if complete_mask is not None:
            full = fastscore.Scored(scored.scores, scored.matched & complete_mask)
            complete = int(full.matched.sum())
            all_words = self._ranked(full, sort, req, table)
        return ShardAnswer(any_words, all_words, complete, sort, m.words), {}

    @staticmethod
    def _ranked(scored: fastscore.Scored, sort: str, req: Request, table) -> Ranked:
        facets: dict[str, dict[str, int]] = {}
        if req.facets:
            for f in ("source", "section"):
                facets[f] = dict(fastscore.facet_counts(scored, table.codes[f],
                                                        table.values[f]))
            facets["year"] = dict(fastscore.facet_counts(scored, table.year_codes,
                                                         table.year_values))
        top = []
        for d, s in fastscore.top(scored, req.k, sort, table):
            if sort == "relevance":
                primary: int | float = -s
            else:
                date = int(table.dates[d])
                primary = _NO_KEY if date == fastscore._NO_DATE else (
                    -date if sort == "newest" else date)
            top.append((primary, int(table.keys[d]), d, s))
        return Ranked(int(scored.matched.sum()), facets, top)

    # -- the fetch phase ------------------------------------------------------------------
    def fetch(self, generation: str, docnums: list[int], words: ranking.Words,
              snippets: bool, scores: list[float]) -> list[Hit]:
        """The page's hits that live here, with snippets (only the final page's)."""
        e = self.engine(generation)
        searcher = e._searcher()
        return [e._hit_from(searcher.stored_fields(d), s, words, snippets)
                for d, s in zip(docnums, scores, strict=True)]

    def explain(self, generation: str, req: Request, values: dict[Key, Any],
                docnums: list[int]) -> list[list[dict]]:
        """Per document, how each query word matched (``Hit.explain``), under ``values``."""
        from searchapp.explain import Explainer

        e = self.engine(generation)
        searcher = e._searcher()
        parsed = e._parse(req.q)
        m = e._match(parsed, searcher, req.spec, True, stats=SharedStats(values,
                                                                      searcher.reader()),
                     narrow=False)
        if m.executor is None:
            return [[] for _ in docnums]
        explainer = Explainer(parsed)
        return [explainer(t) for t in m.executor.matched_terms(m.query, docnums)]

    def stored(self, generation: str, docnum: int) -> dict:
        return self.stored_many(generation, [docnum])[0]

    def stored_many(self, generation: str, docnums: list[int]) -> list[dict]:
        searcher = self.engine(generation)._searcher()
        return [searcher.stored_fields(d) for d in docnums]

    # -- documents and the rest -----------------------------------------------------------
    def document(self, generation: str, article_id: str) -> dict | None:
        return self.engine(generation)._searcher().document(id=article_id) or None

    def hit_by_id(self, generation: str, article_id: str) -> Hit | None:
        stored = self.document(generation, article_id)
        return SearchEngine._stored_hit(stored, 0.0) if stored else None

    def title_cooccurrence(self, generation: str, a: str, b: str) -> int:
        table = self.engine(generation)._table()
        return len(np.intersect1d(table.postings("title", a)[0],
                                  table.postings("title", b)[0], assume_unique=True))

    def form_candidates(self, generation: str, term: str) -> FormCandidates:
        """This shard's part of :func:`searchapp.spelling.written_form`."""
        e = self.engine(generation)
        return form_candidates(e._searcher(), e._table().keys, term)

    def newest_date(self, generation: str) -> datetime | None:
        return self.engine(generation).newest_date()

    def doc_count(self, generation: str) -> int:
        return self.engine(generation).doc_count

    def score_query(self, generation: str, query, values: dict[Key, Any], k: int
                    ) -> tuple[list[tuple[float, int, str]], dict[Key, Any]]:
        """The first ``k`` of a Whoosh query tree (more-like-this) under ``values``, as
        (score, id key, id); or ([], the missed statistics)."""
        e = self.engine(generation)
        searcher = e._searcher()
        stats = SharedStats(values, searcher.reader())
        table = e._table()
        ex = ranking.Executor(table, searcher, e.ranking, stats)
        scored = fastscore.Scored(*ex.score(query))
        if stats.missed:
            return [], stats.missed
        out = []
        for d, s in fastscore.top(scored, k, "relevance", table):
            out.append((s, int(table.keys[d]), searcher.stored_fields(d)["id"]))
        return out, {}

    def article_json(self, generation: str, article_id: str) -> dict | None:
        stored = self.document(generation, article_id)
        return json.loads(stored["doc"]) if stored else None

    def close(self) -> None:
        with self._lock:
            for e in self._engines.values():
                e.close()
            self._engines.clear()
