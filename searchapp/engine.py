"""SearchEngine: the one object the web app, the CLI and embedding apps search through.

Results are plain dataclasses holding no open index files. One engine may be shared by many
threads: each thread gets its own Whoosh searcher (Whoosh readers are not thread-safe), and a
searcher is reopened as soon as a reindex publishes a new generation, so a running server picks
up new articles without restarting and never sees a half-written index.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from searchapp import arabic, fastscore, querylang, ranking, storage
from searchapp.check import CORRUPTION_ERRORS, corrupt
from searchapp.collapse import Collapser
from searchapp.corpus import Article
from searchapp.explain import Explainer
from searchapp.related import more_like_query
from searchapp.results import FilterSpec, Hit, SearchResults
from searchapp.snippets import Part, highlight, make_snippet
from searchapp.spelling import did_you_mean, should_autocorrect, written_form
from searchapp.suggest import Suggester, has_suggestions
from searchapp.termstats import SharedStats, StatsReader

MAX_PER_PAGE = 100
FACET_FIELDS = ("source", "section", "year")
SORTS = ("relevance", "newest", "oldest")

log = logging.getLogger("searchapp.engine")


class SearchEngine:
    """Search an index directory built by :func:`searchapp.reindex`."""

    def __init__(self, index_dir: str | os.PathLike = "index",
                 ranking_config: ranking.Ranking | None = None, *,
                 background_swap: bool = False) -> None:
        """``background_swap``: when a reindex publishes a new generation, keep answering
        from the previous one while the new one's arrays, suggestions and hottest postings
        are prepared on a background thread, and switch when it is ready (``serve`` does
        this: at a million articles the preparation takes seconds, and requests must not
        wait for it). Without it (the default, for embedding and scripts), the first call
        after a reindex prepares the new generation itself, so a caller that just reindexed
        sees its articles at once."""
        self.index_dir = os.fspath(index_dir)
        self.ranking = ranking_config or ranking.Ranking()
        self.background_swap = background_swap
        self._local = threading.local()
        self._prepare_lock = threading.Lock()  # one generation is prepared at a time
        self._state_lock = threading.Lock()
        self._live: _Live | None = None
        self._retired: _Live | None = None
        self._preparing = False
        self._failed_marker: object = None
        self._generation()  # fail early with a clear message

    # -- index access -------------------------------------------------------------------
    def _generation(self) -> storage.Generation:
        """The generation to serve: the live one (a shard server pins one instead)."""
        return storage.current_generation(self.index_dir)

    def _marker(self) -> object:
        """Changes when the generation to serve does (see :func:`storage.current_marker`)."""
        return storage.current_marker(self.index_dir)

    def _current(self) -> _Live:
        """The prepared generation requests use now (see ``background_swap``)."""
        marker = self._marker()
        live = self._live
        if live is not None and live.marker == marker:
            return live
        if live is not None and self.background_swap and marker is not None:
            # (no CURRENT at all: the index was removed, which requests must report)
            if marker != self._failed_marker:
                self._prepare_in_background()
            return live
        with self._prepare_lock:
            live = self._live
            if live is None or live.marker != self._marker():
                live = self._prepare(preload=False)
        return live

    def _prepare(self, preload: bool) -> _Live:
        """Open the live generation and build everything requests share, then make it the
        one requests use. Callers hold ``_prepare_lock``."""
        started = time.perf_counter()
        marker = self._marker()
        gen = self._generation()
        old = self._live
        if old is not None and old.gen.name == gen.name:
            self._live = replace(old, marker=marker)  # CURRENT rewritten, same generation
            return self._live
        with self._opening(gen):
            table = fastscore.DocTable(storage.open_whoosh(gen.path))
            if has_suggestions(gen.path):
                sug = Suggester(gen.path)
            else:  # an index written before suggestions were persisted
                sug = Suggester.from_titles(
                    entry[3] for entry in gen.manifest().values() if len(entry) > 3)
            live = _Live(gen, marker, table, sug)
            if preload:
                live.preload()
        # Each generation served, the first and each one a reindex publishes, is logged: at
        # INFO for a server (background_swap), at DEBUG for a script's one-shot engine.
        articles = int(live.table.live.sum())
        log.log(logging.INFO if self.background_swap else logging.DEBUG,
                "serving index generation %s (%d article%s, prepared in %.1f s)", gen.name,
                articles, "" if articles == 1 else "s", time.perf_counter() - started)
        self._live = live
        if old is not None:  # threads still in a request on it finish with it
            old.table.release()
            if self._retired is not None:
                self._retired.close()
            self._retired = old
        return live

    def _prepare_in_background(self) -> None:
        with self._state_lock:
            if self._preparing:
                return
            self._preparing = True
        threading.Thread(target=self._background, name="searchapp-prepare",
                         daemon=True).start()

    def _background(self) -> None:
        marker = self._marker()
        try:
            with self._prepare_lock:
                self._prepare(preload=True)  # logs the generation it serves
        except Exception as e:  # keep serving the previous generation
            self._failed_marker = marker
            log.error("new index generation not served, still serving %s: %s",
                      self._live.gen.name if self._live else "nothing", e)
        finally:
            with self._state_lock:
                self._preparing = False

    def _searcher(self):
        """This thread's Whoosh searcher on the generation requests use now."""
        live = self._current()
        local = self._local
        if getattr(local, "live", None) is not live or getattr(local, "searcher", None) is None:
            old = getattr(local, "searcher", None)
            if old is None or getattr(local, "generation", None) is not live.gen:
                with self._opening(live.gen):
                    local.searcher = storage.open_whoosh(live.gen.path).searcher(
                        weighting=self.ranking.weighting())
                if old is not None:
                    old.close()
            local.live = live
            local.generation = live.gen
        return local.searcher

    @contextmanager
    def _opening(self, gen: storage.Generation) -> Iterator[None]:
        """Errors while opening ``gen``, as the index errors the CLI and web report."""
        try:
            yield
        except (AttributeError, ImportError) as e:
            # The pickled schema names a class this version no longer has.
            raise storage.IndexVersionError(
                f"index at {os.path.abspath(self.index_dir)} was written by another "
                f"version of searchapp ({e}); rebuild it with "
                f"`{storage.rebuild_command(self.index_dir)}`"
            ) from e
        except CORRUPTION_ERRORS as e:
            raise self._damage(gen, e) from e

    def _damage(self, gen: storage.Generation, err: BaseException) -> storage.IndexError_:
        """A read failure: the index was removed under us (503, not "damaged"), or damage."""
        if not os.path.isdir(gen.path):
            return storage.IndexMissing(
                f"the index at {os.path.abspath(self.index_dir)} was removed while in use; "
                f"rebuild it with `searchapp reindex PATH... --index "
                f"{os.path.abspath(self.index_dir)}`")
        return corrupt(gen.path, err)

    def close(self) -> None:
        """Close this thread's searcher (others close when their threads end)."""
        s = getattr(self._local, "searcher", None)
        if s is not None:
            s.close()
            self._local.searcher = None

    @property
    def doc_count(self) -> int:
        return self._searcher().doc_count()

    def newest_date(self) -> datetime | None:
        """The date of the newest dated article (None when no article has a date): what a
        help page's date example uses, so that it finds something in this very index."""
        table = self._table()
        dates = table.dates[table.live & (table.dates != fastscore._NO_DATE)]
        return long_to_datetime(int(dates.max())) if dates.size else None

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
        """Search with the reader's query language (see :mod:`searchapp.querylang`).

        ``page`` starts at 1; a page past the end is empty. ``per_page`` is clamped to
        1..MAX_PER_PAGE. ``date_to`` is inclusive. Never raises for malformed query text.

        The result set is the documents holding every query word when there are any, else
        those holding some (:func:`fastscore.keep_complete`); every ``sort`` orders that set.

        ``collapse``: fold near-duplicates (syndicated copies of one story) under the first
        of them in the chosen order, their ids in ``Hit.similar`` (:mod:`searchapp.collapse`;
        ``total`` still counts articles). ``autocorrect``: when the spelling correction
        (``suggestion``) has clearly more results (:func:`spelling.should_autocorrect`),
        search it instead: ``query`` is the correction, ``corrected_from`` the reader's words.
        """
        started = time.perf_counter()
        page = max(1, int(page))
        per_page = min(max(1, int(per_page)), MAX_PER_PAGE)
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        parsed = self._parse(q)
        searcher = self._searcher()
        spec = self._filter_spec(parsed, filters, date_from, date_to)
        try:
            m = self._match(parsed, searcher, spec, explain)
            suggestion = corrected_from = None
            if suggest:
                suggestion = self._did_you_mean(q, parsed, searcher, spec, m)
            if suggestion is not None and autocorrect:
                fixed = self._match(self._parse(suggestion), searcher, spec, explain)
                if should_autocorrect(m.complete, fixed.complete):
                    q, corrected_from, suggestion, m = suggestion, q, None, fixed
                    parsed = self._parse(q)
            result = self._page(q, parsed, m, searcher, page, per_page, snippets, sort,
                                facets, explain, collapse)
        except CORRUPTION_ERRORS as e:
            raise self._damage(self._local.generation, e) from e
        result.suggestion, result.corrected_from = suggestion, corrected_from
        result.seconds = time.perf_counter() - started
        return result

    def _parse(self, q: str) -> querylang.ParsedQuery:
        return querylang.parse(q, question=None if self.ranking.questions else False)

    def ranking_for(self, parsed: querylang.ParsedQuery) -> ranking.Ranking:
        """The ranking of one query: a question is ranked as a passage query
        (``Ranking.question``), anything else with the configured ranking."""
        return self.ranking.for_question() if parsed.question else self.ranking

    def _match(self, parsed, searcher, spec: FilterSpec, explain: bool, *,
               stats: SharedStats | None = None, narrow: bool = True) -> _Match:
        """Score and select the result set of one query, with its filters.

        Plain-word queries go to :class:`fastscore.FastScorer`; the rest (phrases, prefixes,
        OR, months, explain) to the Whoosh query of :func:`ranking.build`, scored by
        :class:`ranking.Executor` over the same arrays, so both select and order alike.

        ``stats``: score with these statistics (a shard of a sharded index: the whole
        index's) instead of the index's own. ``narrow``: apply :func:`keep_complete` (a
        shard leaves that to the coordinator, which knows whether any shard has complete
        matches)."""
        rk = self.ranking_for(parsed)
        table = self._table()
        reader = searcher.reader() if stats is None else StatsReader(searcher.reader(), stats)
        plan = None if explain else fastscore.plan(parsed)
        if plan is not None:
            scorer = fastscore.FastScorer(table, rk, stats)
            scored = scorer.score(plan) if plan.positive else scorer.everything(plan)
            if not plan.positive and not plan.negative and not spec.active:
                scored.matched[:] = False  # an empty query lists nothing
            if spec.active:
                scored.matched &= fastscore.filter_mask(table, spec.fields, spec.date_from,
                                                        spec.date_to)
            m = _Match(scored, fastscore.words_of(plan), by_date=not plan.positive)
        else:
            query, words = ranking.build(parsed, reader, rk)
            filt = self._filter(spec)
            if query is None and filt is None:
                n = table.n
                return _Match(fastscore.Scored(np.zeros(n), np.zeros(n, dtype=bool)), words)
            by_date = query is None or isinstance(query, wq.Every)
            query = query if query is not None else wq.Every()
            executor = ranking.Executor(table, searcher, rk, stats)
            scored = fastscore.Scored(*executor.score(query))
            scored.complete = executor.complete(query)
            if filt is not None:
                scored.matched &= executor.mask(filt)
            m = _Match(scored, words, by_date, query, executor)
        # Questions keep every document holding some of their words: a ten-word question
        # is answered by the passage that lacks one of them (see ranking.Coordinated).
        if parsed.question:
            m.scored.complete = None
        if narrow:
            m.complete = fastscore.keep_complete(m.scored)
        return m

    def _page(self, q, parsed, m: _Match, searcher, page, per_page, snippets, sort, facets,
              explain, collapse) -> SearchResults:
        table = self._table()
        scored = m.scored
        if m.by_date and sort == "relevance":
            sort = "newest"  # nothing to rank by
        result = SearchResults(query=q, total=int(scored.matched.sum()), page=page,
                               per_page=per_page)
        if facets:
            for f in ("source", "section"):
                result.facets[f] = fastscore.facet_counts(scored, table.codes[f],
                                                          table.values[f])
            result.facets["year"] = fastscore.facet_counts(scored, table.year_codes,
                                                           table.year_values)
        if collapse:
            groups = Collapser(searcher, lambda k: fastscore.top(scored, k, sort, table)
                               ).page(page, per_page)
        else:
            ranked = fastscore.top(scored, page * per_page, sort, table)[(page - 1) * per_page:]
            groups = [(d, s, ()) for d, s in ranked]
        explain = explain and m.executor is not None  # (an empty query matched nothing)
        if explain:
            explainer = Explainer(parsed)
            matched = m.executor.matched_terms(m.query, [d for d, _, _ in groups])
        for i, (docnum, score, similar) in enumerate(groups):
            h = self._hit_from(searcher.stored_fields(docnum), score, m.words, snippets)
            if similar:
                h = replace(h, similar=similar)
            if explain:
                h = replace(h, explain=explainer(matched[i]))
            result.hits.append(h)
        return result

    def _table(self) -> fastscore.DocTable:
        """The arrays of the generation this thread's request uses (shared by threads)."""
        live = getattr(self._local, "live", None)
        return (live or self._current()).table

    def warm(self, background_preload: bool = False) -> None:
        """Prepare the live generation (arrays, suggestions, the hottest posting lists) now
        rather than in the first readers' requests (``serve`` calls this before listening).

        ``background_preload``: return once the generation is prepared and decode the hottest
        posting lists on a background thread (``serve``: at a million articles the preload
        takes seconds, and a server that answers at once beats one that is warm sooner).
        Opens no searcher of its own: one held here by a thread that never searches would
        keep the first generation's files open after they are replaced."""
        live = self._current()
        if background_preload:
            threading.Thread(target=live.preload, name="searchapp-preload", daemon=True).start()
        else:
            live.preload()

    @staticmethod
    def _filter_spec(parsed, filters, date_from, date_to) -> FilterSpec:
        merged: dict[str, list[str]] = {k: list(v) for k, v in parsed.filters.items()}
        for k, v in (filters or {}).items():
            if k not in querylang.FILTER_FIELDS:
                raise ValueError(f"unknown filter {k!r}; use one of source, section, author")
            if v:
                merged.setdefault(k, []).extend([v] if isinstance(v, str) else v)
        lo = parsed.date_from or _as_datetime(date_from)
        hi = parsed.date_to or (_as_datetime(date_to) + timedelta(days=1) if date_to else None)
        return FilterSpec(merged, lo, hi)

    @staticmethod
    def _filter(spec: FilterSpec) -> wq.Query | None:
        clauses: list[wq.Query] = [
            wq.Or([wq.Term(k, v) for v in values]) for k, values in spec.fields.items()
        ]
        if spec.date_from or spec.date_to:
            clauses.append(wq.DateRange("date", spec.date_from, spec.date_to, endexcl=True))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else wq.And(clauses)

    def _hit(self, hit, words: ranking.Words, with_snippet: bool) -> Hit:
        return self._hit_from(hit.fields(), float(hit.score or 0.0), words, with_snippet)

    def _hit_from(self, stored: dict, score: float, words: ranking.Words,
                  with_snippet: bool) -> Hit:
        snippet = ""
        if with_snippet:
            doc = json.loads(stored.get("doc", "{}"))
            parts = [Part(p) for p in ([doc.get("subtitle")] if doc.get("subtitle") else [])]
            parts += [Part(p) for p in doc.get("paragraphs", [])]
            parts += [Part(c["text"], is_caption=True) for c in doc.get("captions", [])]
            snippet = make_snippet(parts, words)
        title = stored.get("title", "")
        return self._stored_hit(
            stored, score, snippet,
            highlight(title, words) if with_snippet else "",
        )

    @staticmethod
    def _stored_hit(stored: dict, score: float, snippet: str = "", title_html: str = "") -> Hit:
        return Hit(
            id=stored["id"],
            title=stored.get("title", ""),
            score=round(score, 4),
            snippet=snippet,
            title_html=title_html,
            url=stored.get("url", ""),
            source=stored.get("source", ""),
            section=stored.get("section", ""),
            author=stored.get("author", ""),
            date=stored.get("date"),
            kind=stored.get("kind", "article"),
        )

    def query_words(self, q: str) -> ranking.Words:
        """The words a query highlights (stems, exact forms, prefixes), as in its snippets."""
        parsed = querylang.parse(q, question=None if self.ranking.questions else False)
        _, words = ranking.build(parsed, self._searcher().reader(), self.ranking_for(parsed))
        return words

    # -- suggestions ----------------------------------------------------------------------
    def _suggester(self) -> Suggester:
        self._searcher()
        return self._local.live.suggester

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Completions for an autocomplete box: title words and phrases completing the last
        word in the context of the others, then titles (see :meth:`Suggester.complete`)."""
        limit = min(max(1, int(limit)), 50)
        table = self._table()

        def cooccurring(a: str, b: str) -> int:  # titles holding both normalized words
            return len(np.intersect1d(table.postings("title", a)[0],
                                      table.postings("title", b)[0], assume_unique=True))

        return self._suggester().complete(prefix[: querylang.MAX_QUERY_CHARS], limit,
                                          cooccurring)

    def _did_you_mean(self, q: str, parsed, searcher, spec: FilterSpec,
                      m: _Match) -> str | None:
        def count(query: str) -> int:
            return self._match(self._parse(query), searcher, spec, False).complete

        # The suggester of the generation this request's searcher reads, not ``_suggester()``:
        # that may move the thread to a newer generation and close the searcher in use.
        sug = self._local.live.suggester
        keys = self._table().keys
        return did_you_mean(q, parsed, searcher, sug.display, m.complete, count,
                            sug.phrase_counts, lambda w: written_form(searcher, keys, w))

    def more_like_this(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles on the same story: recorded related teasers first, then by key terms."""
        limit = min(max(1, int(limit)), MAX_PER_PAGE)
        article = self.get_article(article_id)
        if article is None:
            return []
        searcher = self._searcher()
        out: dict[str, Hit] = {}
        for rid in article.related:
            if len(out) == limit:
                break
            docnum = searcher.document_number(id=rid)
            if docnum is not None and rid != article_id:
                out[rid] = self._stored_hit(searcher.stored_fields(docnum), 0.0)
        query = more_like_query(article, searcher.reader())
        if query is not None and len(out) < limit:
            table = self._table()
            scored = fastscore.Scored(*ranking.Executor(table, searcher, self.ranking)
                                      .score(query))
            for docnum, score in fastscore.top(scored, limit + len(out), "relevance", table):
                stored = searcher.stored_fields(docnum)
                if stored["id"] not in out:
                    out[stored["id"]] = self._stored_hit(stored, score)
        return list(out.values())[:limit]

    # -- documents ------------------------------------------------------------------------
    def get_article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        stored = self._searcher().document(id=article_id)
        if not stored:
            return None
        return Article.from_dict(json.loads(stored["doc"]))


#: Candidates for the posting preload: the headline words most titles use (what readers
#: search for), as the stems the body indexes and the forms titles index.
HOT_TITLE_WORDS = 3_000


def _hot_terms(title_word_counts: dict[str, int]) -> list[tuple[str, str]]:
    words = sorted(title_word_counts, key=lambda w: -title_word_counts[w])
    out: list[tuple[str, str]] = []
    for w in words[:HOT_TITLE_WORDS]:
        if arabic.is_stop_word(w):
            continue
        out.append(("body", arabic.light_stem(w)))
        out.append(("title", w))
    return out


@dataclass
class _Match:
    """One query's scored result set (``scored.matched``), before paging."""

    scored: fastscore.Scored
    words: ranking.Words
    by_date: bool = True  # nothing to rank by: relevance order is newest first
    query: wq.Query | None = None  # the executor's query tree (None: the fast scorer's)
    executor: ranking.Executor | None = None
    #: Documents holding every query word (see ``fastscore.keep_complete``).
    complete: int = 0


@dataclass
class _Live:
    """One generation, ready to serve: what all threads share for it."""

    gen: storage.Generation
    marker: object
    table: fastscore.DocTable
    suggester: Suggester
    preloaded: bool = False

    def preload(self) -> None:
        if not self.preloaded:
            self.preloaded = True
            started = time.perf_counter()
            n = self.table.preload(_hot_terms(self.suggester.counts))
            log.info("decoded %d postings of frequent headline terms in %.1f s", n,
                     time.perf_counter() - started)

    def close(self) -> None:
        self.table.close()


def _as_datetime(d: date | datetime | None) -> datetime | None:
    if d is None or isinstance(d, datetime):
        return d
    return datetime(d.year, d.month, d.day)
