"""Sharded search benchmark (issue 14): exactness against one index, and speed per shard count.

    python -m benchmarks.cluster exactness --saudinewsnet ../shared/data/saudinewsnet \\
        --arcd ../shared/data/arcd/arcd-train.json --work /tmp/cluster-exact [--shards 1,2,4]
    python -m benchmarks.cluster speed --work /work/scale/cluster \\
        --saudinewsnet ../shared/data/saudinewsnet --arcd ../shared/data/arcd/arcd-train.json \\
        [--shards 1,2,4] [--per-kind 40] [--threads 4] [--json out.json]

**exactness** builds, on the retrieval dev corpus (SaudiNewsNet + the ARCD-train paragraphs,
loaded as ``benchmarks.retrieval`` loads it), one ordinary index and one sharded index per
shard count (``searchapp.shards.reindex_sharded``), kept under ``--work`` and reused while the
corpus and the analysis code are the same. Every query of the dev sets — the ARCD-train
questions, the known-item queries typed with variation and their clean twins, and the
``benchmarks.scale`` kinds phrase, prefix, or, month, filter (source:/date:) and newest
(sorted by date) — is asked of both: the page of 10 (ids in order, rounded scores, total,
facets, did-you-mean) must be equal, and the unrounded ranking of the first 50 must have the
same ids in the same order with scores equal to 1e-9 relative. Mismatches are listed; the exit
status is 1 when there is one.

**speed** measures the sharded indexes ``benchmarks.cluster_build`` wrote at ``WORK/ix-sN``
(the million-article corpus of ``benchmarks.scalegen``), with the same fixed query mix for
every N (``benchmarks.scale.build_queries``: question, keywords, phrase, prefix, or, month,
filter, newest; each ``search(q, per_page=10)`` with snippets and facets, the results page's
work; the mix is asked once to warm the caches, then measured). Baseline in the same run:
``SearchEngine`` over ``ix-s1``'s one shard, a plain index.
Per N:

1. *in-process*: ``ShardedEngine`` searching its shards one after the other in this process,
   one client, sequential: p50/p95 ms.
2. *Ray*: a local Ray (``ray.init(address="local")``), one actor process per shard
   (``searchapp.cluster.engine``): sequential p50/p95, then throughput (queries/s) with
   ``--threads`` client threads over the same mix, and afterwards each actor's ``RssAnon``
   and ``RssFile`` (``/proc/self/status``) and the coordinator's ``RssAnon``.
3. Documents and index bytes per shard (the generation ``cluster.json`` names).

Python computes on one core per process (the GIL): one index uses one core whatever the
number of client threads, N shard processes use min(N, cores). Past the core count the shards
of one query compete for the same cores, and the coordinator adds a Ray round trip per shard
and phase (statistics, top-k, fetch) and a merge. The figures say how much of the one
machine's cores a query can use, and what a shard costs in memory, which is what
``docs/scaling.md`` sizes a deployment from.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.common import analysis_fingerprint, check_paths, digest, load_corpus
from benchmarks.latency import percentiles
from benchmarks.scale import KINDS, Request, build_queries, dir_bytes
from searchapp import SearchEngine, fastscore, reindex
from searchapp.coordinator import ShardedEngine
from searchapp.shards import read_manifest, reindex_sharded, shard_dir
from searchapp.shardserver import Request as ShardRequest

SEED = 13


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def shard_counts(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


# ----------------------------------------------------------------------------- queries
def dev_queries(args: argparse.Namespace, work: Path, per_kind: int
                ) -> tuple[object, dict[str, list[Request]]]:
    """The retrieval dev corpus and every dev query set, by name."""
    corpus = load_corpus(args.saudinewsnet, args.arcd, work, None, SEED)
    snn = [a for a in corpus.articles if a.source != "arcd"]
    qs = build_queries(snn, corpus.arcd_questions, per_kind, 1000, SEED)
    sets = {"ARCD-train questions": qs.ranking["arcd"],
            "known-item, typed": qs.ranking["typed"],
            "known-item, clean": qs.ranking["clean"]}
    sets.update({k: v for k, v in qs.latency.items() if k not in ("question", "keywords")})
    return corpus, sets


def mix(sets: dict[str, list[Request]], per_kind: int) -> list[Request]:
    """``per_kind`` queries of every kind, interleaved (fixed order for every N)."""
    rng = random.Random(SEED)
    out = []
    for kind in KINDS:
        chosen = sets[kind][:]
        rng.shuffle(chosen)
        out += chosen[:per_kind]
    rng.shuffle(out)
    return out


def ask(engine, r: Request):
    return engine.search(r.q, per_page=10, sort=r.sort or "relevance")


# ----------------------------------------------------------------------------- exactness
def _ranked_single(e: SearchEngine, r: Request, k: int):
    parsed = e._parse(r.q)
    spec = e._filter_spec(parsed, None, None, None)
    searcher = e._searcher()
    m = e._match(parsed, searcher, spec, False)
    sort = r.sort or "relevance"
    sort = "newest" if m.by_date and sort == "relevance" else sort
    top = fastscore.top(m.scored, k, sort, e._table())
    return [(searcher.stored_fields(d)["id"], s) for d, s in top]


def _ranked_sharded(e: ShardedEngine, r: Request, k: int):
    view = e._current()
    parsed = e._parse(r.q)
    spec = SearchEngine._filter_spec(parsed, None, None, None)
    m = e._match(view, ShardRequest(r.q, spec, r.sort or "relevance", k, True))
    return [(e._call(view, i, "stored", d)["id"], s) for (i, d), s in e._ranking(m, k)]


def _page(res) -> tuple:
    return ([(h.id, h.score) for h in res.hits], res.total, res.facets, res.suggestion,
            res.missing_shards)


def compare(single: SearchEngine, sharded: ShardedEngine, r: Request) -> str | None:
    """None when the sharded answer is the single index's, else what differs."""
    a, b = _page(ask(single, r)), _page(ask(sharded, r))
    for name, x, y in zip(("page", "total", "facets", "suggestion", "missing"), a, b,
                          strict=True):
        if x != y:
            return f"{name}: single {str(x)[:200]} / sharded {str(y)[:200]}"
    x, y = _ranked_single(single, r, 50), _ranked_sharded(sharded, r, 50)
    if [i for i, _ in x] != [i for i, _ in y]:
        return f"ranking ids: single {x[:5]} / sharded {y[:5]}"
    for (i, s), (_, t) in zip(x, y, strict=True):
        if not math.isclose(s, t, rel_tol=1e-9, abs_tol=0.0):
            return f"score of {i}: single {s!r} / sharded {t!r}"
    return None


def build_exactness_indexes(corpus, work: Path, counts: list[int]) -> tuple[Path, dict]:
    key = digest(corpus.fingerprint, analysis_fingerprint())
    single = work / f"single-{key}"
    if not (single / "CURRENT").exists():
        log(f"building the single index {single}")
        started = time.perf_counter()
        rep = reindex(corpus.paths, single, full=True)
        log(f"  {rep.documents:,} documents in {time.perf_counter() - started:.0f} s")
    sharded = {}
    for n in counts:
        ix = work / f"sharded{n}-{key}"
        if not (ix / "cluster.json").exists():
            log(f"building the {n}-shard index {ix}")
            started = time.perf_counter()
            rep = reindex_sharded(corpus.paths, ix, n)
            log(f"  {rep.documents:,} documents in {time.perf_counter() - started:.0f} s, "
                f"shards {[s.documents for s in rep.shards]}")
        sharded[n] = ix
    return single, sharded


def exactness(args: argparse.Namespace) -> int:
    check_paths(args.saudinewsnet, args.arcd)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    counts = shard_counts(args.shards)
    corpus, sets = dev_queries(args, work, args.per_kind)
    single_dir, sharded_dirs = build_exactness_indexes(corpus, work, counts)
    single = SearchEngine(single_dir)
    log(f"single index: {single.doc_count:,} documents; query sets: "
        + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
    rows, failed = [], 0
    for n in counts:
        sharded = ShardedEngine(sharded_dirs[n])
        for name, queries in sets.items():
            started = time.perf_counter()
            bad = [(r, d) for r in queries if (d := compare(single, sharded, r))]
            failed += len(bad)
            rows.append({"shards": n, "set": name, "queries": len(queries),
                         "mismatches": len(bad),
                         "examples": [{"q": r.q, "sort": r.sort, "detail": d}
                                      for r, d in bad[:3]]})
            log(f"{n} shards, {name}: {len(queries)} queries, {len(bad)} mismatches "
                f"({time.perf_counter() - started:.0f} s)")
        sharded.close()
    print(f"\nExactness: sharded vs one index over {single.doc_count:,} documents "
          "(page of 10: ids, scores, total, facets, did-you-mean; first 50 unrounded, 1e-9)\n")
    print("| shards | query set | queries | mismatches |\n| ---: | --- | ---: | ---: |")
    for row in rows:
        print(f"| {row['shards']} | {row['set']} | {row['queries']} | {row['mismatches']} |")
        for ex in row["examples"]:
            print(f"|  | `{ex['q']}` {ex['sort']} | | {ex['detail']} |")
    print(f"\ntotal: {sum(r['queries'] for r in rows)} comparisons, {failed} mismatches")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    return 1 if failed else 0


# ----------------------------------------------------------------------------- speed
def _status(pid: int | str = "self") -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("RssAnon:", "RssFile:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) * 1024
    return out


def sequential(engine, queries: list[Request]) -> dict:
    """p50/p95 of the mix, asked once to warm the caches (OS page cache, posting caches,
    Ray's workers) and then measured: the modes are compared warm, whatever ran before."""
    for r in queries:
        ask(engine, r)
    by_kind: dict[str, list[float]] = defaultdict(list)
    every = []
    for r in queries:
        started = time.perf_counter()
        ask(engine, r)
        ms = (time.perf_counter() - started) * 1000
        by_kind[r.kind].append(ms)
        every.append(ms)
    p50, p95 = percentiles(every)
    out = {"n": len(every), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "kinds": {}}
    for kind, ms in by_kind.items():
        k50, k95 = percentiles(ms)
        out["kinds"][kind] = {"n": len(ms), "p50_ms": round(k50, 1), "p95_ms": round(k95, 1)}
    return out


def throughput(engine, queries: list[Request], threads: int) -> dict:
    """Queries/s with ``threads`` clients taking the next query of the mix until it is done."""
    lock = threading.Lock()
    position = [0]
    errors: list[str] = []

    def client() -> None:
        while True:
            with lock:
                i = position[0]
                position[0] += 1
            if i >= len(queries):
                return
            try:
                res = ask(engine, queries[i])
                if res.missing_shards:
                    errors.append(f"partial: {res.missing_shards}")
            except Exception as e:
                errors.append(f"{type(e).__name__}: {e}")

    pool = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    return {"queries": len(queries), "threads": threads, "seconds": round(wall, 2),
            "qps": round(len(queries) / wall, 2), "errors": len(errors),
            "first_error": errors[0] if errors else None}


def shard_sizes(ix: Path) -> tuple[list[int], list[int]]:
    manifest = read_manifest(ix)
    sizes, docs = [], []
    for i, gen in enumerate(manifest.generations):
        gen_dir = shard_dir(ix, i) / gen
        sizes.append(dir_bytes(gen_dir))
        docs.append(SearchEngine(shard_dir(ix, i)).doc_count)
    return sizes, docs


def ray_pass(args: argparse.Namespace, n: int, ix: Path, queries: list[Request],
             rss_before: int) -> dict:
    """One actor per shard: sequential latency, throughput, the actors' memory."""
    from searchapp import cluster

    fig: dict = {"shards": n}
    fig["index_bytes"], fig["docs"] = shard_sizes(ix)
    log(f"{n} shards: {fig['docs']} documents, "
        f"{[round(b / 2**20) for b in fig['index_bytes']]} MB")
    started = time.perf_counter()
    eng = cluster.engine(ix, address="local")
    fig["ray_open_s"] = round(time.perf_counter() - started, 1)
    try:
        fig["ray"] = sequential(eng, queries)
        log(f"  ray: p50 {fig['ray']['p50_ms']} ms, p95 {fig['ray']['p95_ms']} ms")
        fig["throughput"] = throughput(eng, queries, args.threads)
        log(f"  ray throughput: {fig['throughput']['qps']} q/s "
            f"({fig['throughput']['errors']} errors)")
        ray = eng.transport.ray
        fig["actor_memory"] = [ray.get(row[0].memory.remote()) for row in eng.transport.actors]
        fig["coordinator_rss_anon"] = _status()["RssAnon"] - rss_before
    finally:
        eng.close()
    return fig


def in_process_pass(ix: Path, queries: list[Request]) -> dict:
    """``ShardedEngine`` with its shards in this process, searched one after the other."""
    local = ShardedEngine(ix)
    started = time.perf_counter()
    local.warm()
    out = sequential(local, queries)
    out["open_s"] = round(time.perf_counter() - started, 1)
    local.close()
    return out


def baseline(ix: Path, queries: list[Request]) -> dict:
    """The plain single index (``SearchEngine`` over ix-s1's only shard), same queries."""
    e = SearchEngine(shard_dir(ix, 0))
    e.warm()
    out = sequential(e, queries)
    e.close()
    return out


def speed(args: argparse.Namespace) -> int:
    check_paths(args.saudinewsnet, args.arcd)
    counts = [n for n in shard_counts(args.shards)
              if (args.work / f"ix-s{n}" / "cluster.json").exists()]
    for n in set(shard_counts(args.shards)) - set(counts):
        log(f"no sharded index at {args.work / f'ix-s{n}'}: {n} shards skipped "
            "(build it with benchmarks.cluster_build)")
    if not counts:
        return 1
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / "searchapp-cluster-bench"
    cache.mkdir(parents=True, exist_ok=True)
    _, sets = dev_queries(args, cache, args.per_kind)
    sets["question"] = sets["ARCD-train questions"]
    sets["keywords"] = [r for r in sets["known-item, clean"] if 2 <= len(r.q.split()) <= 4]
    queries = mix(sets, args.per_kind)
    log(f"{len(queries)} queries ({args.per_kind} of each of {', '.join(KINDS)}); "
        f"{os.cpu_count()} cores")

    import ray

    rss_before = _status()["RssAnon"]
    ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False,
             log_to_driver=False)
    result: dict = {"cores": os.cpu_count(), "queries": len(queries),
                    "per_kind": args.per_kind, "threads": args.threads, "runs": []}
    # Ray first: the coordinator's memory is then not inflated by engines opened in this
    # process (Python keeps freed memory).
    for n in counts:
        result["runs"].append(ray_pass(args, n, args.work / f"ix-s{n}", queries, rss_before))
        if args.json:
            args.json.write_text(json.dumps(result, indent=1), "utf-8")
    ray.shutdown()
    if 1 in counts:
        log("baseline: SearchEngine over the one shard of ix-s1")
        result["baseline"] = baseline(args.work / "ix-s1", queries)
        log(f"  p50 {result['baseline']['p50_ms']} ms, p95 {result['baseline']['p95_ms']} ms")
    for run in result["runs"]:
        run["in_process"] = in_process_pass(args.work / f"ix-s{run['shards']}", queries)
        log(f"{run['shards']} shards in-process: p50 {run['in_process']['p50_ms']} ms, "
            f"p95 {run['in_process']['p95_ms']} ms")
        if args.json:
            args.json.write_text(json.dumps(result, indent=1), "utf-8")
    report(result)
    return 0


def report(result: dict) -> None:
    mb = 2**20
    print(f"\n{result['queries']} queries ({result['per_kind']} per kind), "
          f"{result['cores']} cores, throughput with {result['threads']} client threads\n")
    if "baseline" in result:
        b = result["baseline"]
        print(f"baseline, one plain index (SearchEngine): p50 {b['p50_ms']} ms, "
              f"p95 {b['p95_ms']} ms\n")
    print("| shards | docs/shard | index MB/shard | in-process p50/p95 ms | Ray p50/p95 ms "
          "| Ray q/s | vs 1 shard | RssAnon MB/shard (max) | RssFile MB/shard (max) "
          "| coordinator RssAnon growth MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    base_qps = next((r["throughput"]["qps"] for r in result["runs"] if r["shards"] == 1), None)
    for r in result["runs"]:
        qps = r["throughput"]["qps"]
        ratio = f"{qps / base_qps:.2f}" if base_qps else "n/a"
        anon = max(m["RssAnon"] for m in r["actor_memory"]) / mb
        file_ = max(m["RssFile"] for m in r["actor_memory"]) / mb
        print(f"| {r['shards']} | {max(r['docs']):,} | {max(r['index_bytes']) / mb:,.0f} "
              f"| {r['in_process']['p50_ms']} / {r['in_process']['p95_ms']} "
              f"| {r['ray']['p50_ms']} / {r['ray']['p95_ms']} | {qps} | {ratio} "
              f"| {anon:,.0f} | {file_:,.0f} | {r['coordinator_rss_anon'] / mb:,.0f} |")
    print("\nper kind, Ray p50 ms: " + "; ".join(
        f"{r['shards']} shards: " + ", ".join(f"{k} {v['p50_ms']}"
                                               for k, v in r["ray"]["kinds"].items())
        for r in result["runs"]))
    cores = result["cores"]
    print(f"\nWhy the gain stops at {cores} shards here: Python computes on one core per process "
          "(the GIL), so one index, or one shard actor, uses one core whatever the number of "
          "client threads; N shard processes let one query, and concurrent queries, use "
          f"min(N, {cores}) cores. Past the core count the shards of one query queue for the "
          "same cores, and each shard adds a Ray round trip per phase (statistics, top-k, "
          "fetch) and its share of the merge. On a machine with more cores the same shards "
          "keep gaining up to one shard per core.")
    if "baseline" in result:
        b = result["baseline"]["p50_ms"]
        print("p50 against the plain index in the same run: " + ", ".join(
            f"{r['shards']} shards in-process {r['in_process']['p50_ms'] / b:.2f}x, "
            f"Ray {r['ray']['p50_ms'] / b:.2f}x" for r in result["runs"]))


# ----------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("exactness", "speed"):
        s = sub.add_parser(name)
        s.add_argument("--saudinewsnet", required=True)
        s.add_argument("--arcd", required=True)
        s.add_argument("--work", type=Path, required=True)
        s.add_argument("--shards", default="1,2,4")
        s.add_argument("--json", type=Path)
    sub.choices["exactness"].add_argument("--per-kind", type=int, default=150)
    sub.choices["speed"].add_argument("--per-kind", type=int, default=40)
    sub.choices["speed"].add_argument("--threads", type=int, default=4)
    args = p.parse_args(argv)
    import logging

    logging.getLogger("searchapp").setLevel(logging.ERROR)
    return exactness(args) if args.command == "exactness" else speed(args)


if __name__ == "__main__":
    sys.exit(main())
