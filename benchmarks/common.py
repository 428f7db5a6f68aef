"""Data loading, caching and metrics shared by the retrieval benchmark.

Nothing here is imported by the product. The data sets live outside the project (see
``../shared/README.md``); they are read from the paths given on the command line and only
derived artefacts (JSONL subsamples, indexes, generated queries) are written, to ``--work``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from searchapp.corpus import Article, read_many

ROOT = Path(__file__).resolve().parent.parent
#: Files whose content decides what the analyzer emits: an index built with other versions of
#: them is stale. (Ranking lives at query time and never forces a rebuild.)
ANALYSIS_FILES = ("arabic.py", "analysis.py", "stopwords.py", "schema.py")


@dataclass
class Query:
    text: str
    relevant: str  # the one relevant document id


@dataclass
class Corpus:
    paths: list[str]  # what reindex() reads
    articles: list[Article]
    arcd_questions: list[Query] = field(default_factory=list)
    fingerprint: str = ""


def digest(*parts: object) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(repr(p).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:12]


def path_fingerprint(path: str) -> str:
    """Cheap identity of a file or directory tree (names, sizes, mtimes)."""
    entries = []
    p = Path(path)
    files = sorted(p.rglob("*")) if p.is_dir() else [p]
    for f in files:
        if f.is_file():
            st = f.stat()
            entries.append((str(f.relative_to(p) if p.is_dir() else f.name), st.st_size,
                            int(st.st_mtime)))
    return digest(entries)


def analysis_fingerprint() -> str:
    src = ROOT / "searchapp"
    return digest(*[(n, (src / n).read_bytes() if (src / n).exists() else b"")
                    for n in ANALYSIS_FILES])


def check_paths(saudinewsnet: str, arcd: str) -> None:
    if not os.path.isdir(saudinewsnet) or not list(Path(saudinewsnet).glob("*.zip")):
        sys.exit(f"error: SaudiNewsNet data not found: {saudinewsnet!r} is not a directory of "
                 ".zip files (--saudinewsnet; see ../shared/README.md)")
    if not os.path.isfile(arcd):
        sys.exit(f"error: ARCD training file not found: {arcd!r} (--arcd; "
                 "see ../shared/README.md)")


def write_jsonl(path: Path, records: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def arcd_documents(arcd: str, work: Path) -> tuple[Path, list[Query]]:
    """ARCD paragraphs as a JSONL corpus (ids ``arcd-<i>-<j>``) and the questions on them."""
    data = json.loads(Path(arcd).read_text("utf-8"))["data"]
    records, questions = [], []
    for i, art in enumerate(data):
        for j, para in enumerate(art["paragraphs"]):
            doc_id = f"arcd-{i}-{j}"
            records.append({"id": doc_id, "title": art["title"], "body": para["context"],
                            "source": "arcd"})
            questions += [Query(qa["question"].strip(), doc_id) for qa in para["qas"]
                          if qa["question"].strip()]
    out = work / f"arcd-{path_fingerprint(arcd)}.jsonl"
    if not out.exists():
        write_jsonl(out, records)
    return out, questions


def read_saudinewsnet(saudinewsnet: str, work: Path, limit_docs: int | None, seed: int,
                      fp: str, name: str) -> tuple[str, list[Article]]:
    """The SaudiNewsNet articles (all, or a seeded subsample of ``limit_docs`` written once as
    ``work/<name>-<fp>.jsonl``) and the path to index them from."""
    errors: list[str] = []
    snn = list(read_many([saudinewsnet], on_error=lambda e: errors.append(str(e))))
    if errors:
        print(f"note: {len(errors)} SaudiNewsNet records rejected by the reader "
              f"(e.g. {errors[0]})", file=sys.stderr)
    if not limit_docs or limit_docs >= len(snn):
        return saudinewsnet, snn
    snn = random.Random(seed).sample(snn, limit_docs)
    sample = work / f"{name}-{fp}.jsonl"
    if not sample.exists():
        write_jsonl(sample, [_record(a) for a in snn])
    return str(sample), snn


def load_corpus(saudinewsnet: str, arcd: str, work: Path, limit_docs: int | None,
                seed: int) -> Corpus:
    """SaudiNewsNet (all, or a seeded subsample of ``limit_docs``) plus the ARCD paragraphs."""
    arcd_path, questions = arcd_documents(arcd, work)
    fp = digest(path_fingerprint(saudinewsnet), path_fingerprint(arcd), limit_docs, seed)
    snn_path, snn = read_saudinewsnet(saudinewsnet, work, limit_docs, seed, fp, "snn-sample")
    arcd_articles = list(read_many([arcd_path]))
    return Corpus([snn_path, str(arcd_path)], snn + arcd_articles, questions, fp)


def _record(a: Article) -> dict:
    r = {"id": a.id, "title": a.title, "content": "\n\n".join(a.paragraphs),
         "source": a.source, "url": a.url}
    if a.date is not None:
        r["date"] = a.date.isoformat()
    return r


# ----------------------------------------------------------------------------- metrics
def rank_of(hit_ids: list[str], relevant: str) -> int | None:
    try:
        return hit_ids.index(relevant) + 1
    except ValueError:
        return None


@dataclass
class Scores:
    mrr10: float
    r10: float
    r100: float
    p50_ms: float
    p95_ms: float
    n: int


def score(ranks: list[int | None], seconds: list[float]) -> Scores:
    n = len(ranks)
    mrr = sum(1 / r for r in ranks if r is not None and r <= 10) / n
    r10 = sum(1 for r in ranks if r is not None and r <= 10) / n
    r100 = sum(1 for r in ranks if r is not None and r <= 100) / n
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]
    return Scores(mrr, r10, r100, statistics.median(ms), p95, n)


# ----------------------------------------------------------------------------- /proc
def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc."""
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return out


def tree_sum(pid: int, name: str, key: str) -> int:
    """Sum over the process tree of the ``key:`` line (kB) of /proc/PID/``name``, in bytes."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/{name}") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1]) * 1024
                        break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total
