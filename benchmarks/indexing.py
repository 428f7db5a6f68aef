"""Indexing benchmark: our full Arabic reindex vs stock Whoosh, same data, same run.

    python -m benchmarks.indexing --saudinewsnet ../shared/data/saudinewsnet [--limit-docs N]

Each system runs in its own child process (so its peak memory is its own) over the same
articles, read by the same corpus reader:

* stock: Whoosh's ``StandardAnalyzer`` on title and body (both stored, as a search page needs),
  the stock writer with 2 processes (``procs=2``, default merge) — the configuration measured
  in the issue (76 s, 413 docs/s for 31,381 documents);
* ours: ``searchapp.reindex(..., full=True)`` with the product's defaults.

Prints documents/s, wall time, peak memory of the whole process tree (sampled from /proc every
50 ms, all processes summed) and index size, and the throughput ratio ours/stock.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import tree_sum

ROOT = Path(__file__).resolve().parent.parent


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run_child(system: str, data: str, out: Path, limit: int | None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.indexing", "--child", system, "--saudinewsnet",
           data, "--out", str(out)] + (["--limit-docs", str(limit)] if limit else [])
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_sum(proc.pid, "status", "VmRSS"))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{system} indexing failed (exit {proc.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(wall=time.perf_counter() - started, peak_rss=peak, size=_dir_size(out))
    return result


def _articles(data: str, limit: int | None):
    from searchapp.corpus import read_many

    for n, article in enumerate(read_many([data], on_error=lambda e: None), 1):
        if limit and n > limit:
            return
        yield article


def child(system: str, data: str, out: Path, limit: int | None) -> None:
    """Index inside this process tree; print {"docs", "seconds"} as the last line."""
    started = time.perf_counter()
    if system == "stock":
        from whoosh import index as whoosh_index
        from whoosh.analysis import StandardAnalyzer
        from whoosh.fields import ID, TEXT, Schema

        schema = Schema(id=ID(stored=True, unique=True),
                        title=TEXT(analyzer=StandardAnalyzer(), stored=True),
                        body=TEXT(analyzer=StandardAnalyzer(), stored=True))
        out.mkdir(parents=True)
        ix = whoosh_index.create_in(out, schema)
        writer = ix.writer(procs=2)
        articles = list(_articles(data, limit))
        started = time.perf_counter()  # like ours: reading the corpus is not indexing
        for a in articles:
            writer.add_document(id=a.id, title=a.title, body="\n\n".join(a.paragraphs))
        writer.commit()
        docs = len(articles)
    else:
        from searchapp import reindex

        if limit:  # same subsample as stock: write it out, then reindex it
            tmp = out.parent / f"{out.name}-corpus.jsonl"
            with open(tmp, "w", encoding="utf-8") as f:
                for a in _articles(data, limit):
                    f.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
            started = time.perf_counter()
            data = str(tmp)
        report = reindex([data], out, full=True)
        docs = report.documents
    print(json.dumps({"docs": docs, "seconds": time.perf_counter() - started}))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.indexing", description=__doc__)
    p.add_argument("--saudinewsnet", required=True, metavar="DIR")
    p.add_argument("--limit-docs", type=int, default=None, metavar="N")
    p.add_argument("--work", default=None, metavar="DIR", help="scratch dir (default: temp)")
    p.add_argument("--child", choices=["stock", "ours"], help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not Path(args.saudinewsnet).exists():
        raise SystemExit(f"no such data path: {args.saudinewsnet} (see ../shared/README.md)")
    if args.child:
        child(args.child, args.saudinewsnet, Path(args.out), args.limit_docs)
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="searchapp-indexing-"))
    rows = {}
    for system in ("stock", "ours"):
        out = work / system
        shutil.rmtree(out, ignore_errors=True)
        rows[system] = run_child(system, args.saudinewsnet, out, args.limit_docs)
    print("| system | documents | index seconds | docs/s | wall s | peak RSS (all procs) "
          "| index size |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['docs']} | {r['seconds']:.1f} | {r['docs'] / r['seconds']:.0f} | "
              f"{r['wall']:.1f} | {r['peak_rss'] / 2**20:.0f} MB | {r['size'] / 2**20:.0f} MB |")
    ratio = (rows["ours"]["docs"] / rows["ours"]["seconds"]) / (
        rows["stock"]["docs"] / rows["stock"]["seconds"])
    print(f"\nthroughput ours/stock: {ratio:.2f}x (target >= 2.0x); "
          f"peak memory ours: {rows['ours']['peak_rss'] / 2**20:.0f} MB (target < 1024 MB)")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
