"""Only regular files are read: a FIFO, socket or device named `*.json` is skipped, not opened."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from pathlib import Path

import pytest

from searchapp.corpus import CorpusError, read

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
RECORD = {"id": "r1", "title": "عنوان", "body": "نص"}


def _read_in_thread(path: Path, fifos: list[Path]) -> tuple[list, list[CorpusError], bool]:
    """read(path) in a thread; if it blocks in open() on a FIFO, give it a writer to unblock it
    so the test ends either way, and report that it hung."""
    out: list = []
    errors: list[CorpusError] = []
    worker = threading.Thread(target=lambda: out.extend(read(path, on_error=errors.append)),
                              daemon=True)
    worker.start()
    worker.join(timeout=10)
    hung = worker.is_alive()
    while worker.is_alive():
        for fifo in fifos:
            with contextlib.suppress(OSError):  # OSError: no reader is blocked on this one
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # EOF for the reader
        worker.join(timeout=1)
    return out, errors, hung


def test_fifo_in_directory_is_skipped_without_blocking(tmp_path, caplog):
    os.mkfifo(tmp_path / "a.json")
    (tmp_path / "b.json").write_text(json.dumps([RECORD], ensure_ascii=False), "utf-8")
    caplog.set_level(logging.WARNING, logger="searchapp.corpus")
    arts, errors, hung = _read_in_thread(tmp_path, [tmp_path / "a.json"])
    assert not hung, "read() blocked opening a FIFO"
    assert [a.id for a in arts] == ["r1"] and errors == []
    assert f"{tmp_path / 'a.json'}: not a regular file, skipped" in caplog.messages


def test_fifo_given_directly_and_symlinks(tmp_path, caplog):
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "real.json").write_text(json.dumps([RECORD], ensure_ascii=False), "utf-8")
    links = tmp_path / "links"
    links.mkdir()
    (links / "to-real.json").symlink_to(tmp_path / "real.json")  # fine: a regular file
    (links / "to-pipe.jsonl").symlink_to(tmp_path / "pipe.jsonl")
    if os.path.exists("/dev/zero"):
        (links / "to-dev.json").symlink_to("/dev/zero")  # would read zeros for ever
    caplog.set_level(logging.WARNING, logger="searchapp.corpus")
    arts, errors, hung = _read_in_thread(tmp_path / "pipe.jsonl", [tmp_path / "pipe.jsonl"])
    assert not hung and arts == [] and errors == []
    arts, errors, hung = _read_in_thread(links, [tmp_path / "pipe.jsonl"])
    assert not hung and [a.id for a in arts] == ["r1"] and errors == []
    skipped = [m for m in caplog.messages if m.endswith("not a regular file, skipped")]
    assert len(skipped) == 2 + os.path.exists("/dev/zero")


def test_socket_is_skipped(tmp_path, caplog):
    path = tmp_path / "s.json"
    if len(str(path)) > 100:
        pytest.skip("socket path too long")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        caplog.set_level(logging.WARNING, logger="searchapp.corpus")
        errors: list[CorpusError] = []
        assert list(read(tmp_path, on_error=errors.append)) == []
    assert errors == [] and any("not a regular file" in m for m in caplog.messages)
