"""Fault injection over the real ``searchapp`` CLI: kill it, damage its files, starve its disk.

    python -m benchmarks.faults --saudinewsnet ../shared/data/saudinewsnet --docs 3000
    # --runs N (kills of each kind, default 12), --seed N, --work DIR, --keep,
    # --only kill|damage|disk; without the data set a synthetic corpus is used

Every command is a subprocess of the installed CLI. After each fault the harness checks:

(a) results: a fixed list of queries (``search Q --json --limit 20``, ``seconds`` removed) is
    byte-identical to before when the live generation did not change; a generation published
    by the faulted run gives a clean run's results (up to the order of equal scores, which
    follows document numbers and so differs between two builds of the same corpus);
(b) processes: nothing of the killed reindex's session survives a short grace period (/proc),
    and the next reindex does not find the writer lock taken (exit 4);
(c) ``check`` agrees with the engine: check ok => every query succeeds; a failing query =>
    check said damaged (exit 5);
(d) the next incremental reindex exits 0 and (a)-(c) hold again; ``reindex --full`` repairs a
    damaged index;
(e) no "Traceback (most recent call last)" on any stderr.

A damage that check misses but that changes no result is counted "undetected", not failed, and
listed. Data: the first ``--docs`` SaudiNewsNet articles (``../shared``), or sentences of the
bundled sample page recombined. Everything is written under ``--work``, never in the project.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import ROOT, _record, write_jsonl
from searchapp import exitcodes as ec
from searchapp.faults import CRASH_ENV

SAMPLE = ROOT / "corpus" / "aawsat-page.txt"
DEFAULT_SNN = ROOT.parent / "shared" / "data" / "saudinewsnet"
TRACEBACK = "Traceback (most recent call last)"
GRACE = 2.0  # seconds a killed reindex's children get to exit
TIMEOUT = 300  # no command of the harness should come near this: past it, it hung
SIGNAL_MIN_DELAY = 0.5  # SIGTERM/SIGINT after interpreter start-up, which the app cannot guard
#: Made-up words put into the changed and the added records of the corpus's second version.
MARK_CHANGED = "زعفرانيات"
MARK_ADDED = "قرنفليات"
QUERIES = (
    "السعودية", "الرياض", "وزير الخارجية", "الملك سلمان", "النفط", "اليمن OR الحوثي",
    '"مجلس الوزراء"', "داعش -سوريا", "كرة القدم", "الهلال", "التعليم", "الصحة", "بوتين",
    "سوريا", "لبنان", "الرئيس", "مكة المكرمة", "الأمن", MARK_CHANGED, MARK_ADDED,
)
#: Why there is no "read-only remount during a reindex" case.
READ_ONLY_DURING = ("read-only during a run: not possible (the kernel refuses `remount,ro` with "
                    "EBUSY while a file is open for writing, and a reindex holds its lock file "
                    "open from start-up to exit)")
MODES = {"full": "--full", "first": "first build", "incremental": "incremental"}
SIGNALS = {signal.SIGKILL: "kill -9", signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT"}


# ----------------------------------------------------------------------------- corpus
def snn_records(path: Path, n: int) -> list[dict]:
    """The first ``n`` SaudiNewsNet articles as read by the product, as JSON records."""
    from searchapp.corpus import read_many

    articles = read_many([path], on_error=lambda e: None)
    return [_record(a) for a in itertools.islice(articles, n)]


def synthetic_records(n: int, seed: int) -> list[dict]:
    """``n`` articles made of the bundled sample page's sentences, recombined."""
    text = SAMPLE.read_text("utf-8")
    sentences = [s.strip() for line in text.splitlines()
                 for s in re.split(r"(?<=[.\u061f!])\s+", line) if len(s.split()) >= 5]
    rng = random.Random(seed)
    sources = ("aawsat", "okaz", "sabq", "alriyadh")
    return [{"id": f"syn-{i}", "title": rng.choice(sentences)[:120],
             "content": "\n\n".join(rng.sample(sentences, rng.randint(4, min(12, len(sentences))))),
             "source": sources[i % len(sources)], "date": f"2015-07-{1 + i % 28:02d}"}
            for i in range(n)]


def next_version(records: list[dict], seed: int) -> list[dict]:
    """The corpus after a day of news: 5% of the records changed, 3% added."""
    rng = random.Random(seed)
    out = [dict(r) for r in records]
    for i in rng.sample(range(len(out)), max(1, len(out) // 20)):
        out[i]["content"] += f"\n\nتحديث: {MARK_CHANGED} في التقرير."
    for n, r in enumerate(rng.sample(records, max(1, len(records) // 30))):
        out.append({**r, "id": f"added-{n}", "title": r["title"] + " (2)",
                    "content": r["content"] + f"\n\n{MARK_ADDED}"})
    return out


# ----------------------------------------------------------------------------- processes
def searchapp_command() -> list[str]:
    exe = Path(sys.executable).with_name("searchapp")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "searchapp.cli"]


@dataclass
class Run:
    rc: int
    out: str
    err: str
    seconds: float


class Spawned:
    """One CLI process in a session of its own; output goes to files, not pipes, so a
    surviving child that keeps them open cannot block the harness."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
        # closed by finish(), which every caller reaches (in a finally where it matters)
        self.files = [tempfile.TemporaryFile() for _ in range(2)]  # noqa: SIM115
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(searchapp_command() + args, cwd=cwd, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.files[0],
                                     stderr=self.files[1], start_new_session=True)
        self.pid = self.proc.pid

    def finish(self, timeout: float = TIMEOUT) -> Run:
        try:
            rc = self.proc.wait(timeout)
            note = ""
        except subprocess.TimeoutExpired:
            kill_session(self.pid)
            rc = self.proc.wait()
            note = f"\nharness: no exit after {timeout:.0f} s, killed (it hung)"
        seconds = time.perf_counter() - self.started
        out, err = (self._read(f) for f in self.files)
        return Run(rc, out, err + note, seconds)

    @staticmethod
    def _read(f) -> str:
        f.seek(0)
        text = f.read().decode("utf-8", "replace")
        f.close()
        return text


def cli(args: list[str], cwd: Path, timeout: float = TIMEOUT) -> Run:
    return Spawned(args, cwd).finish(timeout)


def session_members(sid: int) -> list[str]:
    """Live (non-zombie) processes whose process group or session is ``sid``, from /proc."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, _, pgrp, session = stat[stat.rindex(")") + 2:].split()[:4]
        if state != "Z" and sid in (int(pgrp), int(session)):
            found.append(f"pid {entry.name} ({cmd.strip()[:90]})")
    return found


def wait_session_gone(sid: int, grace: float = GRACE) -> list[str]:
    deadline = time.monotonic() + grace
    while (left := session_members(sid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_session(sid: int) -> None:
    """SIGKILL what is left of a session the harness started (its id is the leader's pid)."""
    if session_members(sid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(sid, signal.SIGKILL)
        wait_session_gone(sid, 5.0)


def signal_delay(sig: int, clean_seconds: float, rng: random.Random) -> float:
    """kill -9 anywhere in a clean run's duration; SIGTERM/SIGINT after start-up and before
    70% of it, so that most of these few runs find the reindex still working."""
    if sig == signal.SIGKILL:
        return rng.uniform(0.0, clean_seconds)
    return rng.uniform(SIGNAL_MIN_DELAY, max(SIGNAL_MIN_DELAY, 0.7 * clean_seconds))


# ----------------------------------------------------------------------------- results
@dataclass
class Answer:
    rc: int
    text: str | None  # the JSON without "seconds"; None when the query failed
    err: str


def answer(run: Run) -> Answer:
    if run.rc != 0:
        return Answer(run.rc, None, run.err)
    try:
        d = json.loads(run.out)
        d.pop("seconds", None)
    except ValueError:
        return Answer(run.rc, None, run.err + "\nharness: stdout is not JSON")
    return Answer(0, json.dumps(d, ensure_ascii=False), run.err)


def tie_free(text: str) -> str:
    """The answer with equal-score hits in id order, and ties cut by the page limit dropped."""
    d = json.loads(text)
    hits = sorted(d.pop("hits"), key=lambda h: (-h["score"], h["id"]))
    if hits and d["total"] > len(hits):
        low = hits[-1]["score"]
        d["cut_ties"] = sum(h["score"] == low for h in hits)
        hits = [h for h in hits if h["score"] != low]
    d["hits"] = hits
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


def differences(before: dict[str, Answer], after: dict[str, Answer], exact: bool) -> list[str]:
    def key(a: Answer) -> str | None:
        return a.text if exact or a.text is None else tie_free(a.text)
    return [q for q in before if key(before[q]) != key(after[q])]


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(nothing on stderr)"


def traceback_summary(err: str) -> str:
    """The innermost frame and the error of the last traceback in ``err``."""
    frames = [line.strip() for line in err.splitlines() if line.strip().startswith("File ")]
    where = frames[-1][:140] + ": " if frames else ""
    return where + last_line(err)


def live_name(index: Path) -> str | None:
    try:
        return (index / "CURRENT").read_text("utf-8", "replace").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def file_kind(name: str) -> str:
    """Whoosh's generated names (``MAIN_x.seg``, ``_MAIN_1.toc``) by extension, others by name."""
    if name.startswith(("MAIN_", "_MAIN_")) and "." in name:
        return "*" + name[name.index("."):]
    return name


@dataclass
class Outcome:
    row: str  # the table line it counts in
    name: str
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    undetected: bool = False

    def fail(self, msg: str) -> None:
        self.failures.append(msg)

    def no_traceback(self, stage: str, run: Run) -> None:
        if TRACEBACK in run.err:
            self.fail(f"(e) {stage}: traceback on stderr: {traceback_summary(run.err)}")

    @property
    def status(self) -> str:
        return "FAILED" if self.failures else "undetected" if self.undetected else "ok"


# ----------------------------------------------------------------------------- harness
class Harness:
    def __init__(self, work: Path, records: list[dict], *, queries: tuple[str, ...] = QUERIES,
                 seed: int = 13, on_outcome=None) -> None:
        self.work = work
        self.v1, self.v2 = records, next_version(records, seed)
        self.queries, self.seed = queries, seed
        self.on_outcome = on_outcome or (lambda o: None)  # called as each fault run ends
        self.corpus = work / "corpus"
        self.ref = work / "ref-v1" / "index"
        self.seconds: dict[str, float] = {}

    # -- commands -----------------------------------------------------------------------
    def use_corpus(self, records: list[dict]) -> None:
        self.corpus.mkdir(parents=True, exist_ok=True)
        write_jsonl(self.corpus / "news.jsonl", records)

    def reindex_args(self, index: Path, *extra: str) -> list[str]:
        return ["reindex", str(self.corpus), "--index", str(index), "-q", *extra]

    def reindex(self, index: Path, *extra: str) -> Run:
        return cli(self.reindex_args(index, *extra), self.work)

    def snapshot(self, index: Path) -> dict[str, Answer]:
        return self.check_and_snapshot(index, check=False)[1]

    def check_and_snapshot(self, index: Path, check: bool = True):
        """(check run or None, answers): all commands at once, one per core."""
        jobs = [["search", q, "--index", str(index), "--json", "--limit", "20"]
                for q in self.queries]
        if check:
            jobs.insert(0, ["check", "--index", str(index)])
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            runs = list(pool.map(lambda args: cli(args, self.work), jobs))
        chk = runs.pop(0) if check else None
        return chk, dict(zip(self.queries, map(answer, runs), strict=True))

    # -- references -----------------------------------------------------------------------
    def prepare(self) -> Outcome:
        """Clean first build, full rebuild and incremental run: timings and reference results."""
        out = Outcome("clean runs (reference)", "first build, --full, incremental")
        self.use_corpus(self.v1)
        first = self._clean(out, "first", self.ref)
        self.ref_gen, self.s1 = live_name(self.ref), self.snapshot(self.ref)
        broken = [q for q, a in self.s1.items() if a.text is None]
        if first.rc != 0 or broken:
            raise RuntimeError(f"a clean index fails: reindex exit {first.rc}, failing queries "
                               f"{broken}: {last_line(first.err)}")
        scratch = self.work / "ref-scratch" / "index"
        for mode, corpus in (("full", self.v1), ("incremental", self.v2)):
            shutil.rmtree(scratch.parent, ignore_errors=True)
            shutil.copytree(self.ref, scratch, symlinks=True)
            self.use_corpus(corpus)
            self._clean(out, mode, scratch, *(["--full"] if mode == "full" else []))
            snap = self.snapshot(scratch)
            if mode == "full" and (diff := differences(self.s1, snap, exact=False)):
                out.fail(f"a clean --full rebuild changes the results of {diff}")
            self.s2 = snap
        shutil.rmtree(scratch.parent, ignore_errors=True)
        if not differences(self.s1, self.s2, exact=True):
            out.fail("the corpus's second version changes no result: queries too weak")
        self.use_corpus(self.v1)
        return out

    def _clean(self, out: Outcome, mode: str, index: Path, *extra: str) -> Run:
        run = self.reindex(index, *extra)
        self.seconds[mode] = run.seconds
        out.no_traceback(f"clean {mode}", run)
        if run.rc != 0:
            out.fail(f"clean {mode} exits {run.rc}: {last_line(run.err)}")
        chk = cli(["check", "--index", str(index)], self.work)
        if chk.rc != 0:
            out.fail(f"check after a clean {mode} exits {chk.rc}: {last_line(chk.err)}")
        return run

    # -- shared checks ----------------------------------------------------------------------
    def inspect(self, out: Outcome, index: Path, stage: str, damaged: bool = False):
        """(c) and (e) on the index as it is: returns (live generation, check run, answers).

        With no index at all (a first build killed before publishing) check may say "missing"
        (exit 3) rather than damaged; a damaged CURRENT is damage all the same."""
        gen = live_name(index)
        chk, snap = self.check_and_snapshot(index)
        out.no_traceback(f"{stage}: check", chk)
        if traced := [q for q, a in snap.items() if TRACEBACK in a.err]:
            out.fail(f"(e) {stage}: {len(traced)} of {len(snap)} searches print a traceback, "
                     f"e.g. {traced[0]!r}: {last_line(snap[traced[0]].err)}")
        failing = [q for q, a in snap.items() if a.text is None]
        if failing:
            q = failing[0]
            example = f"e.g. {q!r} exits {snap[q].rc}: {last_line(snap[q].err)}"
            allowed = (ec.DAMAGED,) if gen or damaged else (ec.INPUT, ec.DAMAGED)
            if chk.rc == ec.OK:
                out.fail(f"(c) {stage}: check says ok but {len(failing)} queries fail, {example}")
            elif chk.rc not in allowed:
                want = " or ".join(map(str, allowed))
                out.fail(f"(c) {stage}: {len(failing)} queries fail ({example}) but check exits "
                         f"{chk.rc}, expected {want}: {last_line(chk.err)}")
        return gen, chk, snap

    def expect_live(self, out: Outcome, stage: str, state, before_gen: str | None,
                    before: dict[str, Answer] | None, new_ref: dict[str, Answer]) -> None:
        """(a) after a fault that must not harm the index: old results, or a clean run's."""
        gen, chk, snap = state
        if gen is None:
            if before_gen is not None:
                out.fail(f"(a) {stage}: CURRENT is gone (it named {before_gen})")
            return
        if chk.rc != ec.OK:
            out.fail(f"(c) {stage}: check exits {chk.rc} on the live generation {gen}: "
                     f"{last_line(chk.err)}")
        if gen == before_gen and before is not None:
            if diff := differences(before, snap, exact=True):
                out.fail(f"(a) {stage}: generation {gen} unchanged but {len(diff)} results "
                         f"differ: {diff[:3]}")
        elif diff := differences(new_ref, snap, exact=False):
            out.fail(f"(a) {stage}: new generation {gen} differs from a clean run in "
                     f"{len(diff)} results: {diff[:3]}")

    def next_run(self, out: Outcome, index: Path, stage: str, *extra: str) -> Run:
        """(b) lock released and (d) the next run completes."""
        run = self.reindex(index, *extra)
        out.no_traceback(stage, run)
        if run.rc == ec.LOCKED or "another reindex is writing" in run.err:
            out.fail(f"(b) {stage}: the writer lock is still held: exit {run.rc}: "
                     f"{last_line(run.err)}")
        elif run.rc != ec.OK:
            out.fail(f"(d) {stage} exits {run.rc}: {last_line(run.err)}")
        return run

    # -- fault 1: kills -----------------------------------------------------------------------
    def kill_runs(self, mode: str, runs: int, sig: int = signal.SIGKILL,
                  rng: random.Random | None = None) -> list[Outcome]:
        rng = rng or random.Random(self.seed)
        return [self.kill_once(mode, sig, signal_delay(sig, self.seconds[mode], rng), f"#{i + 1}")
                for i in range(runs)]

    def kill_once(self, mode: str, sig: int, delay: float, tag: str = "") -> Outcome:
        out = Outcome(f"{SIGNALS[sig]} {MODES[mode]}" if sig == signal.SIGKILL else SIGNALS[sig],
                      f"{SIGNALS[sig]} {MODES[mode]} {tag} at {delay:.2f} s")
        index = self.work / "run" / "index"
        shutil.rmtree(index.parent, ignore_errors=True)
        if mode == "first":
            index.mkdir(parents=True)
            before_gen, before, new_ref = None, None, self.s1
        else:
            shutil.copytree(self.ref, index, symlinks=True)
            before_gen, before = self.ref_gen, self.s1
            new_ref = self.s2 if mode == "incremental" else self.s1
        self.use_corpus(self.v2 if mode == "incremental" else self.v1)
        proc = Spawned(self.reindex_args(index, *(["--full"] if mode == "full" else [])),
                       self.work)
        try:
            time.sleep(delay)
            if proc.proc.poll() is not None:
                out.notes.append("finished before the signal")
            elif sig == signal.SIGINT:
                os.killpg(proc.pid, sig)  # Ctrl-C signals the whole foreground group
            else:
                os.kill(proc.pid, sig)
            run = proc.finish()
            out.no_traceback("killed reindex", run)
            if sig != signal.SIGKILL and run.rc == ec.INTERRUPTED and live_name(index) not in (
                    before_gen, None):
                out.notes.append(f"exit {ec.INTERRUPTED} with the new generation live "
                                 "(exitcodes.py: 'the previous index is still live')")
            if sig != signal.SIGKILL and run.rc not in (ec.OK, ec.INTERRUPTED):
                out.fail(f"{SIGNALS[sig]}: exit {run.rc}, expected {ec.INTERRUPTED} "
                         f"(or 0 when it had finished): {last_line(run.err)}")
            if left := wait_session_gone(proc.pid):
                out.fail(f"(b) {len(left)} processes of the killed reindex survive {GRACE:.0f} s:"
                         f" {'; '.join(left)}")
            state = self.inspect(out, index, "after the kill")
            self.expect_live(out, "after the kill", state, before_gen, before, new_ref)
            self.next_run(out, index, "next reindex")
            kill_session(proc.pid)  # survivors holding the lock would fail every later run
            again = self.inspect(out, index, "after the next reindex")
            if again[0] is None:
                out.fail("(d) after the next reindex: still no index")
            self.expect_live(out, "after the next reindex", again, state[0], state[2], new_ref)
        finally:
            kill_session(proc.pid)
        self.on_outcome(out)
        return out

    # -- fault 2: damaged files -----------------------------------------------------------------
    def damage_targets(self, rng: random.Random) -> tuple[dict[str, Path], list[str]]:
        """One file (relative to the index) per kind in the reference index, and empty files."""
        gen = self.ref / self.ref_gen
        files = [p for p in self.ref.iterdir() if p.is_file()]
        files += [p for p in gen.iterdir() if p.is_file()]
        kinds: dict[str, list[Path]] = {}
        empty = []
        for p in sorted(files):
            if p.stat().st_size == 0:
                empty.append(p.name)
            else:
                kinds.setdefault(file_kind(p.name), []).append(p.relative_to(self.ref))
        return {k: rng.choice(v) for k, v in sorted(kinds.items())}, empty

    def damage_runs(self, offsets: int = 3, repair: str = "all", hows=("half", "zero", "flip"),
                    rng: random.Random | None = None) -> tuple[list[Outcome], list[str]]:
        """Every kind of file, truncated to half, to 0 and with bytes flipped, in a copy."""
        rng = rng or random.Random(self.seed)
        targets, empty = self.damage_targets(rng)
        outcomes = []
        self.use_corpus(self.v1)
        for kind, rel in targets.items():
            size = (self.ref / rel).stat().st_size
            cases: list[tuple] = [(h,) for h in hows if h != "flip"]
            if "flip" in hows:
                cases += [("flip", off, rng.randrange(1, 256))
                          for off in sorted(rng.sample(range(size), min(offsets, size)))]
            for n, case in enumerate(cases):
                outcomes.append(self.damage_once(kind, rel, case, repair == "all" or n == 0))
        return outcomes, empty

    def damage_once(self, kind: str, rel: Path, case: tuple, repair: bool) -> Outcome:
        how = case[0] if case[0] != "flip" else f"flip byte {case[1]} (xor 0x{case[2]:02x})"
        out = Outcome(f"damage {kind}", f"{rel.name}: {how}")
        index = self.work / "damage" / "index"
        shutil.rmtree(index.parent, ignore_errors=True)
        shutil.copytree(self.ref, index, symlinks=True)
        path = index / rel
        data = path.read_bytes()
        if case[0] == "half":
            data = data[: len(data) // 2]
        elif case[0] == "zero":
            data = b""
        else:
            data = data[: case[1]] + bytes([data[case[1]] ^ case[2]]) + data[case[1] + 1:]
        path.write_bytes(data)
        _, chk, snap = self.inspect(out, index, "damaged", damaged=True)
        failing = [q for q, a in snap.items() if a.text is None]
        if chk.rc == ec.DAMAGED:
            wrong = [q for q in failing if snap[q].rc != ec.DAMAGED]
            if wrong:
                out.fail(f"search exits {snap[wrong[0]].rc} on the damaged index, expected "
                         f"{ec.DAMAGED}: {last_line(snap[wrong[0]].err)}")
        elif chk.rc == ec.OK and not failing:
            if diff := differences(self.s1, snap, exact=True):
                out.fail(f"(c) check says ok but {len(diff)} results changed silently: {diff[:3]}")
            else:
                out.undetected = True
        elif chk.rc != ec.OK and not failing:
            out.fail(f"check exits {chk.rc}, expected {ec.DAMAGED}: {last_line(chk.err)}")
        if repair:
            self.next_run(out, index, "reindex --full after the damage", "--full")
            state = self.inspect(out, index, "after reindex --full")
            if state[0] is None:
                out.fail("(d) reindex --full left no index")
            self.expect_live(out, "after reindex --full", state, None, None, self.s1)
        self.on_outcome(out)
        return out

    # -- faults 3 and 4: full and read-only disk -------------------------------------------------
    def disk_runs(self) -> tuple[list[Outcome], str | None]:
        """(outcomes, reason skipped). Needs root and tmpfs; always unmounts."""
        if os.geteuid() != 0:
            return [], "not running as root"
        capacity = int(tree_size(self.ref) * 0.6) // 4096 * 4096
        mnt = self.work / "tmpfs"
        mnt.mkdir(exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={capacity // 1024}k", "tmpfs",
                            str(mnt)], capture_output=True, text=True)
        if r.returncode:
            return [], f"mount -t tmpfs failed: {last_line(r.stderr)}"
        try:
            return self._disk(mnt, capacity)
        finally:
            if subprocess.run(["umount", str(mnt)], capture_output=True).returncode:
                subprocess.run(["umount", "-l", str(mnt)], capture_output=True)

    def _disk(self, mnt: Path, capacity: int) -> tuple[list[Outcome], str | None]:
        # An index that fits on the tmpfs twice over (so a rebuild of it fits), of a prefix of
        # the corpus; the whole corpus needs more than the tmpfs holds.
        small = self.work / "disk-small" / "index"
        n = max(10, len(self.v1) // 4)
        for _ in range(5):
            shutil.rmtree(small.parent, ignore_errors=True)
            self.use_corpus(self.v1[:n])
            if self.reindex(small).rc != 0:
                raise RuntimeError("clean reindex of the small corpus failed")
            if (size := tree_size(small)) <= 0.4 * capacity:
                break
            n = max(10, int(n * 0.3 * capacity / size))
        else:
            return [], f"no index of this corpus fits in 40% of {capacity} bytes"
        index = mnt / "index"
        shutil.copytree(small, index, symlinks=True)
        gen0, s0 = live_name(index), self.snapshot(index)
        self.use_corpus(self.v1)
        outcomes = [self.refused("disk full", "incremental run needing more space", index, gen0,
                                 s0),
                    self.refused("disk full", "reindex --full", index, gen0, s0, "--full")]
        remount = ["mount", "-o", "remount,ro", str(mnt)]
        if subprocess.run(remount, capture_output=True).returncode == 0:
            try:
                outcomes.append(self.refused("read-only", "remounted ro before the run", index,
                                             gen0, s0))
            finally:
                subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
        return outcomes, None

    def refused(self, row: str, name: str, index: Path, gen0: str, s0, *extra: str) -> Outcome:
        """A run the environment must refuse cleanly, leaving the index as it was."""
        out = Outcome(row, name)
        run = self.reindex(index, *extra)
        self.refusal_message(out, run)
        self.expect_unharmed(out, index, gen0, s0)
        self.on_outcome(out)
        return out

    def refusal_message(self, out: Outcome, run: Run) -> None:
        out.no_traceback("refused reindex", run)
        if run.rc != ec.ENVIRONMENT:
            out.fail(f"reindex exits {run.rc}, expected {ec.ENVIRONMENT}: {last_line(run.err)}")
        lines = [line for line in run.err.splitlines() if line.strip()]
        if len(lines) != 1:
            out.fail(f"stderr has {len(lines)} lines, expected a one-line message: "
                     f"{[line[:80] for line in lines[:3]]}")

    def expect_unharmed(self, out: Outcome, index: Path, gen0: str, s0) -> None:
        state = self.inspect(out, index, "after the refused run")
        if state[0] != gen0:
            out.fail(f"(a) the live generation moved from {gen0} to {state[0]}")
        self.expect_live(out, "after the refused run", state, gen0, s0, s0)
        if left := [p.name for p in index.glob("gen-*") if p.name != state[0]]:
            out.notes.append(f"unpublished generation left behind: {left}")


# ----------------------------------------------------------------------------- report
def table(outcomes: list[Outcome]) -> str:
    rows: dict[str, list[int]] = {}
    for o in outcomes:
        counts = rows.setdefault(o.row, [0, 0, 0, 0])
        counts[0] += 1
        counts[{"ok": 1, "FAILED": 2, "undetected": 3}[o.status]] += 1
    lines = ["| fault | runs | passed | failed | undetected |",
             "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {row} | {' | '.join(map(str, c))} |" for row, c in rows.items()]
    return "\n".join(lines)


def details(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        if o.failures or o.undetected:
            extra = f" ({'; '.join(o.notes)})" if o.notes else ""
            lines.append(f"- {o.status}: {o.name}{extra}")
            lines += [f"    {f}" for f in o.failures]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--saudinewsnet", default=str(DEFAULT_SNN),
                    help="directory of SaudiNewsNet .zip files (else a synthetic corpus)")
    ap.add_argument("--docs", type=int, default=3000, help="articles in the corpus")
    ap.add_argument("--runs", type=int, default=12, help="kill -9 runs of each kind")
    ap.add_argument("--signal-runs", type=int, default=2, help="SIGTERM and SIGINT runs each")
    ap.add_argument("--offsets", type=int, default=3, help="flipped-byte offsets per file kind")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--work", default=tempfile.gettempdir(), help="parent of the work directory")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--only", choices=("kill", "damage", "disk"))
    args = ap.parse_args(argv)
    base = Path(args.work).resolve()
    if base == ROOT or ROOT in base.parents:
        ap.error(f"--work {base} is inside the project; pick a directory outside it")
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="searchapp-faults-", dir=base))
    started = time.perf_counter()
    snn = Path(args.saudinewsnet)
    if snn.is_dir() and any(snn.glob("*.zip")):
        records, what = snn_records(snn, args.docs), f"SaudiNewsNet ({snn})"
    else:
        records, what = synthetic_records(args.docs, args.seed), f"synthetic (no data at {snn})"
    print(f"corpus: {len(records)} articles, {what}; work: {work}", flush=True)
    rng = random.Random(args.seed)
    def note(o: Outcome) -> None:
        extra = f" ({'; '.join(o.notes)})" if o.notes else ""
        print(f"  {o.status}: {o.name}{extra}" + "".join(f"\n    {f}" for f in o.failures),
              flush=True)

    h = Harness(work, records, seed=args.seed, on_outcome=note)
    notes: list[str] = []
    outcomes = [h.prepare()]

    try:
        print("clean runs: " + ", ".join(f"{m} {s:.1f} s" for m, s in h.seconds.items()),
              flush=True)
        if args.only in (None, "kill"):
            for mode in MODES:
                outcomes += h.kill_runs(mode, args.runs, signal.SIGKILL, rng)
            for sig in (signal.SIGTERM, signal.SIGINT):
                for i in range(args.signal_runs):
                    mode = ("full", "incremental")[i % 2]
                    delay = signal_delay(sig, h.seconds[mode], rng)
                    outcomes.append(h.kill_once(mode, sig, delay, f"#{i + 1}"))
        if args.only in (None, "damage"):
            damaged, empty = h.damage_runs(args.offsets, rng=rng)
            outcomes += damaged
            if empty:
                notes.append(f"not damaged (empty files): {', '.join(empty)}")
        if args.only in (None, "disk"):
            disk, skipped = h.disk_runs()
            outcomes += disk
            if skipped:
                print(f"disk-full: skipped ({skipped})")
                notes.append(f"disk-full: skipped ({skipped})")
            else:
                notes.append(READ_ONLY_DURING)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(outcomes))
    for n in notes:
        print(n)
    if text := details(outcomes):
        print("\nfailures and undetected damage:\n" + text)
    print("\nclean runs: " + ", ".join(f"{m} {s:.1f} s" for m, s in h.seconds.items())
          + f"; total {time.perf_counter() - started:.0f} s")
    return 1 if any(o.failures for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
