"""Build the sharded indexes ``benchmarks.cluster`` measures (one per shard count).

    python -m benchmarks.cluster_build --corpus /work/scale/1m.jsonl --work WORK \\
        [--shards 1,2,4] [--procs 2]

Each ``WORK/ix-sN`` is built with ``searchapp.shards.reindex_sharded`` (the API of ``searchapp
reindex --shards N``) in this process, shard after shard, each shard with ``--procs``
writer processes; kept when its ``cluster.json`` already exists. Prints wall time and
articles/s per build, and writes them to ``WORK/builds.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from searchapp.shards import is_sharded, reindex_sharded


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--shards", default="1,2,4")
    p.add_argument("--procs", type=int, default=2)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args.work.mkdir(parents=True, exist_ok=True)
    out = args.work / "builds.json"
    figures = json.loads(out.read_text()) if out.exists() else {}
    for n in (int(s) for s in args.shards.split(",")):
        ix = args.work / f"ix-s{n}"
        if is_sharded(ix):
            print(f"{n} shards: kept {ix}", flush=True)
            continue
        started = time.perf_counter()
        r = reindex_sharded([args.corpus], ix, n, procs=args.procs)
        wall = time.perf_counter() - started
        figures[str(n)] = {"seconds": round(wall, 1), "documents": r.documents,
                           "per_shard": [s.documents for s in r.shards]}
        out.write_text(json.dumps(figures, indent=1))
        print(f"{n} shards: {r.documents:,} articles in {wall:.0f} s "
              f"({r.documents / wall:,.0f}/s), shards {[s.documents for s in r.shards]}",
              flush=True)


if __name__ == "__main__":
    main()
