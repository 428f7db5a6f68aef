"""ShardedEngine: a sharded index searched as one, with :class:`SearchEngine`'s methods and
result dataclasses (the web app and the CLI use either the same way).

A query runs in phases, Elasticsearch's ``dfs_query_then_fetch``:

1. **dfs**: every shard plans the query and reports the statistics it reads (document
   count, field lengths, the document frequencies of its terms, a prefix's lexicon); the
   coordinator sums them.
2. **query**: every shard scores with those sums, so that each document gets the score it
   has in a single index over the same articles, and returns its first ``page x per_page``
   of both candidate sets (documents holding every word, and some), their totals and
   facets. A shard that needed a statistic it was not sent (a reading of a word that only
   the whole index's frequencies select) says so; the coordinator collects that statistic
   from every shard and asks again.
3. **merge and fetch**: totals and facets are sums; the page is the merge by (sort key,
   id key) (ties go by :func:`searchapp.schema.id_key` in one index too); only the page's
   hits are fetched, with snippets, from the shards that hold them.

So for a fresh build the ids, order, totals, facets and scores are the single index's
(``tests/test_sharded.py`` checks it for 1, 2 and 4 shards). Statistics count deleted
documents until their segment is merged, in a shard as in one index: after incremental
updates scores can differ in the last digits.

Shards are reached through a :class:`Transport`: :class:`LocalShards` (this process, shard
after shard) or ``searchapp.cluster.RayShards`` (Ray actors, with replicas). A shard no
replica answers for is left out: the result is partial and ``missing_shards`` names it.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from searchapp import querylang, ranking, termstats
from searchapp.collapse import Collapser
from searchapp.corpus import Article
from searchapp.engine import MAX_PER_PAGE, SORTS, SearchEngine
from searchapp.indexer import shard_of
from searchapp.related import more_like_query
from searchapp.results import FilterSpec, Hit, SearchResults
from searchapp.shards import ClusterManifest, marker, read_manifest, shard_name
from searchapp.shardserver import Ranked, Request, ShardAnswer, ShardServer
from searchapp.spelling import did_you_mean, known_lookups, pick_form, should_autocorrect
from searchapp.suggest import Suggester

log = logging.getLogger("searchapp.coordinator")

#: Query rounds before giving up on statistics that keep changing (never seen: each round
#: adds the statistics the previous one's readings chose, and readings only depend on them).
MAX_ROUNDS = 6


class ShardUnavailable(Exception):
    """No replica of a shard answered."""


class Transport(Protocol):
    """How the coordinator reaches shards: ``call`` runs ``method`` on shard ``i`` (retrying
    other replicas) and raises :class:`ShardUnavailable`; ``gather`` runs it on several
    shards at once and returns a result or a :class:`ShardUnavailable` per shard."""

    def call(self, i: int, method: str, *args: Any) -> Any: ...

    def gather(self, calls: dict[int, tuple], timeout: float | None = None
               ) -> dict[int, Any]: ...

    def close(self) -> None: ...


class LocalShards:
    """Every shard in this process, asked one after the other."""

    def __init__(self, root: str, shards: int, ranking_config: ranking.Ranking | None) -> None:
        self.servers = [ShardServer(root, i, ranking_config) for i in range(shards)]

    def call(self, i: int, method: str, *args: Any) -> Any:
        return getattr(self.servers[i], method)(*args)

    def gather(self, calls: dict[int, tuple], timeout: float | None = None
               ) -> dict[int, Any]:
        return {i: self.call(i, method, *args) for i, (method, *args) in calls.items()}

    def close(self) -> None:
        for s in self.servers:
            s.close()


@dataclass
class _View:
    """One manifest, as a request sees it from start to end."""

    manifest: ClusterManifest
    marker: object
    suggester: Suggester


@dataclass
class _Merged:
    answers: dict[int, ShardAnswer]
    values: dict
    missing: list[int]
    sets: dict[int, Ranked]
    total: int
    complete: int  # documents holding every word (as ``SearchEngine._Match.complete``)
    sort: str
    words: ranking.Words


class _Incomplete(Exception):
    """A statistic was missing: the computation is redone once it is collected."""


class ShardedEngine:
    """Search a sharded index (:mod:`searchapp.shards`) as :class:`SearchEngine` searches
    one; ``transport`` reaches the shards (default: in this process)."""

    def __init__(self, index_dir: str | os.PathLike = "index",
                 ranking_config: ranking.Ranking | None = None, *,
                 transport: Callable[[str, int], Transport] | None = None,
                 background_swap: bool = False) -> None:
        self.index_dir = os.fspath(index_dir)
        self.ranking = ranking_config or ranking.Ranking()
        self.background_swap = background_swap
        self._make_transport = transport or (lambda root, n: LocalShards(root, n,
                                                                         self.ranking))
        self._lock = threading.Lock()
        self._view: _View | None = None
        first = read_manifest(self.index_dir)  # fail early with a clear message
        self.transport = self._make_transport(self.index_dir, first.shards)
        self._shards = first.shards

    # -- the manifest ---------------------------------------------------------------------
    def _current(self) -> _View:
        m = marker(self.index_dir)
        view = self._view
        if view is not None and view.marker == m:
            return view
        with self._lock:
            if self._view is None or self._view.marker != marker(self.index_dir):
                manifest = read_manifest(self.index_dir)
                if manifest.shards != self._shards:  # rebuilt with another shard count
                    self.transport.close()
                    self.transport = self._make_transport(self.index_dir, manifest.shards)
                    self._shards = manifest.shards
                sug = Suggester(Path(self.index_dir) / manifest.shared)
                self._view = _View(manifest, m, sug)
                log.log(logging.INFO if self.background_swap else logging.DEBUG,
                        "serving sharded index: %d shards, generations %s",
                        manifest.shards, ", ".join(manifest.generations))
            return self._view

    @property
    def shard_count(self) -> int:
        return self._current().manifest.shards

    def _gather(self, view: _View, shards: list[int], method: str, *args: Any,
                per_shard: Callable[[int], tuple] | None = None) -> tuple[dict[int, Any],
                                                                           list[int]]:
        gens = view.manifest.generations
        calls = {i: (method, gens[i], *(per_shard(i) if per_shard else args))
                 for i in shards}
        got = self.transport.gather(calls)
        ok = {i: r for i, r in got.items() if not isinstance(r, ShardUnavailable)}
        return ok, sorted(set(shards) - set(ok))

    def _call(self, view: _View, i: int, method: str, *args: Any) -> Any:
        return self.transport.call(i, method, view.manifest.generations[i], *args)

    # -- statistics -----------------------------------------------------------------------
    def _collect(self, view: _View, shards: list[int], keys: list, values: dict,
                 missing: list[int]) -> None:
        got, lost = self._gather(view, shards, "stats", keys)
        missing.extend(i for i in lost if i not in missing)
        termstats.add(values, termstats.total(got[i] for i in sorted(got)))

    def _computed(self, view: _View, fn: Callable[[termstats.StatsReader], Any],
                  values: dict | None = None, missing: list[int] | None = None) -> Any:
        """``fn(reader)`` with a reader whose statistics are the whole index's, collected
        from the shards as ``fn`` turns out to need them (one round per level of need)."""
        values = {} if values is None else values
        missing = [] if missing is None else missing
        for _ in range(MAX_ROUNDS * 4):
            rec = _Recording(values)
            try:
                out = fn(termstats.StatsReader(_NoReader(), rec))
            except _Incomplete:
                out = None
            if not rec.missed:
                return out
            live = [i for i in range(view.manifest.shards) if i not in missing]
            if not live:  # no shard answers: nothing more to learn
                return out
            self._collect(view, live, sorted(rec.missed, key=repr), values, missing)
        raise RuntimeError("statistics did not settle")

    # -- search ---------------------------------------------------------------------------
    def search(
        self,
        q: str,
        page: int = 1,
        per_page: int = 10,
        *,
        snippets: bool = True,
        filters: dict[str, str | list[str]] | None = None,
        date_from: date | datetime | None = None,
        date_to: date | datetime | None = None,
        sort: str = "relevance",
        facets: bool = True,
        suggest: bool = True,
        explain: bool = False,
        collapse: bool = False,
        autocorrect: bool = False,
    ) -> SearchResults:
        """:meth:`SearchEngine.search` over every shard (see the module docstring);
        ``missing_shards`` names the shards that did not answer (the result is partial)."""
        started = time.perf_counter()
        page = max(1, int(page))
        per_page = min(max(1, int(per_page)), MAX_PER_PAGE)
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        view = self._current()
        parsed = self._parse(q)
        spec = SearchEngine._filter_spec(parsed, filters, date_from, date_to)
        req = Request(q, spec, sort, page * per_page, facets)
        m = self._match(view, req)
        suggestion = corrected_from = None
        if suggest:
            suggestion = self._did_you_mean(view, q, parsed, spec, m)
        if suggestion is not None and autocorrect:
            fixed = self._match(view, replace(req, q=suggestion))
            if should_autocorrect(m.complete, fixed.complete):
                q, corrected_from, suggestion, m = suggestion, q, None, fixed
                req = replace(req, q=q)
        result = self._page(view, req, m, page, per_page, snippets, explain, collapse)
        result.suggestion, result.corrected_from = suggestion, corrected_from
        result.missing_shards = [shard_name(i) for i in m.missing]
        result.seconds = time.perf_counter() - started
        return result

    def _parse(self, q: str) -> querylang.ParsedQuery:
        return querylang.parse(q, question=None if self.ranking.questions else False)

    def _match(self, view: _View, req: Request) -> _Merged:
        shards = list(range(view.manifest.shards))
        got, missing = self._gather(view, shards, "dfs", req)
        values = self._summed(view, got, missing)
        for _ in range(MAX_ROUNDS):
            live = [i for i in shards if i not in missing]
            got, lost = self._gather(view, live, "query", req, values)
            missing += lost
            missed: set = set()
            for _ans, need in got.values():
                missed.update(need)
            if not missed:
                return self._merge({i: a for i, (a, _) in got.items()}, values,
                                   sorted(missing), req)
            self._collect(view, [i for i in live if i not in missing],
                          sorted(missed, key=repr), values, missing)
        raise RuntimeError(f"statistics of {req.q!r} did not settle")

    def _summed(self, view: _View, got: dict[int, dict], missing: list[int]) -> dict:
        """The sums of the shards' statistics, each over every shard: a shard planning with
        its own frequencies may read statistics others did not (another expansion of a
        prefix, another reading of a word), and a sum missing a shard would be wrong."""
        wanted: set = set().union(*(set(v) for v in got.values())) if got else set()
        lacking = {i: sorted(wanted - set(v), key=repr) for i, v in got.items()}
        lacking = {i: keys for i, keys in lacking.items() if keys}
        if lacking:
            more, lost = self._gather(view, sorted(lacking), "stats",
                                      per_shard=lambda i: (lacking[i],))
            missing.extend(i for i in lost if i not in missing)
            for i, extra in more.items():
                got[i] = {**got[i], **extra}
        return termstats.total(got[i] for i in sorted(got) if i not in missing)

    @staticmethod
    def _merge(answers: dict[int, ShardAnswer], values: dict, missing: list[int],
               req: Request) -> _Merged:
        counts = [a.complete for a in answers.values() if a.complete is not None]
        complete = sum(counts) if counts else None
        use_all = complete is not None and complete > 0
        sets = {i: (a.all_words if use_all and a.all_words is not None else a.any_words)
                for i, a in answers.items()}
        total = sum(s.total for s in sets.values())
        first = next(iter(answers.values()), None)
        return _Merged(answers, values, missing, sets, total,
                       complete if complete is not None else total,
                       first.sort if first else req.sort,
                       first.words if first else ranking.Words())

    def _ranking(self, m: _Merged, k: int) -> list[tuple[tuple[int, int], float]]:
        entries = [(primary, key, i, d, s) for i, ranked in m.sets.items()
                   for primary, key, d, s in ranked.top]
        entries.sort()
        return [((i, d), s) for _, _, i, d, s in entries[:k]]

    def _page(self, view: _View, req: Request, m: _Merged, page: int, per_page: int,
              snippets: bool, explain: bool, collapse: bool) -> SearchResults:
        result = SearchResults(query=req.q, total=m.total, page=page, per_page=per_page)
        if req.facets:
            for f in ("source", "section", "year"):
                summed: dict[str, int] = {}
                for ranked in m.sets.values():
                    for v, c in ranked.facets.get(f, {}).items():
                        summed[v] = summed.get(v, 0) + c
                result.facets[f] = sorted(summed.items(), key=lambda kv: (-kv[1], kv[0]))
        if collapse:
            groups = Collapser(_StoredFields(self, view),
                               lambda k: self._ranking(self._widened(view, req, m, k), k)
                               ).page(page, per_page)
        else:
            groups = [(ref, s, ()) for ref, s in
                      self._ranking(m, page * per_page)[(page - 1) * per_page:]]
        by_shard: dict[int, list[int]] = {}
        for pos, ((i, _), _, _) in enumerate(groups):
            by_shard.setdefault(i, []).append(pos)
        hits: list[Hit | None] = [None] * len(groups)
        shards = sorted(by_shard)

        def docs(i: int) -> list[int]:
            return [groups[p][0][1] for p in by_shard[i]]

        # One round for the whole page: every shard fetches its hits at once. A shard that
        # stops answering between the query and the fetch phase loses its hits from the
        # page and is named in ``missing_shards``, as one that never answered.
        fetched, lost = self._gather(view, shards, "fetch", per_shard=lambda i: (
            docs(i), m.words, snippets, [groups[p][1] for p in by_shard[i]]))
        why: dict[int, list] = {i: [None] * len(by_shard[i]) for i in shards}
        if explain:
            got, lost_explaining = self._gather(
                view, sorted(fetched), "explain",
                per_shard=lambda i: (req, m.values, docs(i)))
            why.update(got)
            lost += lost_explaining
        for i in lost:
            fetched.pop(i, None)
            if i not in m.missing:
                m.missing.append(i)
        m.missing.sort()
        for i, positions in by_shard.items():
            if i not in fetched:
                continue
            for p, h, ex in zip(positions, fetched[i], why[i], strict=True):
                if groups[p][2]:
                    h = replace(h, similar=groups[p][2])
                if explain:
                    h = replace(h, explain=ex)
                hits[p] = h
        result.hits = [h for h in hits if h is not None]
        return result

    def _widened(self, view: _View, req: Request, m: _Merged, k: int) -> _Merged:
        """The same query's merge with ``k`` entries per shard (collapsing reads deeper)."""
        if k <= req.k:
            return m
        wide = replace(req, k=k)
        got, lost = self._gather(view, sorted(m.answers), "query", wide, m.values)
        answers = {i: a for i, (a, need) in got.items() if a is not None}
        return self._merge(answers, m.values, sorted(set(m.missing) | set(lost)), wide)

    # -- spelling, suggestions, documents --------------------------------------------------
    def _did_you_mean(self, view: _View, q: str, parsed, spec: FilterSpec,
                      m: _Merged) -> str | None:
        sug = view.suggester

        def count(query: str) -> int:
            return self._match(view, Request(query, spec, "relevance", 1, False)).complete

        def written(term: str) -> str:
            got, _ = self._gather(view, list(range(view.manifest.shards)), "form_candidates",
                                  term)
            return pick_form([got[i] for i in sorted(got)], term)

        def run(reader) -> str | None:
            searcher = _Searcher(reader)
            return did_you_mean(q, parsed, searcher, sug.display, m.complete,
                                _guarded(reader, count), sug.phrase_counts,
                                written=_guarded(reader, written))

        # The match's statistics, and the frequencies that decide which words are rare,
        # first: the rounds then only ask for the candidates of the words that are.
        values, missing = dict(m.values), list(m.missing)
        keys = [k for f, t in known_lookups(parsed) if (k := ("df", f, t)) not in values]
        live = [i for i in range(view.manifest.shards) if i not in missing]
        if keys and live:
            self._collect(view, live, keys, values, missing)
        return self._computed(view, run, values, missing)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """:meth:`SearchEngine.suggest` over the whole index's titles."""
        limit = min(max(1, int(limit)), 50)
        view = self._current()

        def cooccurring(a: str, b: str) -> int:
            got, _ = self._gather(view, list(range(view.manifest.shards)),
                                  "title_cooccurrence", a, b)
            return sum(got.values())

        return view.suggester.complete(prefix[: querylang.MAX_QUERY_CHARS], limit,
                                       cooccurring)

    def query_words(self, q: str) -> ranking.Words:
        parsed = self._parse(q)
        rk = self.ranking.for_question() if parsed.question else self.ranking
        return self._computed(self._current(), lambda r: ranking.build(parsed, r, rk)[1])

    def get_article(self, article_id: str) -> Article | None:
        view = self._current()
        data = self._call(view, shard_of(article_id, view.manifest.shards), "article_json",
                          article_id)
        return Article.from_dict(data) if data else None

    def more_like_this(self, article_id: str, limit: int = 5) -> list[Hit]:
        """:meth:`SearchEngine.more_like_this`: the key terms are weighed with the whole
        index's frequencies and scored on every shard."""
        limit = min(max(1, int(limit)), MAX_PER_PAGE)
        view = self._current()
        article = self.get_article(article_id)
        if article is None:
            return []
        n = view.manifest.shards
        out: dict[str, Hit] = {}
        for rid in article.related:
            if len(out) == limit:
                break
            if rid != article_id:
                h = self._call(view, shard_of(rid, n), "hit_by_id", rid)
                if h is not None:
                    out[rid] = h
        values: dict = {}
        query = self._computed(view, lambda r: more_like_query(article, r), values)
        if query is None or len(out) >= limit:
            return list(out.values())[:limit]
        shards = list(range(n))
        for _ in range(MAX_ROUNDS):
            got, _lost = self._gather(view, shards, "score_query", query, values,
                                      limit + len(out))
            missed: set = set()
            for _top, need in got.values():
                missed.update(need)
            if not missed:
                break
            self._collect(view, shards, sorted(missed, key=repr), values, [])
        ranked = sorted((-s, key, i, aid) for i, (top, _) in got.items() for s, key, aid in top)
        for neg, _key, i, aid in ranked[: limit + len(out)]:
            if aid not in out:
                h = self._call(view, i, "hit_by_id", aid)
                if h is not None:
                    out[aid] = replace(h, score=round(-neg, 4))
        return list(out.values())[:limit]

    @property
    def doc_count(self) -> int:
        view = self._current()
        got, _ = self._gather(view, list(range(view.manifest.shards)), "doc_count")
        return sum(got.values())

    def newest_date(self) -> datetime | None:
        view = self._current()
        got, _ = self._gather(view, list(range(view.manifest.shards)), "newest_date")
        dates = [d for d in got.values() if d is not None]
        return max(dates) if dates else None

    def warm(self, background_preload: bool = False, timeout: float | None = None) -> None:
        """Open every shard's generation (the first request then answers at once), waiting
        up to ``timeout`` seconds for the shards (Ray actors start, then open their shard:
        seconds at a million articles, longer than a request may wait)."""
        view = self._current()
        gens = view.manifest.generations
        got = self.transport.gather({i: ("doc_count", gens[i])
                                     for i in range(view.manifest.shards)}, timeout=timeout)
        down = [shard_name(i) for i, r in got.items() if isinstance(r, ShardUnavailable)]
        if down:
            log.warning("not answering yet: %s", ", ".join(down))

    def close(self) -> None:
        self.transport.close()


class _Recording:
    """Statistics answered from ``values``; a missing one is recorded (and read as 0 for
    this round)."""

    def __init__(self, values: dict) -> None:
        self.values = values
        self.missed: set = set()

    def get(self, key):
        if key in self.values:
            return self.values[key]
        self.missed.add(key)
        return {} if key[0] == "prefix" else 0


class _NoReader:
    """The coordinator holds no index: only statistics (``StatsReader``) and the schema."""

    @property
    def schema(self):
        return _schema()

    def __contains__(self, key) -> bool:
        return True


@functools.cache
def _schema():
    from searchapp.schema import build_schema

    return build_schema()


class _Searcher:
    def __init__(self, reader) -> None:
        self._reader = reader

    def reader(self):
        return self._reader


def _guarded(reader, fn: Callable) -> Callable:
    """``fn`` only once the round has every statistic (else its answer would be wasted)."""
    def call(*args):
        if reader._stats.missed:
            raise _Incomplete
        return fn(*args)

    return call


class _StoredFields:
    """What :class:`Collapser` reads, for documents named (shard, docnum)."""

    def __init__(self, engine: ShardedEngine, view: _View) -> None:
        self.engine, self.view = engine, view
        self._cache: dict[tuple[int, int], dict] = {}

    def prefetch(self, refs: list[tuple[int, int]]) -> None:
        """Read ``refs``' stored fields in one round (every shard at once): the collapser
        reads up to 40 candidates for a first page, one network round trip each otherwise."""
        wanted: dict[int, list[int]] = {}
        for i, d in refs:
            if (i, d) not in self._cache:
                wanted.setdefault(i, []).append(d)
        if not wanted:
            return
        got, _lost = self.engine._gather(self.view, sorted(wanted), "stored_many",
                                         per_shard=lambda i: (wanted[i],))
        for i, fields in got.items():  # a lost shard's documents are asked one by one
            self._cache.update(zip(((i, d) for d in wanted[i]), fields, strict=True))

    def stored_fields(self, ref: tuple[int, int]) -> dict:
        if ref in self._cache:
            return self._cache[ref]
        return self.engine._call(self.view, ref[0], "stored", ref[1])


def open_engine(index_dir: str | os.PathLike, ranking_config: ranking.Ranking | None = None,
                **kwargs: Any) -> SearchEngine | ShardedEngine:
    """The engine for ``index_dir``: :class:`ShardedEngine` for a sharded index (in this
    process unless ``transport`` is given), else :class:`SearchEngine`."""
    from searchapp.shards import is_sharded

    if is_sharded(index_dir):
        return ShardedEngine(index_dir, ranking_config, **kwargs)
    kwargs.pop("transport", None)
    return SearchEngine(index_dir, ranking_config, **kwargs)
