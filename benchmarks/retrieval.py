"""Retrieval benchmark: our Arabic analysis and ranking vs stock Whoosh, in one run.

    python -m benchmarks.retrieval --saudinewsnet ../shared/data/saudinewsnet \\
        --arcd ../shared/data/arcd/arcd-train.json --work /tmp/bench-cache

Corpus: SaudiNewsNet articles plus the ARCD-train paragraphs. Query sets: the ARCD-train
questions (relevant = their paragraph) and known-item queries from SaudiNewsNet titles, typed
with variation and clean (see :mod:`benchmarks.queries`). Prints MRR@10, Recall@10/100 and
p50/p95 latency per system and query set as a Markdown table, then analyzer throughput. See
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import os
import sys
import time
from pathlib import Path

from whoosh.analysis import StandardAnalyzer

from benchmarks.common import (
    Corpus,
    Query,
    Scores,
    check_paths,
    digest,
    load_corpus,
    path_fingerprint,
    rank_of,
    score,
)
from benchmarks.queries import known_items
from benchmarks.systems import Ours, Stock
from searchapp.analysis import _CACHE as word_cache
from searchapp.analysis import ArabicAnalyzer
from searchapp.ranking import Ranking


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.retrieval",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--saudinewsnet", required=True, metavar="DIR",
                   help="directory of SaudiNewsNet .zip files")
    p.add_argument("--arcd", required=True, metavar="FILE", help="arcd-train.json")
    p.add_argument("--work", default="/tmp/bench-cache", metavar="DIR",
                   help="cache for indexes and generated files (default: %(default)s)")
    p.add_argument("--limit-docs", type=int, default=None, metavar="N",
                   help="index a seeded subsample of N SaudiNewsNet articles (quick runs)")
    p.add_argument("--scale-corpus", metavar="FILE",
                   help="index this benchmarks.scalegen file instead (it holds SaudiNewsNet "
                        "and the ARCD paragraphs first, then generated distractors)")
    p.add_argument("--size", type=int, default=None, metavar="N",
                   help="with --scale-corpus: index its first N articles (default: all)")
    p.add_argument("--compare", action="append", default=None, metavar="KEY=VALUE",
                   help="settings of a second configuration run beside --ranking's "
                        "(repeatable; --compare old: the configuration before question "
                        "ranking, OLD_CONFIG)")
    p.add_argument("--seed", type=int, default=13, help="query generation/subsample seed")
    p.add_argument("--known-items", type=int, default=1000, metavar="N",
                   help="number of known-item queries (default: %(default)s)")
    p.add_argument("--systems", default="ours,stock", help="comma list of ours,stock")
    p.add_argument("--ranking", action="append", default=[], metavar="KEY=VALUE",
                   help="override a Ranking field for experiments (e.g. coord=0.5, "
                        "title=1.0 for a field weight); the default config is what counts")
    p.add_argument("--throughput-chars", type=int, default=3_000_000, metavar="N",
                   help="SaudiNewsNet characters for the analyzer throughput test (0: skip)")
    p.add_argument("--rebuild", action="store_true", help="ignore cached indexes")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    return p.parse_args(argv)


#: The configuration of round one (before question ranking), for ``--compare old``: every
#: question setting off, idf and coordination as they were.
OLD_CONFIG = ["questions=false"]


def scale_corpus(base: Corpus, path: str, size: int | None, work: Path) -> Corpus:
    """The scale corpus (its first ``size`` articles, written once under ``work``) as what
    is indexed; the queries stay those of ``base`` (its articles come first in the file)."""
    if not os.path.isfile(path):
        sys.exit(f"error: scale corpus not found: {path!r} (make it with benchmarks.scalegen)")
    fp = digest(path_fingerprint(path), size)
    source = path
    if size:
        source = str(work / f"scale-{fp}.jsonl")
        if not os.path.exists(source):
            with open(path, encoding="utf-8") as f, open(source + ".tmp", "w",
                                                         encoding="utf-8") as out:
                out.writelines(itertools.islice(f, size))
            os.replace(source + ".tmp", source)
    return Corpus([source], base.articles, base.arcd_questions, fp)


def ranking_from(overrides: list[str]) -> Ranking:
    base = Ranking()
    fields = {f.name for f in dataclasses.fields(Ranking)}
    weights = dict(base.field_weights)
    changes: dict = {}
    question = dict(base.question)
    for item in overrides:
        key, _, value = item.partition("=")
        if key.startswith("question."):
            sub = key.removeprefix("question.")
            if sub not in weights and sub not in fields:
                sys.exit(f"error: unknown ranking setting {key!r}")
            current = weights.get(sub, getattr(base, sub, None))
            question[sub] = _typed(current, value)
        elif key in weights:
            weights[key] = float(value)
        elif key in fields:
            changes[key] = _typed(getattr(base, key), value)
        else:
            sys.exit(f"error: unknown ranking setting {key!r}")
    return dataclasses.replace(base, field_weights=weights, question=question, **changes)


def _typed(current: object, value: str) -> object:
    """``value`` as the type of the setting it replaces (None-valued settings are floats)."""
    if isinstance(current, bool):
        return value.lower() in ("1", "true", "yes")
    if isinstance(current, str):
        return value
    if value.lower() == "none":
        return None
    return float(value)


def run_set(system, queries: list[Query]) -> Scores:
    ranks, seconds = [], []
    for q in queries:
        started = time.perf_counter()
        ids = system.search(q.text)
        seconds.append(time.perf_counter() - started)
        ranks.append(rank_of(ids, q.relevant))
    return score(ranks, seconds)


def throughput(texts: list[str]) -> dict:
    """Seconds and tokens/s of both analyzers over the same text (index mode, best of 3).

    Ours is measured warm (its word cache filled, as during any real indexing run, where a few
    thousand forms make up most tokens) and also cold (cache cleared) for reference.
    """
    def run(analyzer) -> tuple[float, int]:
        started = time.perf_counter()
        n = 0
        for t in texts:
            for _ in analyzer(t, mode="index"):
                n += 1
        return time.perf_counter() - started, n

    ours, stock = ArabicAnalyzer(), StandardAnalyzer()
    word_cache.clear()  # cold: every word normalized and stemmed afresh
    cold, _ = run(ours)
    best_ours = min(run(ours) for _ in range(3))
    best_stock = min(run(stock) for _ in range(3))
    return {
        "chars": sum(map(len, texts)),
        "ours_s": best_ours[0], "ours_tokens": best_ours[1],
        "ours_tok_per_s": best_ours[1] / best_ours[0], "ours_cold_s": cold,
        "stock_s": best_stock[0], "stock_tokens": best_stock[1],
        "stock_tok_per_s": best_stock[1] / best_stock[0],
        "ratio": best_ours[0] / best_stock[0], "ratio_cold": cold / best_stock[0],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_paths(args.saudinewsnet, args.arcd)
    # Rejected records are counted and summarized once; don't log each of them.
    logging.getLogger("searchapp").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    ranking = ranking_from(args.ranking)

    corpus = load_corpus(args.saudinewsnet, args.arcd, work, args.limit_docs, args.seed)
    snn = [a for a in corpus.articles if a.source != "arcd"]
    queries_fp = corpus.fingerprint
    if args.scale_corpus:
        corpus = scale_corpus(corpus, args.scale_corpus, args.size, work)
    cache = work / f"known-items-{digest(queries_fp, args.known_items, args.seed)}.json"
    if cache.exists():
        pairs = [(Query(**c), Query(**v)) for c, v in json.loads(cache.read_text("utf-8"))]
    else:
        pairs = known_items(snn, args.known_items, args.seed)
        cache.write_text(json.dumps([[dataclasses.asdict(c), dataclasses.asdict(v)]
                                     for c, v in pairs], ensure_ascii=False, indent=0), "utf-8")
    sets = {
        "ARCD-train questions": corpus.arcd_questions,
        "known-item, typing variation": [v for _, v in pairs],
        "known-item, clean twin": [c for c, _ in pairs],
    }
    print(f"corpus: {len(snn)} SaudiNewsNet articles + "
          f"{len(corpus.articles) - len(snn)} ARCD paragraphs"
          + (f" + the distractors of {args.scale_corpus}" if args.scale_corpus else "")
          + "; queries: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()),
          file=sys.stderr)

    names = [s.strip() for s in args.systems.split(",") if s.strip()]
    systems = []
    for name in names:
        if name == "ours":
            systems.append(Ours(corpus, work, ranking, args.rebuild))
            if args.compare:
                other = ranking_from(OLD_CONFIG if args.compare == ["old"] else args.compare)
                systems.append(Ours(corpus, work, other, False, name="ours, compared"))
        elif name == "stock":
            systems.append(Stock(corpus, work, args.rebuild))
        else:
            sys.exit(f"error: unknown system {name!r} (use ours, stock)")

    results: dict[str, dict[str, Scores]] = {}
    for system in systems:
        for set_name, queries in sets.items():
            results.setdefault(set_name, {})[system.name] = run_set(system, queries)

    documents = systems[0].documents if systems else 0
    print(f"\n{documents} documents; ranking: {ranking}")
    if args.compare:
        print(f"compared: {other}")
    print()
    print("| query set | n | system | MRR@10 | R@10 | R@100 | p50 ms | p95 ms |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for set_name, by_system in results.items():
        for name, s in by_system.items():
            print(f"| {set_name} | {s.n} | {name} | {s.mrr10:.3f} | {s.r10:.3f} | "
                  f"{s.r100:.3f} | {s.p50_ms:.1f} | {s.p95_ms:.1f} |")
    for system in systems:
        if system.build_seconds:
            print(f"\nindex build ({system.name}): {system.build_seconds:.0f} s")

    tp = None
    if args.throughput_chars > 0:
        texts, total = [], 0
        for a in snn:
            for p in a.paragraphs:
                texts.append(p)
                total += len(p)
            if total >= args.throughput_chars:
                break
        tp = throughput(texts)
        verdict = "OK" if tp["ratio"] <= 1.5 else "over the 1.5x target"
        print(f"\nanalyzer throughput over {tp['chars']:,} chars of SaudiNewsNet text "
              f"(index mode, best of 3): ArabicAnalyzer {tp['ours_tok_per_s']:,.0f} tokens/s "
              f"({tp['ours_tokens']:,} tokens, {tp['ours_s']:.2f} s; cold cache "
              f"{tp['ours_cold_s']:.2f} s), StandardAnalyzer {tp['stock_tok_per_s']:,.0f} "
              f"tokens/s ({tp['stock_tokens']:,} tokens, {tp['stock_s']:.2f} s)")
        print(f"time ratio ours/stock: {tp['ratio']:.2f} (cold cache {tp['ratio_cold']:.2f}); "
              f"target <= 1.5: {verdict}")
    wall = time.perf_counter() - started
    print(f"\nwall time: {wall:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "documents": documents, "ranking": repr(ranking),
            "results": {k: {n: dataclasses.asdict(s) for n, s in v.items()}
                        for k, v in results.items()},
            "throughput": tp, "wall_seconds": wall,
        }, indent=2, ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
