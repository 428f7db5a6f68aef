"""Search latency: ``SearchEngine.search()`` as the web page calls it, beside stock Whoosh.

    python -m benchmarks.latency --saudinewsnet ../shared/data/saudinewsnet \\
        --arcd ../shared/data/arcd/arcd-train.json --work /tmp/bench-cache

Same corpus and cached indexes as ``benchmarks.retrieval`` (SaudiNewsNet + ARCD paragraphs,
~31k documents). Two query sets: keyword queries (the clean known-item queries: 2-4 title
words) and question queries (the ARCD-train questions, 5-15 words). Ours runs with what a
results page needs: 10 hits with snippets and title highlights, exact total and the three
facets. Stock Whoosh runs its ``MultifieldParser`` (title, body, OR) for 10 hits with the exact
total, no snippets (its index stores no text). Each query runs once cold (first time its
terms are read) and the figures cover that pass: a server's first queries pay it too.
Also ``suggest()`` on half-typed keyword queries. Targets (issue 5): keyword p95 <= 30 ms,
question p95 <= 60 ms, suggest under 20 ms.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from pathlib import Path

from benchmarks.common import Query, check_paths, digest, load_corpus
from benchmarks.queries import known_items
from benchmarks.systems import Ours, Stock
from searchapp.ranking import Ranking


def percentiles(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.latency", description=__doc__)
    p.add_argument("--saudinewsnet", required=True, metavar="DIR")
    p.add_argument("--arcd", required=True, metavar="FILE")
    p.add_argument("--work", default="/tmp/bench-cache", metavar="DIR")
    p.add_argument("--queries", type=int, default=300, help="queries per set")
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args(argv)
    check_paths(args.saudinewsnet, args.arcd)
    logging.getLogger("searchapp").setLevel(logging.CRITICAL)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(args.saudinewsnet, args.arcd, work, None, args.seed)
    snn = [a for a in corpus.articles if a.source != "arcd"]
    cache = work / f"known-items-{digest(corpus.fingerprint, 1000, args.seed)}.json"
    if cache.exists():
        keyword = [Query(**c) for c, _ in json.loads(cache.read_text("utf-8"))]
    else:
        keyword = [c for c, _ in known_items(snn, 1000, args.seed)]
    sets = {"keyword": [q.text for q in keyword[: args.queries]],
            "question": [q.text for q in corpus.arcd_questions[: args.queries]]}

    ours = Ours(corpus, work, Ranking(), rebuild=False)
    stock = Stock(corpus, work, rebuild=False)
    ours.engine.warm()  # per-generation arrays: loaded when a server starts, not per query

    def run_ours(q: str) -> None:
        ours.engine.search(q)  # 10 hits, snippets, facets, exact total

    def run_stock(q: str) -> None:
        res = stock.searcher.search(stock.parser.parse(q), limit=10)
        len(res)  # exact total, like ours
        [h["id"] for h in res]

    print(f"{len(corpus.articles)} documents\n")
    print("| query set | n | system | p50 ms | p95 ms | target p95 |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for name, queries in sets.items():
        for system, run in (("ours (snippets, facets)", run_ours),
                            ("stock Whoosh (no snippets)", run_stock)):
            ms = []
            for q in queries:
                started = time.perf_counter()
                run(q)
                ms.append((time.perf_counter() - started) * 1000)
            p50, p95 = percentiles(ms)
            target = {"keyword": "30", "question": "60"}[name] if system.startswith("ours") else ""
            print(f"| {name} | {len(queries)} | {system} | {p50:.1f} | {p95:.1f} | {target} |")
    prefixes = [q[: max(2, len(q) // 2)] for q in sets["keyword"]]
    ms = []
    for prefix in prefixes:
        started = time.perf_counter()
        ours.engine.suggest(prefix)
        ms.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentiles(ms)
    print(f"| autocomplete prefixes | {len(prefixes)} | ours suggest() | {p50:.2f} | {p95:.2f} "
          "| 20 |")


if __name__ == "__main__":
    main()
