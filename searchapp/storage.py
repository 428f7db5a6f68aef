"""Where an index lives on disk, and how a new version replaces the old one atomically.

Layout of an index directory (``index/`` by default)::

    index/
      CURRENT            name of the live generation, replaced with os.replace (atomic)
      gen-<stamp>/       a complete Whoosh index + manifest.json + meta.json
      .lock              flock'ed by the one writer

A reindex writes a *new* generation (hard-linking the unchanged segment files of the live one,
which Whoosh never modifies in place) and only then points CURRENT at it. Readers therefore
see either the old index or the new one, never a half-written one, and a writer killed at any
moment leaves CURRENT on the previous, complete generation; the next writer removes leftovers.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from searchapp.analysis import ANALYZER_VERSION
from searchapp.faults import crash_point
from searchapp.schema import SCHEMA_VERSION

CURRENT = "CURRENT"
LOCK = ".lock"
META = "meta.json"
MANIFEST = "manifest.json"


class IndexError_(Exception):
    """Base class for problems with an index directory."""


class IndexMissing(IndexError_):
    """No index has been built at this path yet."""


class IndexVersionError(IndexError_):
    """The index was built by an incompatible analyzer or schema version."""


class IndexLocked(IndexError_):
    """Another reindex holds the writer lock."""


@dataclass(frozen=True)
class Generation:
    """One complete, immutable-once-published version of the index."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def meta(self) -> dict:
        try:
            return json.loads((self.path / META).read_text("utf-8"))
        except FileNotFoundError:
            return {}

    def manifest(self) -> dict[str, list]:
        """id -> [content_hash, kind, origin file, title]: what reindex compares against."""
        try:
            return json.loads((self.path / MANIFEST).read_text("utf-8"))
        except FileNotFoundError:
            return {}


def current_name(index_dir: str | os.PathLike) -> str | None:
    """Name of the live generation, without any compatibility check."""
    try:
        return (Path(index_dir) / CURRENT).read_text("utf-8").strip() or None
    except FileNotFoundError:
        return None


def document_count(index_dir: str | os.PathLike) -> int | None:
    """Documents in the live index per its manifest (None when there is no usable index)."""
    name = current_name(index_dir)
    if name is None:
        return None
    return len(Generation(Path(index_dir) / name).manifest()) or None


def current_generation(index_dir: str | os.PathLike) -> Generation:
    """The live generation, checked for version compatibility."""
    root = Path(index_dir)
    name = current_name(root)
    if name is None:
        raise IndexMissing(f"no index at {root}: build one with `searchapp reindex --index {root}`")
    gen = Generation(root / name)
    check_compatible(gen)
    return gen


def check_compatible(gen: Generation) -> None:
    """Refuse an index whose analysis differs from ours: it would silently return wrong hits."""
    meta = gen.meta()
    if not meta:
        raise IndexVersionError(
            f"index generation {gen.path} has no {META}: it is damaged or incomplete; "
            "rebuild it with `searchapp reindex --full`"
        )
    got = (meta.get("analyzer_version"), meta.get("schema_version"))
    want = (ANALYZER_VERSION, SCHEMA_VERSION)
    if got != want:
        raise IndexVersionError(
            f"index at {gen.path.parent} was built with analyzer version {got[0]} and schema "
            f"version {got[1]}, but this searchapp needs analyzer {want[0]} and schema {want[1]}; "
            "rebuild it with `searchapp reindex --full`"
        )


def current_marker(index_dir: str | os.PathLike) -> tuple[int, int] | None:
    """Cheap change detector for readers: (inode, mtime_ns) of CURRENT, or None."""
    try:
        st = os.stat(Path(index_dir) / CURRENT)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def new_generation(index_dir: str | os.PathLike, base: Generation | None) -> Generation:
    """Create an unpublished generation, hard-linking the files of ``base`` when given."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}"
    path.mkdir()
    if base is not None:
        for f in base.path.iterdir():
            if f.is_file() and not f.name.startswith("MAIN_WRITELOCK"):
                _link_or_copy(f, path / f.name)
    return Generation(path)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError as e:  # cross-device or a filesystem without hard links
        if e.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(src, dst)


def write_json_atomic(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def publish(index_dir: str | os.PathLike, gen: Generation, meta: dict, manifest: dict) -> None:
    """Make ``gen`` the live index: everything is on disk before CURRENT moves."""
    write_json_atomic(gen.path / MANIFEST, manifest)
    write_json_atomic(
        gen.path / META,
        {**meta, "analyzer_version": ANALYZER_VERSION, "schema_version": SCHEMA_VERSION},
    )
    _fsync_dir(gen.path)
    crash_point("publish")
    root = Path(index_dir)
    tmp = root / (CURRENT + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(gen.name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / CURRENT)
    _fsync_dir(root)
    crash_point("swapped")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(index_dir: str | os.PathLike, keep: set[str]) -> list[str]:
    """Delete generations that are not live (or explicitly kept): crashed or superseded runs."""
    root = Path(index_dir)
    removed = []
    for p in root.glob("gen-*"):
        if p.is_dir() and p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    with contextlib.suppress(FileNotFoundError):
        (root / (CURRENT + ".tmp")).unlink()
    return removed


@contextlib.contextmanager
def writer_lock(index_dir: str | os.PathLike, wait: bool = False) -> Iterator[None]:
    """One writer at a time. flock is released by the kernel when a killed writer dies."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise IndexLocked(
                f"another reindex is writing {root} right now; try again when it has finished "
                "(or pass --wait to queue behind it)"
            ) from None
        yield
    finally:
        os.close(fd)
