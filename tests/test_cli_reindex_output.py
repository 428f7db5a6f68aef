"""What `searchapp reindex` prints (issue 13 point 15): one line per rejected record, a summary
per reason, a message during the commit phase, `-q`, and log lines never glued to the bar."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from searchapp import exitcodes
from searchapp.cli import main
from tests.conftest import ROOT, write_jsonl

NO_BODY = "record without body text (crawl failure?)"
_LEVEL = re.compile(r"\b(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


def _good(n: int) -> list[dict]:
    return [{"id": f"g{i}", "title": f"عنوان الخبر {i}", "body": f"نص المقال رقم {i} عن سوريا"}
            for i in range(n)]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three good records and two without body in a.jsonl, a malformed line in b.jsonl."""
    folder = tmp_path / "c"
    write_jsonl(folder / "a.jsonl", [*_good(3), {"id": "e1", "title": "بلا نص", "body": ""},
                                     {"id": "e2", "title": "بلا نص أيضا", "body": ""}])
    (folder / "b.jsonl").write_text('{"id": "b1", "title": "عنوان", "body": "نص المقال"}\n'
                                    '{broken\n', "utf-8")
    return folder


def _run(runner, corpus: Path, index: Path, *args: str):
    return runner.invoke(main, ["reindex", str(corpus), "--index", str(index), *args])


def _lines_about(stderr: str, location: str) -> list[str]:
    """The stderr lines that report the record at ``location`` (``path:line: reason``)."""
    return [ln for ln in stderr.splitlines() if f"{location}: " in ln]


def test_each_rejected_record_is_one_warning_line(runner, corpus, tmp_path):
    result = _run(runner, corpus, tmp_path / "ix")
    assert result.exit_code == exitcodes.INPUT  # the malformed line: not read completely
    for loc in ("a.jsonl:4", "a.jsonl:5"):
        (line,) = _lines_about(result.stderr, loc)  # once: no second listing at the end
        assert _LEVEL.search(line).group() == "WARNING" and NO_BODY in line
    (line,) = _lines_about(result.stderr, "b.jsonl:2")
    # a record lost to unreadable bytes makes the run fail (exit 3): an error, logged once
    assert _LEVEL.search(line).group() == "ERROR" and "malformed JSON" in line
    assert "error: " not in result.stderr


def test_summary_gives_count_and_first_locations_per_reason(runner, corpus, tmp_path):
    result = _run(runner, corpus, tmp_path / "ix")
    lines = result.stderr.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("problems by reason"))
    summary = lines[start + 1:]
    (no_body,) = [ln for ln in summary if NO_BODY in ln]
    assert re.match(r"\s*2 × ", no_body)
    assert no_body.index("a.jsonl:4") < no_body.index("a.jsonl:5")
    (malformed,) = [ln for ln in summary if "malformed JSON record" in ln]
    assert re.match(r"\s*1 × ", malformed) and "b.jsonl:2" in malformed
    assert "3 problems" in lines[start] and "2 reasons" in lines[start]


def test_summary_shows_the_first_locations_and_how_many_more(runner, tmp_path):
    empty = [{"id": f"e{i}", "title": "بلا نص", "body": ""} for i in range(7)]
    src = write_jsonl(tmp_path / "c" / "a.jsonl", [*_good(2), *empty]).parent
    result = _run(runner, src, tmp_path / "ix", "-q")
    assert result.exit_code == 0, result.output
    (line,) = [ln for ln in result.stderr.splitlines() if ln.lstrip().startswith("7 × ")]
    assert "a.jsonl:3" in line and "a.jsonl:5" in line and "a.jsonl:6" not in line
    assert line.endswith("and 4 more")


def test_commit_phase_is_announced_and_timed(runner, corpus, tmp_path):
    result = _run(runner, corpus, tmp_path / "ix")
    lines = result.stderr.splitlines()
    writing = next(i for i, ln in enumerate(lines)
                   if "writing the index… (this can take a while)" in ln)
    assert _LEVEL.search(lines[writing]).group() == "INFO"
    assert any(re.search(r"index written in \d+\.\d s", ln) for ln in lines[writing + 1:])


def test_quiet_prints_warnings_errors_once_and_the_summary(runner, corpus, tmp_path):
    result = _run(runner, corpus, tmp_path / "ix", "-q")
    assert result.exit_code == exitcodes.INPUT
    assert not [ln for ln in result.stderr.splitlines() if " INFO " in ln], result.stderr
    for loc in ("a.jsonl:4", "a.jsonl:5", "b.jsonl:2"):
        assert len(_lines_about(result.stderr, loc)) == 1
    assert any(ln.startswith("problems by reason") for ln in result.stderr.splitlines())
    assert "added 4" in result.stdout  # the result line stays: scripts read it


def test_quiet_does_not_leak_into_the_next_command(runner, corpus, tmp_path):
    _run(runner, corpus, tmp_path / "ix", "-q")
    result = _run(runner, corpus, tmp_path / "ix2")
    assert "writing the index" in result.stderr


def _screen_lines(raw: str) -> list[str]:
    """What a terminal shows for ``raw``: each carriage return goes back to column 0 and
    the text after it overwrites the line (how tqdm redraws its bar)."""
    shown = []
    for line in raw.replace("\r\n", "\n").split("\n"):
        cells: list[str] = []
        col = 0
        for ch in line:
            if ch == "\r":
                col = 0
                continue
            if col < len(cells):
                cells[col] = ch
            else:
                cells.append(ch)
            col += 1
        shown.append("".join(cells).rstrip())
    return shown


def _run_on_terminal(args: list[str]) -> str:
    """stderr of the real CLI on a pseudo-terminal 120 columns wide, so tqdm draws its bar."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.Popen([sys.executable, "-m", "searchapp.cli", *args], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_log_lines_are_never_glued_to_the_progress_bar(corpus, tmp_path):
    raw = _run_on_terminal(["reindex", str(corpus), "--index", str(tmp_path / "ix")])
    shown = _screen_lines(raw)
    assert "indexing:" in raw, raw  # the bar was drawn
    logged = [ln for ln in shown if _LEVEL.search(ln)]
    assert any("a.jsonl:4" in ln for ln in logged), raw
    glued = [ln for ln in logged if "indexing:" in ln or "docs/s" in ln]
    assert glued == [], raw
    for loc in ("a.jsonl:4", "a.jsonl:5", "b.jsonl:2"):  # the real process: once each too
        assert len([ln for ln in shown if f"{loc}: " in ln]) == 1, raw


@pytest.mark.parametrize(("reason", "kind"), [
    ("record without body text (crawl failure?): rejected",
     "record without body text (crawl failure?)"),
    ("malformed JSON record: Expecting ',' delimiter at column 9", "malformed JSON record"),
    ("record 3 (offset 120): malformed JSON record: Extra data", "malformed JSON record"),
    ("duplicate id 4f3a with different content (first seen at /c/a.jsonl:4): dropped",
     "duplicate id … with different content"),
    ("unreadable date '2015-13-40' (expected ISO 8601)", "unreadable date '…'"),
    ("field 'title' must be a string or a list of strings",
     "field 'title' must be a string or a list of strings"),
])
def test_reasons_that_differ_only_in_values_count_as_one(reason, kind):
    from searchapp.progress import reason_kind

    assert reason_kind(reason) == kind


def test_by_reason_reads_located_and_file_level_problems():
    from searchapp.progress import by_reason

    groups = by_reason(["/c/a.zip!a.json:12: malformed JSON record: x",
                        "/c/b.jsonl: cannot read: [Errno 5] Input/output error",
                        "/c/a.zip!a.json:40: malformed JSON record: y"])
    assert [(g.reason, g.count, g.locations) for g in groups] == [
        ("malformed JSON record", 2, ["/c/a.zip!a.json:12", "/c/a.zip!a.json:40"]),
        ("cannot read", 1, ["/c/b.jsonl"])]
