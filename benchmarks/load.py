"""Load check for the web site: N concurrent clients on loopback against ``searchapp serve``.

A benchmark, not a unit test: it starts the real server (waitress, several threads) over an
index, runs a fixed mix of keyword searches, reader questions, API calls and autocomplete
requests from ``--clients`` threads for ``--seconds``, then prints the error count (the check
is that it is zero), p50/p95/p99 latency and requests per second. It only ever talks to
127.0.0.1, is bounded in time and in request count, and stops the server it started.

    python -m benchmarks.load --index /tmp/sn-index            # 20 clients, 30 s
    python -m benchmarks.load --corpus corpus/ --seconds 10     # build a temporary index first
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HOST = "127.0.0.1"  # loopback only, by design: there is no option to aim this elsewhere
MAX_SECONDS, MAX_CLIENTS, MAX_REQUESTS = 300, 64, 500_000

KEYWORDS = [
    "النفط", "أسعار النفط", "الاقتصاد السعودي", "وزارة الصحة", "كورونا", "الهلال", "النصر",
    "مجلس الوزراء", "الأمطار", "الرياض", "جدة", "التعليم", "المدارس", "الحج", "العمرة",
    "سوريا", "اليمن", "إيران", "الأسهم", "البطالة", "الإسكان", "المرور", "الطقس", "رمضان",
    "الأمير محمد بن سلمان", "\"وزارة التعليم\"", "الملك سلمان", "تويتر", "السياحة", "اقتص*",
    "الحوثي -اليمن", "الرياض أو جدة", "source:okaz النفط", "date:2015 الميزانية",
]
QUESTIONS = [
    "ما هي أسعار النفط اليوم", "متى يبدأ العام الدراسي الجديد", "كم عدد الحجاج هذا العام",
    "لماذا ارتفعت أسعار الأسهم", "من هو وزير الصحة", "أين تقع أمطار غزيرة في المملكة",
    "هل تم رفع أسعار الوقود", "ما أسباب ارتفاع البطالة", "كيف أحصل على قرض سكني",
    "ما نتيجة مباراة الهلال والنصر",
]
PREFIXES = ["ال", "وز", "الس", "النف", "مج", "الري", "اقت", "الهل", "سو", "الأم"]


def _request_for(rng: random.Random) -> tuple[str, str]:
    """One (kind, path) of the mix: mostly HTML searches, as readers send them."""
    r = rng.random()
    if r < 0.45:
        params = {"q": rng.choice(KEYWORDS)}
        if rng.random() < 0.2:
            params["page"] = str(rng.randint(2, 5))
        if rng.random() < 0.15:
            params["sort"] = "newest"
        return "keyword", "/?" + urlencode(params)
    if r < 0.70:
        return "question", "/?" + urlencode({"q": rng.choice(QUESTIONS)})
    if r < 0.85:
        return "api", "/api/search?" + urlencode({"q": rng.choice(KEYWORDS + QUESTIONS),
                                                   "per_page": 20})
    return "suggest", "/api/suggest?" + urlencode({"q": rng.choice(PREFIXES)})


class Stats:
    """Latencies and errors gathered from all client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.count = 0

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.count += 1
            self.latencies.setdefault(kind, []).append(seconds)
            if error:
                self.errors.append(error)


def _client(port: int, deadline: float, seed: int, stats: Stats) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    while time.monotonic() < deadline and stats.count < MAX_REQUESTS:
        kind, path = _request_for(rng)
        started = time.perf_counter()
        error = None
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                error = f"{resp.status} {path}"
        except (OSError, http.client.HTTPException) as e:
            error = f"{type(e).__name__}: {e} {path}"
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
        stats.add(kind, time.perf_counter() - started, error)
    conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(index: Path, threads: int, log: Path) -> tuple[subprocess.Popen, int]:
    """``searchapp serve`` on a free loopback port; returns once it answers.

    The server's output goes to a file, not a pipe: an undrained pipe fills up under load
    (waitress logs queue warnings) and would freeze the server mid-benchmark.
    """
    port = _free_port()
    cmd = [sys.executable, "-c", "from searchapp.cli import main; main()", "serve", "--host",
           HOST, "--port", str(port), "--index", str(index), "--threads", str(threads)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text(errors='replace')}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/?q=" + "%D8%A7%D9%84%D9%86%D9%81%D8%B7")  # warm up: النفط
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not start within 60 s")


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(index: Path, clients: int, seconds: float, threads: int, log: Path) -> dict:
    """Run the load and return the summary (also what ``--json`` prints)."""
    proc, port = start_server(index, threads, log)
    stats = Stats()
    try:
        started = time.monotonic()
        deadline = started + seconds
        workers = [threading.Thread(target=_client, args=(port, deadline, i, stats), daemon=True)
                   for i in range(clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(seconds + 60)
        elapsed = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    every = [x for xs in stats.latencies.values() for x in xs]
    ms = {k: {"n": len(v), "p50_ms": _pct(v, 50) * 1000, "p95_ms": _pct(v, 95) * 1000}
          for k, v in sorted(stats.latencies.items())}
    return {
        "index": str(index), "clients": clients, "server_threads": threads,
        "seconds": round(elapsed, 1), "requests": stats.count, "errors": len(stats.errors),
        "error_samples": stats.errors[:5], "rps": stats.count / elapsed if elapsed else 0.0,
        "p50_ms": _pct(every, 50) * 1000 if every else None,
        "p95_ms": _pct(every, 95) * 1000 if every else None,
        "p99_ms": _pct(every, 99) * 1000 if every else None,
        "mean_ms": statistics.fmean(every) * 1000 if every else None, "by_kind": ms,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--index", type=Path, help="existing index directory")
    src.add_argument("--corpus", type=Path, help="corpus to index into a temporary directory")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=8, help="server (waitress) threads")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    a = ap.parse_args(argv)
    if not (1 <= a.clients <= MAX_CLIENTS and 0 < a.seconds <= MAX_SECONDS):
        ap.error(f"--clients must be 1..{MAX_CLIENTS} and --seconds 0..{MAX_SECONDS}")
    with tempfile.TemporaryDirectory(prefix="searchapp-load-") as tmp:
        index = a.index
        if a.corpus is not None:
            from searchapp import reindex

            index = Path(tmp) / "index"
            report = reindex([a.corpus], index)
            print(f"indexed {report.documents} documents from {a.corpus}", file=sys.stderr)
        summary = run(index, a.clients, a.seconds, a.threads, Path(tmp) / "server.log")
        warnings = [ln for ln in (Path(tmp) / "server.log").read_text(errors="replace")
                    .splitlines() if "WARNING" in ln or "ERROR" in ln]
        summary["server_warnings"] = len(warnings)
        if warnings:
            print(f"server log: {len(warnings)} warnings, e.g. {warnings[0]}", file=sys.stderr)
    if a.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        if not summary["requests"]:
            print("zero-error check: FAIL (no request completed)")
            return 1
        ok = "PASS" if summary["errors"] == 0 else "FAIL"
        print(f"zero-error check: {ok} ({summary['errors']} errors in {summary['requests']} "
              f"requests)")
        for sample in summary["error_samples"]:
            print(f"  e.g. {sample}")
        print(f"{summary['clients']} clients, {summary['server_threads']} server threads, "
              f"{summary['seconds']} s: {summary['rps']:.1f} requests/s")
        print(f"latency p50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms, "
              f"p99 {summary['p99_ms']:.0f} ms")
        for kind, k in summary["by_kind"].items():
            print(f"  {kind:9s} n={k['n']:6d}  p50 {k['p50_ms']:6.0f} ms  "
                  f"p95 {k['p95_ms']:6.0f} ms")
    return 0 if summary["errors"] == 0 and summary["requests"] else 1


if __name__ == "__main__":
    sys.exit(main())
