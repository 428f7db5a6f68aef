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
import hashlib
import json
import os
import pickle
import shutil
import struct
import sys
import time
import zlib
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


#: What Whoosh (and our own readers) raise when index files are truncated or overwritten
#: (seen in the fault benchmark: struct and pickle errors, EOF, short reads, overflowing
#: varints in damaged postings). Programming errors (TypeError, ...) are not in the list, so a
#: bug is never reported as a damaged index.
CORRUPTION_ERRORS = (OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError,
                     UnicodeDecodeError, MemoryError, OverflowError)


class IndexError_(Exception):
    """Base class for problems with an index directory."""


class IndexMissing(IndexError_):
    """No index has been built at this path yet."""


class IndexVersionError(IndexError_):
    """The index was built by an incompatible analyzer or schema version."""


class IndexLocked(IndexError_):
    """Another reindex holds the writer lock."""


class IndexCorrupt(IndexError_):
    """The index files are damaged."""


def rebuild_command(index_dir: str | os.PathLike) -> str:
    """The exact command that rebuilds this index, with an absolute path to paste."""
    return f"searchapp reindex --full --index {os.path.abspath(index_dir)} PATH..."


def corrupt(path: str | os.PathLike, err: BaseException | str) -> IndexCorrupt:
    """The one-line "damaged, rebuild" error for the index containing ``path``."""
    path = Path(os.path.abspath(path))
    root = path.parent if path.name.startswith("gen-") else path
    what = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
    return IndexCorrupt(f"index at {path} is damaged ({what}); rebuild it with "
                        f"`{rebuild_command(root)}`")


@dataclass(frozen=True)
class Generation:
    """One complete, immutable-once-published version of the index."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def meta(self) -> dict:
        """meta.json; {} when missing (an unpublished generation). Raises IndexCorrupt when
        it cannot be parsed."""
        try:
            data = json.loads((self.path / META).read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (ValueError, *CORRUPTION_ERRORS) as e:
            raise corrupt(self.path, f"{META} unreadable: {e}") from None
        if not isinstance(data, dict):
            raise corrupt(self.path, f"{META} is not an object")
        return data

    def manifest(self) -> dict[str, list]:
        """id -> [content_hash, kind, origin file, title]: what reindex compares against.

        A published generation always has one: a missing or unreadable manifest is damage,
        never an empty index (reindex would otherwise add every article a second time)."""
        try:
            data = json.loads((self.path / MANIFEST).read_text("utf-8"))
        except FileNotFoundError:
            raise corrupt(self.path, f"{MANIFEST} is missing") from None
        except (ValueError, *CORRUPTION_ERRORS) as e:
            raise corrupt(self.path, f"{MANIFEST} unreadable: {e}") from None
        if not isinstance(data, dict) or not all(
            isinstance(v, list) and len(v) >= 3 for v in data.values()
        ):
            raise corrupt(self.path, f"{MANIFEST} has an unexpected shape")
        return data

    def files(self) -> dict[str, dict]:
        """name -> {"size", "sha256"} of every file published in this generation."""
        files = self.meta().get("files")
        return files if isinstance(files, dict) else {}

    def verify_sizes(self) -> None:
        """Cheap check at open: every published file exists with its recorded size.

        Truncation (a full disk during a copy, a half-restored backup) is the commonest damage
        and costs one stat per file to find; bit flips need the checksums (``check``)."""
        for name, info in self.files().items():
            try:
                size = os.stat(self.path / name).st_size
            except FileNotFoundError:
                raise corrupt(self.path, f"file {name} is missing") from None
            if size != info.get("size"):
                raise corrupt(self.path, f"file {name} has {size} bytes, "
                                         f"{info.get('size')} were written")


def current_name(index_dir: str | os.PathLike) -> str | None:
    """Name of the live generation (None when no index was ever published here).

    CURRENT is written atomically, so anything but the name of an existing generation
    directory in it is damage, reported as such (never taken for "no index", which would
    make ``serve`` build a new one over it)."""
    root = Path(index_dir)
    try:
        raw = (root / CURRENT).read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise corrupt(root, f"{CURRENT} is a directory") from None
    name = raw.decode("utf-8", "replace").strip()
    if not name.startswith("gen-") or "/" in name or not (root / name).is_dir():
        raise corrupt(root, f"{CURRENT} names no generation ({name[:60]!r})")
    return name


def index_exists(index_dir: str | os.PathLike) -> bool:
    """Whether an index was ever published at ``index_dir`` (damaged or not)."""
    return os.path.lexists(Path(index_dir) / CURRENT)


def document_count(index_dir: str | os.PathLike) -> int | None:
    """Documents in the live index per its manifest (None when there is no usable index)."""
    try:
        name = current_name(index_dir)
        if name is None:
            return None
        return len(Generation(Path(index_dir) / name).manifest()) or None
    except IndexError_:
        return None


def current_generation(index_dir: str | os.PathLike) -> Generation:
    """The live generation, checked for version compatibility and truncated files."""
    root = Path(index_dir)
    name = current_name(root)
    if name is None:
        raise IndexMissing(f"no index at {os.path.abspath(root)}: build one with "
                           f"`searchapp reindex PATH... --index {os.path.abspath(root)}`")
    gen = Generation(root / name)
    check_compatible(gen)
    gen.verify_sizes()
    return gen


def open_whoosh(path: str | os.PathLike):
    """The Whoosh index of one generation directory, for reading.

    Opened without mmap on purpose: Whoosh's compound-segment storage turns its mmap into a
    ``BytesIO`` *copy* for every file a reader opens, so each open reader held the whole
    segment (postings included) in anonymous memory: 1.1 GB per reader at 100 k articles, times
    threads + 1. Without mmap each reader reads through its own file handle (seek and read,
    served from the OS page cache), and holds only what it decodes.
    """
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(os.fspath(path), supports_mmap=False).open_index()


def check_compatible(gen: Generation) -> None:
    """Refuse an index whose analysis differs from ours: it would silently return wrong hits."""
    meta = gen.meta()
    if not meta:
        raise corrupt(gen.path, f"{META} is missing")
    got = (meta.get("analyzer_version"), meta.get("schema_version"))
    want = (ANALYZER_VERSION, SCHEMA_VERSION)
    if got != want:
        raise IndexVersionError(
            f"index at {os.path.abspath(gen.path.parent)} was built with analyzer version "
            f"{got[0]} and schema version {got[1]}, but this searchapp needs analyzer {want[0]} "
            f"and schema {want[1]}; rebuild it with `{rebuild_command(gen.path.parent)}`"
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


def file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def checksums(gen: Generation, base: Generation | None) -> dict[str, dict]:
    """Size and sha256 of every file of ``gen``: Whoosh keeps no checksums, so without these
    a flipped bit in a column (dates, lengths) silently changes rankings.

    Segment files are immutable and uniquely named, so a file hard-linked from ``base`` with
    the same size keeps the checksum recorded when it was written (never re-read from a file
    that may have been damaged since)."""
    known = base.files() if base is not None else {}
    out: dict[str, dict] = {}
    for f in sorted(gen.path.iterdir()):
        if not f.is_file() or f.name == META or f.name.endswith(".tmp") or (
                f.name.startswith("MAIN_WRITELOCK")):
            continue
        st = f.stat()
        old = known.get(f.name)
        if old is not None and old.get("size") == st.st_size and _same_file(
                st, base.path / f.name):  # still the hard link, not a rewritten file
            out[f.name] = old
        else:
            out[f.name] = {"size": st.st_size, "sha256": file_digest(f)}
    return out


def _same_file(st: os.stat_result, other: Path) -> bool:
    try:
        o = other.stat()
    except OSError:
        return False
    return (st.st_ino, st.st_dev) == (o.st_ino, o.st_dev)


def publish(index_dir: str | os.PathLike, gen: Generation, meta: dict, manifest: dict,
            base: Generation | None = None) -> None:
    """Make ``gen`` the live index: everything is on disk before CURRENT moves."""
    write_json_atomic(gen.path / MANIFEST, manifest)
    write_json_atomic(
        gen.path / META,
        {**meta, "analyzer_version": ANALYZER_VERSION, "schema_version": SCHEMA_VERSION,
         "files": checksums(gen, base)},
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


#: Lock descriptors this process holds. A forked child (Whoosh's writer processes, or any
#: multiprocessing worker) closes its copies at once: an flock belongs to the open file
#: description, so a child that outlives a killed parent would otherwise keep the index
#: locked forever.
_HELD_LOCKS: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


def lock_holders(index_dir: str | os.PathLike) -> list[int]:
    """Pids of processes that have the lock file open (from /proc; [] where unavailable)."""
    target = os.path.realpath(Path(index_dir) / LOCK)
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) == target:
                    pids.append(int(entry.name))
                    break
    return sorted(p for p in pids if p != os.getpid())


def _locked_message(root: Path, fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (ValueError, OSError):
        holder = {}
    pid = holder.get("pid")
    where = f"{os.path.abspath(root)}"
    if isinstance(pid, int) and _alive(pid):
        return (f"another reindex (pid {pid}, started {holder.get('started', '?')}) is writing "
                f"{where}; try again when it has finished, or pass --wait to queue behind it")
    others = lock_holders(root)
    return (f"the index {where} is locked by processes left over from a killed reindex "
            f"(pids {', '.join(map(str, others)) or 'unknown'}); stop them "
            f"(`kill {' '.join(map(str, others)) or 'PID'}`) and run the reindex again")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def writer_lock(index_dir: str | os.PathLike, wait: bool = False) -> Iterator[None]:
    """One writer at a time. The kernel releases the flock when the writer dies; the lock
    file records who holds it, so a busy lock names its holder (or its leftovers)."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    _HELD_LOCKS.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise IndexLocked(_locked_message(root, fd)) from None
        holder = json.dumps({"pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                             "argv": sys.argv[:8]})
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, holder.encode("utf-8"), 0)
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)
