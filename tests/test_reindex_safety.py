"""Crash safety, locking and damaged indexes: the previous index always keeps answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from searchapp import SearchEngine, exitcodes, reindex, storage
from searchapp.check import IndexCorrupt, check_index
from searchapp.cli import main
from searchapp.faults import CRASH_ENV
from tests.conftest import write_jsonl

ROOT = Path(__file__).resolve().parent.parent


def corpus(path: Path, n: int, word: str) -> Path:
    recs = [{"id": f"d{i}", "title": f"خبر رقم {i}", "source": "test",
             "body": f"{word} " + " ".join(f"كلمة{i % 97} نص{i % 13}" for _ in range(40))}
            for i in range(n)]
    return write_jsonl(path / "news.jsonl", recs)


def run_reindex(corpus_dir: Path, index: Path, env: dict | None = None,
                kill_after: float | None = None) -> int:
    cmd = [sys.executable, "-m", "searchapp.cli", "reindex", str(corpus_dir), "--index",
           str(index), "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=120)


@pytest.fixture
def old_index(tmp_path):
    """An index of 300 'old' documents, and a corpus whose next version is 'new'."""
    src, index = tmp_path / "src", tmp_path / "index"
    corpus(src, 300, "قديم")
    assert reindex([src], index).added == 300
    corpus(src, 600, "جديد")  # every document changes, 300 are added
    return src, index


def assert_old_results(index: Path) -> None:
    engine = SearchEngine(index)
    assert engine.search("قديم", snippets=False).total == 300
    assert engine.search("جديد", snippets=False).total == 0
    assert check_index(index).ok


@pytest.mark.parametrize("point", ["read:1", "read:450", "commit", "publish"])
def test_sigkill_at_each_phase_keeps_old_index_and_next_run_finishes(old_index, point):
    src, index = old_index
    assert run_reindex(src, index, env={CRASH_ENV: point}) == -signal.SIGKILL
    assert_old_results(index)
    report = reindex([src], index)
    assert report.updated == 300 and report.added == 300
    assert SearchEngine(index).search("جديد", snippets=False).total == 600
    gens = {p.name for p in index.glob("gen-*")}
    assert storage.current_name(index) in gens and len(gens) <= 2  # the crashed one is gone


def test_sigkill_after_swap_leaves_new_index_complete(old_index):
    src, index = old_index
    assert run_reindex(src, index, env={CRASH_ENV: "swapped"}) == -signal.SIGKILL
    assert SearchEngine(index).search("جديد", snippets=False).total == 600
    assert check_index(index).ok


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5])
def test_sigkill_at_random_moments(old_index, delay):
    src, index = old_index
    run_reindex(src, index, kill_after=delay)
    engine = SearchEngine(index)
    new = engine.search("جديد", snippets=False).total
    old = engine.search("قديم", snippets=False).total
    assert (old, new) in {(300, 0), (0, 600)}  # entirely old or entirely new, never a mix
    reindex([src], index)
    assert SearchEngine(index).search("جديد", snippets=False).total == 600


def test_full_rebuild_keeps_readers_answering(old_index):
    src, index = old_index
    engine = SearchEngine(index)
    seen: list[int] = []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            seen.append(engine.search("قديم OR جديد", snippets=False, facets=False).total)

    t = threading.Thread(target=read)
    t.start()
    try:
        reindex([src], index, full=True)
        time.sleep(0.05)
    finally:
        stop.set()
        t.join()
    assert seen and set(seen) <= {300, 600} and seen[-1] == 600


def test_wait_queues_behind_running_writer(tmp_path):
    src = corpus(tmp_path / "src", 5, "انتظار").parent
    index = tmp_path / "index"
    released = threading.Event()

    def hold():
        with storage.writer_lock(index):
            time.sleep(0.5)
        released.set()

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.1)
    with pytest.raises(storage.IndexLocked):
        reindex([src], index)
    report = reindex([src], index, wait=True)
    assert released.is_set() and report.added == 5
    t.join()


def _damage(index: Path) -> None:
    gen = storage.current_generation(index)
    victims = sorted(p for p in gen.path.iterdir() if p.suffix in (".seg", ".pst", ".trm"))
    assert victims
    for p in victims:
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 3])


def test_damaged_index_gives_clear_errors_from_search_and_check(tmp_path, runner):
    src, index = tmp_path / "src", tmp_path / "index"
    corpus(src, 50, "تلف")
    reindex([src], index)
    _damage(index)
    with pytest.raises(IndexCorrupt, match="reindex --full"):
        SearchEngine(index).search("تلف")
    report = check_index(index)
    assert not report.ok and "damaged" in report.problems[0]
    result = runner.invoke(main, ["check", "--index", str(index)])
    assert result.exit_code == exitcodes.DAMAGED
    result = runner.invoke(main, ["search", "تلف", "--index", str(index)])
    assert result.exit_code == exitcodes.DAMAGED and "reindex --full" in result.output


def test_check_passes_on_a_good_index(sample_index, runner):
    result = runner.invoke(main, ["check", "--index", str(sample_index)])
    assert result.exit_code == 0 and result.stdout.startswith("ok: 7 documents")
