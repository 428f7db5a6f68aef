"""Scale benchmark: build, serve, search and update the index at growing archive sizes.

    python -m benchmarks.scale --sizes 30000,100000,300000,1000000 --work /tmp/searchapp-scale \\
        --corpus /work/scale/1m.jsonl --saudinewsnet ../shared/data/saudinewsnet \\
        --arcd ../shared/data/arcd/arcd-train.json [--queries 2000] [--threads 8] [--keep] \\
        [--json results.json] [--skip-build]

The corpus is the nested synthetic archive of ``benchmarks.scalegen`` (real SaudiNewsNet
articles and ARCD paragraphs first, then recombined real sentences): the first N lines of one
file are the N-article corpus. ``--corpus FILE`` reuses such a file (it must come from
scalegen's default seed, since the incremental batch is generated with it); without it the
largest size is generated once into the work directory. Everything runs through the real CLI
and the HTTP JSON API, as a deployment would. For each size, in order:

1. **Corpus**: the first N lines copied to ``WORK/corpus-N.jsonl`` (kept when already there
   with N lines). *JSONL MB* is its size.
2. **Full build**: ``searchapp reindex WORK/corpus-N.jsonl --index WORK/ix-N --full`` as a
   subprocess (it forks writer processes). *build s* is wall time, *build articles/s* is N over
   it. *peak PSS GB* is the highest sum, sampled every second, of ``Pss`` (smaps_rollup) over
   the process and all its descendants. PSS, not RSS: the writers are forked and share the
   parent's pages copy-on-write and the page cache of the same files; RSS counts every shared
   page once per process and overstates the tree, PSS charges each process its share, so the
   sum is what the build really takes from the machine.
3. **Index size**: bytes of the live generation directory (``CURRENT``), and its ratio to the
   JSONL size.
4. **Ready**: ``searchapp serve --index WORK/ix-N --threads T`` on a free loopback port;
   seconds from process start until the first 200 answer of ``/api/search?q=النفط`` (polled
   every 50 ms; serve loads its per-index arrays before it listens, so this is the restart
   time a reader would see).
5. **Latency**: one client, sequential, persistent HTTP connection, each query once, as the
   results page asks (``/api/search`` returns 10 hits with snippets and title highlights, the
   exact total and the source/section/year facets: the API's defaults). p50/p95 ms per kind:
   ``question`` (ARCD-train questions), ``keywords`` (clean known-item queries of 2-4 title
   words, ``benchmarks.queries``), ``phrase`` (2-3 consecutive title words in quotes),
   ``prefix`` (the first 3-4 letters of a title word, after a leading ال/وال is dropped, with
   ``*``, plus another word of that title), ``or`` (two title words of two articles joined by
   ``أو``), ``month`` (a title word and a month name, one in five the month name alone),
   ``filter`` (known-item words plus ``source:<its source>`` or ``date:<its half-year>``),
   ``newest`` (known-item words, ``sort=newest``). Queries come from the SaudiNewsNet
   articles in the *smallest* size's corpus, with a fixed seed, so every size answers the same
   queries.
6. **Memory**: after at least ``--queries`` distinct queries (the latency pass, then the
   ranking queries of step 8 and, if still short, further generated ones, sent by ``--threads``
   concurrent clients), ``RssAnon`` and ``RssFile`` of the server (and any children) from
   /proc/PID/status. Anonymous memory is what the server process itself holds (Python objects,
   the per-generation arrays, posting caches): it is never given back short of a restart and
   is what decides how many servers fit on a machine. File-backed resident pages are mapped
   files (the interpreter, libraries, any mapped index file): the kernel drops and re-reads
   them under pressure, at a cost in latency but not in capacity, so they are reported apart,
   not added up. Index files read through file handles (searchapp opens Whoosh without mmap)
   sit in the kernel page cache and count in neither.
7. **Incremental**: with the server still running, ``scalegen --size N --delta 1000``
   (``WORK/delta-N.jsonl``, generated once: 500 replaced synthetic articles, 500 new), then
   ``searchapp reindex WORK/delta-N.jsonl --index WORK/ix-N`` (no ``--full``), timed
   (*incremental s*, wall time of the CLI process). One client sends keyword queries back to
   back from 3 s before the reindex; *max pause s* is the longest request that started
   between the reindex start and 10 s after its end (or 2 s after the server switched to the
   new generation, if later): the server has to open the new generation and build its
   arrays, and a request that waits for that is a pause readers see. *new article visible
   s*: seconds after the reindex until a search for the title of one new article lists its
   id (polled every 0.1 s up to ``--visible-timeout``, default 10 s), i.e. when the server
   started answering from the new generation; the JSON also has the preparation time the
   server logs (``swap_prepared_s``), when it logs one.
8. **Ranking**: MRR@10 (``benchmarks.common.score``) of the ARCD-train questions whose
   paragraph is in the corpus (none below 30,907 articles: reported as n/a) and of the
   known-item queries, typed with variation and clean, through the same HTTP API
   (``per_page=10``). The answers are those of steps 5 and 6: the ranking queries are the
   concurrent distinct queries of the memory step, so ranking is measured on exactly N
   articles, before the incremental batch.
9. The server is stopped (SIGTERM, SIGKILL after 10 s).

A failing step records its error in that size's column and the run goes on with the next size.
Without ``--keep`` the index and the corpus copy of a size are deleted once it is measured
(the delta files and a generated corpus stay, for the next run). ``--skip-build`` measures an
index kept by an earlier run; it already holds that run's delta, so its incremental run adds
nothing (noted in the output). Progress goes to stderr, the Markdown table to stdout.
The machine is shared: run it under ``nice``; latency figures are noisy under load.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.common import (
    Query,
    arcd_documents,
    check_paths,
    rank_of,
    score,
    tree_sum,
)
from benchmarks.latency import percentiles
from benchmarks.load import HOST, _free_port
from benchmarks.queries import _FUNCTION, fold, known_items
from searchapp.corpus import Article, read_many
from searchapp.web_args import MONTHS_AR

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("question", "keywords", "phrase", "prefix", "or", "month", "filter", "newest")
DELTA = 1000
#: Reading smaps_rollup of GB-sized processes costs CPU: at 0.25 s, 10-30% of a core.
SAMPLE_SECONDS = 1.0
READY_TIMEOUT = 120.0
PAUSE_AFTER = 10.0  # seconds after the incremental reindex still counted in the pause
SWITCH_AFTER = 2.0  # ... and at least this long after the server switched generation
BASELINE_SECONDS = 3.0
READY_QUERY = "/api/search?" + urlencode({"q": "النفط"})
_WORD = re.compile(r"[\u0621-\u064a]+")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- figures
@dataclass
class SizeFigures:
    """Everything measured at one size (None: not measured, see ``errors``)."""

    size: int
    articles: int | None = None  # lines of the corpus file
    indexed: int | None = None  # documents the build reported
    jsonl_bytes: int | None = None
    build_s: float | None = None
    build_rate: float | None = None  # articles/s
    peak_pss: int | None = None  # bytes, whole build process tree
    index_bytes: int | None = None  # live generation after the full build
    ready_s: float | None = None
    latency: dict[str, dict] = field(default_factory=dict)  # kind -> n, p50_ms, p95_ms, errors
    distinct_queries: int | None = None
    rss_anon: int | None = None  # bytes, server after the distinct queries
    rss_file: int | None = None
    incremental_s: float | None = None
    incremental_report: str = ""
    pause_s: float | None = None  # longest request during / just after the reindex
    baseline_p50_ms: float | None = None  # same client before the reindex
    pause_requests: int | None = None
    visible_s: float | None = None  # new article found this long after the reindex
    swap_prepared_s: float | None = None  # the server's own log: new generation prepared in
    index_bytes_after_delta: int | None = None
    mrr: dict[str, dict] = field(default_factory=dict)  # set -> n, mrr10, r10
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- queries
@dataclass(frozen=True)
class Request:
    """One ``/api/search`` request: query text, extra arguments, the relevant id if known."""

    kind: str
    q: str
    sort: str = ""
    relevant: str | None = None

    @property
    def path(self) -> str:
        args = {"q": self.q, "per_page": "10"}
        if self.sort:
            args["sort"] = self.sort
        return "/api/search?" + urlencode(args)


@dataclass
class QuerySets:
    latency: dict[str, list[Request]]
    ranking: dict[str, list[Request]]  # "arcd", "typed", "clean"
    extra: Iterator[Request]  # endless distinct-ish fill for the memory step
    stream: list[Request]  # keyword queries for the incremental client


def _content_words(title: str) -> list[str]:
    return [w for w in _WORD.findall(title) if len(w) >= 3 and fold(w) not in _FUNCTION]


def _phrase(a: Article, rng: random.Random) -> str | None:
    words = [w for w in _WORD.findall(a.title) if len(w) >= 2]
    k = rng.choice((2, 3))
    if len(words) < k + 1:
        return None
    i = rng.randrange(len(words) - k + 1)
    chosen = words[i:i + k]
    if all(fold(w) in _FUNCTION for w in chosen):
        return None
    return '"' + " ".join(chosen) + '"'


def _prefix(a: Article, rng: random.Random) -> str | None:
    words = _content_words(a.title)
    stems = [(w, re.sub("^و?ال", "", w)) for w in words]
    stems = [(w, s) for w, s in stems if len(s) >= 5]
    if not stems or len(words) < 2:
        return None
    word, stem = rng.choice(stems)
    other = rng.choice([w for w in words if w != word] or [word])
    parts = [stem[: rng.choice((3, 4))] + "*", other]
    rng.shuffle(parts)
    return " ".join(parts)


def _or(a: Article, b: Article, rng: random.Random) -> str | None:
    wa, wb = _content_words(a.title), _content_words(b.title)
    if not wa or not wb:
        return None
    return f"{rng.choice(wa)} أو {rng.choice(wb)}"


def _month(a: Article, rng: random.Random) -> str | None:
    month = rng.choice(MONTHS_AR)
    if rng.random() < 0.2:
        return month
    words = _content_words(a.title)
    return f"{rng.choice(words)} {month}" if words else None


def _filter(clean: Query, a: Article, rng: random.Random) -> str:
    if a.date is not None and (not a.source or rng.random() < 0.5):
        first = 1 if a.date.month <= 6 else 7
        return f"{clean.text} date:{a.date.year}-{first:02d}..{a.date.year}-{first + 5:02d}"
    return f"{clean.text} source:{a.source}"


def _generated(kind: str, articles: list[Article], rng: random.Random, n: int) -> list[Request]:
    """``n`` distinct queries of one generated kind over random articles."""
    make: dict[str, Callable[[Article], str | None]] = {
        "phrase": lambda a: _phrase(a, rng),
        "prefix": lambda a: _prefix(a, rng),
        "or": lambda a: _or(a, rng.choice(articles), rng),
        "month": lambda a: _month(a, rng),
    }
    out: dict[str, Request] = {}
    for _ in range(50 * n):
        if len(out) >= n:
            break
        a = rng.choice(articles)
        q = make[kind](a)
        if q and q not in out:
            out[q] = Request(kind, q, relevant=a.id if kind in ("phrase", "prefix") else None)
    return list(out.values())


def _extra(articles: list[Article], seed: int) -> Iterator[Request]:
    rng = random.Random(seed + 101)
    while True:
        kind = rng.choice(("phrase", "prefix", "or", "month"))
        yield from _generated(kind, articles, rng, 20)


def build_queries(snn: list[Article], questions: list[Query], per_kind: int,
                  known: int, seed: int) -> QuerySets:
    """The fixed query sets (deterministic for ``seed``), see the module docstring."""
    rng = random.Random(seed)
    pairs = known_items(snn, known, seed)
    clean = [c for c, _ in pairs]
    typed = [t for _, t in pairs]
    by_id = {a.id: a for a in snn}
    qsample = rng.sample(questions, min(300, len(questions)))
    keywords = [c for c in clean if 2 <= len(c.text.split()) <= 4][:300]
    rest = clean[len(keywords):] or clean
    filt = rest[:per_kind]
    newest = rest[per_kind:2 * per_kind] or rest[:per_kind]
    latency = {
        "question": [Request("question", q.text, relevant=q.relevant) for q in qsample],
        "keywords": [Request("keywords", q.text, relevant=q.relevant) for q in keywords],
        **{k: _generated(k, snn, random.Random(f"{seed}-{k}"), per_kind)
           for k in ("phrase", "prefix", "or", "month")},
        "filter": [Request("filter", _filter(q, by_id[q.relevant], rng), relevant=q.relevant)
                   for q in filt],
        "newest": [Request("newest", q.text, sort="newest") for q in newest],
    }
    ranking = {
        "arcd": [Request("question", q.text, relevant=q.relevant) for q in questions],
        "typed": [Request("keywords", q.text, relevant=q.relevant) for q in typed],
        "clean": [Request("keywords", q.text, relevant=q.relevant) for q in clean],
    }
    stream = [Request("keywords", q.text) for q in clean]
    return QuerySets(latency, ranking, _extra(snn, seed), stream)


# ----------------------------------------------------------------------------- files
def count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
    return n


def head(src: Path, dst: Path, n: int) -> None:
    """The first ``n`` lines of ``src`` into ``dst`` (atomically); fails if ``src`` is short."""
    tmp = dst.with_name(dst.name + ".tmp")
    written = 0
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        for line in fin:
            if written == n:
                break
            fout.write(line)
            written += 1
    if written < n:
        tmp.unlink()
        raise RuntimeError(f"{src} has only {written:,} lines, {n:,} needed")
    os.replace(tmp, dst)


def real_ids(corpus: Path, n: int) -> set[str]:
    """Ids of the real (non-synthetic) records among the first ``n`` lines of ``corpus``."""
    ids: set[str] = set()
    with open(corpus, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            doc_id = json.loads(line)["id"]
            if doc_id.startswith("syn-"):
                break
            ids.add(doc_id)
    return ids


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def live_generation(index: Path) -> Path:
    return index / (index / "CURRENT").read_text("utf-8").strip()


def scalegen(args: argparse.Namespace, size: int, out: Path, delta: int = 0) -> None:
    cmd = [sys.executable, "-m", "benchmarks.scalegen", "--saudinewsnet", args.saudinewsnet,
           "--arcd", args.arcd, "--size", str(size), "--out", str(out)]
    if delta:
        cmd += ["--delta", str(delta)]
    with open(out.with_suffix(".log"), "wb") as err:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=err, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"scalegen exited {proc.returncode}: {_tail(out.with_suffix('.log'))}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


# ----------------------------------------------------------------------------- /proc
class PeakSampler:
    """Highest total PSS of a process tree, sampled in a thread until :meth:`stop`."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, tree_sum(self.pid, "smaps_rollup", "Pss"))
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


# ----------------------------------------------------------------------------- CLI runs
def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "searchapp.cli", *args]


def run_reindex(corpus: Path, index: Path, logfile: Path, full: bool) -> tuple[float, int, str]:
    """(wall seconds, peak PSS bytes, summary line) of one ``searchapp reindex``."""
    cmd = cli("reindex", str(corpus), "--index", str(index), *(["--full"] if full else []))
    with open(logfile, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=err)
        sampler = PeakSampler(proc.pid)
        out, _ = proc.communicate()
        wall = time.perf_counter() - started
        peak = sampler.stop()
    summary = out.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise RuntimeError(f"reindex exited {proc.returncode}: {summary} {_tail(logfile, 5)}")
    return wall, peak, summary.splitlines()[-1] if summary else ""


class Server:
    """``searchapp serve`` on a free loopback port, output to a log file."""

    def __init__(self, index: Path, threads: int, logfile: Path) -> None:
        self.port = _free_port()
        self.logfile = logfile
        cmd = cli("serve", "--host", HOST, "--port", str(self.port), "--index", str(index),
                  "--threads", str(threads))
        with open(logfile, "wb") as out:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self) -> float:
        """Seconds from start to the first 200 answer (polled every 50 ms)."""
        deadline = self.started + READY_TIMEOUT
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n"
                                   f"{_tail(self.logfile)}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                conn.request("GET", READY_QUERY)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        log(f"server log tail:\n{_tail(self.logfile)}")
        raise RuntimeError(f"server not answering after {READY_TIMEOUT:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Client:
    """One persistent HTTP connection; :meth:`get` returns (status, body, seconds)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)

    def get(self, path: str) -> tuple[int, dict, float]:
        started = time.perf_counter()
        try:
            self.conn.request("GET", path)
            resp = self.conn.getresponse()
            body = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
            return 0, {}, time.perf_counter() - started
        seconds = time.perf_counter() - started
        try:
            data = json.loads(body) if status == 200 else {}
        except ValueError:
            data, status = {}, -1
        return status, data, seconds

    def close(self) -> None:
        self.conn.close()


@dataclass
class Answer:
    status: int
    ids: list[str]
    seconds: float


def _answer(status: int, data: dict, seconds: float) -> Answer:
    return Answer(status, [h["id"] for h in data.get("hits", [])], seconds)


# ----------------------------------------------------------------------------- passes
def latency_pass(port: int, sets: dict[str, list[Request]],
                 answers: dict[str, Answer]) -> dict[str, dict]:
    """One client, each query once; p50/p95 per kind. Fills ``answers`` by path."""
    client = Client(port)
    out = {}
    for kind in KINDS:
        seconds, errors = [], 0
        for req in sets.get(kind, []):
            ans = _answer(*client.get(req.path))
            answers.setdefault(req.path, ans)
            seconds.append(ans.seconds)
            errors += ans.status != 200
        if seconds:
            p50, p95 = percentiles([s * 1000 for s in seconds])
            out[kind] = {"n": len(seconds), "p50_ms": p50, "p95_ms": p95, "errors": errors}
    client.close()
    return out


def concurrent_pass(port: int, requests: list[Request], threads: int,
                    answers: dict[str, Answer]) -> None:
    """Send every path not yet in ``answers`` from ``threads`` clients; fill ``answers``."""
    todo = list(dict.fromkeys(r.path for r in requests if r.path not in answers))
    lock = threading.Lock()

    def work() -> None:
        client = Client(port)
        while True:
            with lock:
                if not todo:
                    break
                path = todo.pop()
            ans = _answer(*client.get(path))
            with lock:
                answers[path] = ans
        client.close()

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def fill_requests(qs: QuerySets, answers: dict[str, Answer], target: int) -> list[Request]:
    """The ranking queries, then extra generated ones until ``target`` distinct paths."""
    out = [r for rs in qs.ranking.values() for r in rs]
    have = set(answers) | {r.path for r in out}
    while len(have) < target:
        r = next(qs.extra)
        if r.path not in have:
            have.add(r.path)
            out.append(r)
    return out


def ranking_figures(qs: QuerySets, answers: dict[str, Answer],
                    present: set[str]) -> dict[str, dict]:
    """MRR@10 and R@10 per ranking set, over queries whose relevant article is indexed."""
    out = {}
    for name, reqs in qs.ranking.items():
        reqs = [r for r in reqs if r.relevant in present or not r.relevant.startswith("arcd-")]
        if not reqs:
            out[name] = {"n": 0, "mrr10": None, "r10": None}
            continue
        ranks = [rank_of(answers[r.path].ids, r.relevant) for r in reqs]
        s = score(ranks, [answers[r.path].seconds for r in reqs])
        errors = sum(answers[r.path].status != 200 for r in reqs)
        out[name] = {"n": s.n, "mrr10": s.mrr10, "r10": s.r10, "errors": errors}
    return out


def memory(pid: int) -> tuple[int, int]:
    return tree_sum(pid, "status", "RssAnon"), tree_sum(pid, "status", "RssFile")


class Stream:
    """One client sending queries back to back, recording (start, seconds, status)."""

    def __init__(self, port: int, requests: list[Request]) -> None:
        self.client = Client(port)
        self.requests = requests
        self.records: list[tuple[float, float, int]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        i = 0
        while not self._done.is_set():
            req = self.requests[i % len(self.requests)]
            i += 1
            started = time.perf_counter()
            status, _, seconds = self.client.get(req.path)
            self.records.append((started, seconds, status))

    def stop(self) -> list[tuple[float, float, int]]:
        self._done.set()
        self._thread.join()
        self.client.close()
        return self.records


def new_article(delta: Path) -> tuple[str, str]:
    """(id, title) of the first new (not replacing) article of the delta batch."""
    with open(delta, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["id"].startswith("syn-new-"):
                return r["id"], r["title"]
    raise RuntimeError(f"no new article in {delta}")


def incremental(fig: SizeFigures, port: int, index: Path, delta: Path, work: Path,
                stream_reqs: list[Request], serve_log: Path, visible_timeout: float) -> None:
    new_id, title = new_article(delta)
    stream = Stream(port, stream_reqs)
    time.sleep(BASELINE_SECONDS)
    t0 = time.perf_counter()
    wall, _, summary = run_reindex(delta, index, work / f"delta-{fig.size}.reindex.log",
                                   full=False)
    t1 = time.perf_counter()
    fig.incremental_s, fig.incremental_report = wall, summary
    log(f"  incremental: {wall:.1f} s ({summary})")
    if re.search(r"added 0, updated 0,", summary):
        fig.notes.append("the index already held the delta batch: the incremental reindex "
                         "changed nothing")
    visible = _find(port, title, new_id, t1, visible_timeout)
    end = t1 + max(PAUSE_AFTER, (visible or 0.0) + SWITCH_AFTER)
    time.sleep(max(0.0, end - time.perf_counter()))
    records = stream.stop()
    before = [s for start, s, _ in records if start < t0]
    window = [(s, st) for start, s, st in records if t0 <= start <= end]
    if before:
        fig.baseline_p50_ms = percentiles([s * 1000 for s in before])[0]
    if window:
        fig.pause_s = max(s for s, _ in window)
        fig.pause_requests = len(window)
        bad = sum(st != 200 for _, st in window)
        if bad:
            fig.notes.append(f"{bad} of {len(window)} requests failed during the reindex")
    fig.visible_s = visible
    if visible is None:
        fig.notes.append(f"new article {new_id} not found by its title {visible_timeout:.0f} s "
                         "after the reindex")
    fig.index_bytes_after_delta = dir_bytes(live_generation(index))
    fig.swap_prepared_s = _prepared_seconds(serve_log)


def _prepared_seconds(serve_log: Path) -> float | None:
    """What the server logged as the preparation time of the generation it switched to."""
    found = re.findall(r"prepared in ([0-9.]+) s", _tail(serve_log, 200))
    return float(found[-1]) if found else None


def _find(port: int, title: str, doc_id: str, since: float, timeout: float) -> float | None:
    """Seconds after ``since`` until a search for ``title`` lists ``doc_id`` (≤ timeout)."""
    client = Client(port)
    path = Request("check", title).path
    try:
        while time.perf_counter() - since < timeout:
            _, data, _ = client.get(path)
            if doc_id in [h["id"] for h in data.get("hits", [])]:
                return time.perf_counter() - since
            time.sleep(0.1)
    finally:
        client.close()
    return None


# ----------------------------------------------------------------------------- one size
@dataclass
class Context:
    args: argparse.Namespace
    work: Path
    source: Path  # the nested corpus file the sizes are cut from
    queries: QuerySets


def measure_size(ctx: Context, n: int) -> SizeFigures:
    fig = SizeFigures(n)
    step = "corpus"
    server: Server | None = None
    work, args = ctx.work, ctx.args
    corpus, index = work / f"corpus-{n}.jsonl", work / f"ix-{n}"
    try:
        log(f"size {n:,}: corpus")
        if not (corpus.exists() and count_lines(corpus) == n):
            head(ctx.source, corpus, n)
        fig.articles, fig.jsonl_bytes = n, corpus.stat().st_size
        present = real_ids(corpus, n)

        step = "build"
        if args.skip_build:
            if not (index / "CURRENT").exists():
                raise RuntimeError(f"--skip-build: no index at {index}")
            fig.notes.append("build skipped (--skip-build)")
        else:
            shutil.rmtree(index, ignore_errors=True)
            log(f"size {n:,}: full build")
            wall, peak, summary = run_reindex(corpus, index, work / f"build-{n}.log", full=True)
            fig.build_s, fig.build_rate, fig.peak_pss = wall, n / wall, peak
            m = re.search(r"\((\d+) documents", summary)
            fig.indexed = int(m.group(1)) if m else None
            log(f"  {wall:.1f} s, {n / wall:,.0f} articles/s, peak PSS {peak / 1e9:.2f} GB "
                f"({summary})")
            if fig.indexed is not None and fig.indexed != n:
                fig.notes.append(f"the build indexed {fig.indexed:,} of {n:,} records")

        step = "index size"
        fig.index_bytes = dir_bytes(live_generation(index))

        step = "serve"
        server = Server(index, args.threads, work / f"serve-{n}.log")
        fig.ready_s = server.wait_ready()
        log(f"  ready in {fig.ready_s:.1f} s")

        step = "latency"
        answers: dict[str, Answer] = {}
        fig.latency = latency_pass(server.port, ctx.queries.latency, answers)
        log("  latency " + ", ".join(f"{k} {v['p50_ms']:.0f}/{v['p95_ms']:.0f}"
                                     for k, v in fig.latency.items()) + " ms (p50/p95)")

        step = "memory"
        concurrent_pass(server.port, fill_requests(ctx.queries, answers, args.queries),
                        args.threads, answers)
        fig.distinct_queries = len(answers)
        fig.rss_anon, fig.rss_file = memory(server.proc.pid)
        log(f"  after {len(answers):,} distinct queries: RssAnon {fig.rss_anon / 1e9:.2f} GB, "
            f"RssFile {fig.rss_file / 1e9:.2f} GB")

        step = "ranking"
        fig.mrr = ranking_figures(ctx.queries, answers, present)
        log("  MRR@10 " + ", ".join(f"{k} {_num(v['mrr10'], 3)} (n={v['n']})"
                                    for k, v in fig.mrr.items()))

        step = "incremental"
        delta = work / f"delta-{n}.jsonl"
        if not (delta.exists() and count_lines(delta) == DELTA):
            log(f"  generating the delta batch ({DELTA} articles)")
            scalegen(args, n, delta, DELTA)
        incremental(fig, server.port, index, delta, work, ctx.queries.stream,
                    server.logfile, args.visible_timeout)
        log(f"  pause {_num(fig.pause_s, 2)} s, new article visible after "
            f"{_num(fig.visible_s, 2)} s")
    except Exception as e:  # the run goes on with the next size
        fig.errors.append(f"{step}: {type(e).__name__}: {e}")
        log(f"size {n:,}: {step} failed: {type(e).__name__}: {e}")
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(index, ignore_errors=True)
            corpus.unlink(missing_ok=True)
    return fig


# ----------------------------------------------------------------------------- output
def _num(v: float | None, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v:,.{digits}f}"


def _gb(v: int | None) -> str:
    return "n/a" if v is None else f"{v / 1e9:.2f}"


def _mb(v: int | None) -> str:
    return "n/a" if v is None else f"{v / 1e6:,.0f}"


def table(figs: list[SizeFigures]) -> str:
    rows: list[tuple[str, Callable[[SizeFigures], str]]] = [
        ("articles", lambda f: f"{f.size:,}"),
        ("JSONL MB", lambda f: _mb(f.jsonl_bytes)),
        ("build s", lambda f: _num(f.build_s)),
        ("build articles/s", lambda f: _num(f.build_rate, 0)),
        ("peak PSS GB", lambda f: _gb(f.peak_pss)),
        ("index MB", lambda f: _mb(f.index_bytes)),
        ("index/JSONL", lambda f: _num(f.index_bytes / f.jsonl_bytes, 2)
         if f.index_bytes and f.jsonl_bytes else "n/a"),
        ("incremental s", lambda f: _num(f.incremental_s)),
        ("max pause s", lambda f: _num(f.pause_s, 2)),
        ("new article visible s", lambda f: _num(f.visible_s, 2)),
        ("ready s", lambda f: _num(f.ready_s)),
        ("anon RSS GB", lambda f: _gb(f.rss_anon)),
        ("file RSS GB", lambda f: _gb(f.rss_file)),
    ]
    for kind in KINDS:
        rows.append((f"{kind} p50/p95 ms", lambda f, k=kind: (
            f"{f.latency[k]['p50_ms']:.0f} / {f.latency[k]['p95_ms']:.0f}"
            if k in f.latency else "n/a")))
    for name, label in (("arcd", "MRR@10 ARCD questions"), ("typed", "MRR@10 known-item typed"),
                        ("clean", "MRR@10 known-item clean")):
        rows.append((label, lambda f, k=name: _num(f.mrr[k]["mrr10"], 3)
                     if k in f.mrr else "n/a"))
    if any(f.errors or f.notes for f in figs):
        rows.append(("errors / notes", lambda f: "; ".join(f.errors + f.notes)
                     .replace("|", "/").replace("\n", " ") or "-"))
    lines = ["| | " + " | ".join(f"{f.size:,}" for f in figs) + " |",
             "| --- |" + " ---: |" * len(figs)]
    lines += [f"| {label} | " + " | ".join(get(f) for f in figs) + " |" for label, get in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scale",
                                description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="30000,100000,300000,1000000",
                   help="comma-separated article counts, measured in this order")
    p.add_argument("--work", type=Path, required=True, help="work directory (not in the repo)")
    p.add_argument("--corpus", type=Path, help="an existing scalegen file to cut sizes from")
    p.add_argument("--saudinewsnet", default="../shared/data/saudinewsnet")
    p.add_argument("--arcd", default="../shared/data/arcd/arcd-train.json")
    p.add_argument("--queries", type=int, default=2000,
                   help="distinct queries served before memory is read")
    p.add_argument("--threads", type=int, default=8,
                   help="server threads, and concurrent clients of the memory step")
    p.add_argument("--per-kind", type=int, default=150,
                   help="latency queries of each generated kind (question, keywords: 300)")
    p.add_argument("--known-items", type=int, default=1000, help="known-item pairs for MRR")
    p.add_argument("--visible-timeout", type=float, default=10.0,
                   help="seconds to wait for a new article to be found after the reindex")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--keep", action="store_true", help="keep each size's index and corpus copy")
    p.add_argument("--skip-build", action="store_true", help="reuse WORK/ix-N")
    p.add_argument("--json", type=Path, help="write all figures here")
    args = p.parse_args(argv)
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        p.error("--sizes must be comma-separated integers")
    if not args.sizes or min(args.sizes) <= 0:
        p.error("--sizes must be positive")
    args.work = args.work.resolve()
    if args.work == ROOT or ROOT in args.work.parents:
        p.error(f"--work {args.work} is inside the repository; use a directory outside it")
    if args.corpus is not None and not args.corpus.is_file():
        p.error(f"--corpus {args.corpus}: no such file")
    return args


def source_corpus(args: argparse.Namespace) -> Path:
    """The nested corpus to cut from: ``--corpus``, or the largest size generated once."""
    if args.corpus is not None:
        return args.corpus.resolve()
    largest = max(args.sizes)
    out = args.work / f"scalegen-{largest}.jsonl"
    if not (out.exists() and count_lines(out) == largest):
        log(f"generating the {largest:,}-article corpus into {out}")
        scalegen(args, largest, out)
    return out


def load_queries(args: argparse.Namespace, source: Path) -> QuerySets:
    """Query sets over the SaudiNewsNet articles that the smallest size contains."""
    smallest = real_ids(source, min(args.sizes))
    errors: list = []
    snn = [a for a in read_many([args.saudinewsnet], on_error=errors.append)
           if a.id in smallest]
    if not snn:
        raise SystemExit(f"error: no SaudiNewsNet article of {args.saudinewsnet} among the "
                         f"first {min(args.sizes):,} lines of {source}")
    _, questions = arcd_documents(args.arcd, args.work)
    qs = build_queries(snn, questions, args.per_kind, args.known_items, args.seed)
    log(f"queries over {len(snn):,} SaudiNewsNet articles: "
        + ", ".join(f"{k} {len(v)}" for k, v in qs.latency.items())
        + "; ranking " + ", ".join(f"{k} {len(v)}" for k, v in qs.ranking.items()))
    return qs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_paths(args.saudinewsnet, args.arcd)
    args.work.mkdir(parents=True, exist_ok=True)
    source = source_corpus(args)
    ctx = Context(args, args.work, source, load_queries(args, source))
    figs = []
    for n in args.sizes:
        figs.append(measure_size(ctx, n))
        if args.json:
            args.json.write_text(json.dumps(
                {"when": datetime.now().isoformat(timespec="seconds"), "source": str(source),
                 "threads": args.threads, "seed": args.seed,
                 "sizes": [asdict(f) for f in figs]}, ensure_ascii=False, indent=2), "utf-8")
    print(table(figs))
    return 1 if any(f.errors for f in figs) else 0


if __name__ == "__main__":
    sys.exit(main())
