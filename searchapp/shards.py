"""A sharded index: N ordinary index directories and one small manifest naming them.

Layout of a sharded index at DIR::

    DIR/cluster.json        the manifest: shard count, each shard's generation, the shared part
    DIR/shard-000/ ...      each an ordinary searchapp index (CURRENT, gen-*), one per shard
    DIR/shared-<time>/      what belongs to the whole index: title suggestions over all shards

An article lives in shard ``id_key(id) % N`` (:func:`searchapp.indexer.shard_of`): stable
across processes and machines, so an incremental reindex finds each article where it was.
Each shard is built by :func:`searchapp.indexer.reindex` with its own generations and atomic
publish; readers do not follow a shard's CURRENT but the generation ``cluster.json`` names,
and ``cluster.json`` is replaced (atomically, after every shard's new generation is complete)
only at the end of a build: a build that fails or is killed halfway leaves the previous
manifest and every generation it names in place (all-or-nothing). A change of the shard count
is a full rebuild of every shard.

Shards are built one after the other in this process (:func:`reindex_sharded`) or in
parallel as Ray tasks (``searchapp.cluster.build``); both call :func:`build_shard`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from searchapp import storage
from searchapp.corpus.boilerplate import Boilerplate
from searchapp.faults import crash_point
from searchapp.indexer import EmptyInput, ReindexReport, Shard, learn_boilerplate, reindex
from searchapp.suggest import write_suggestions

CLUSTER_FILE = "cluster.json"
FORMAT = "searchapp-sharded-index"
MAX_SHARDS = 1024

log = logging.getLogger("searchapp.shards")


@dataclass(frozen=True)
class ClusterManifest:
    """What ``cluster.json`` says: the shards and the generation of each that is served."""

    shards: int
    generations: tuple[str, ...]
    shared: str
    built_at: float = 0.0

    def shard_dirs(self, root: str | os.PathLike) -> list[Path]:
        return [shard_dir(root, i) for i in range(self.shards)]

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": 1, "shards": self.shards,
                "generations": list(self.generations), "shared": self.shared,
                "built_at": self.built_at}


def shard_dir(root: str | os.PathLike, i: int) -> Path:
    return Path(root) / f"shard-{i:03d}"


def shard_name(i: int) -> str:
    return f"shard-{i:03d}"


def is_sharded(index_dir: str | os.PathLike) -> bool:
    """Whether ``index_dir`` holds a sharded index (its manifest exists)."""
    return os.path.lexists(Path(index_dir) / CLUSTER_FILE)


def marker(index_dir: str | os.PathLike) -> tuple[int, int] | None:
    """Cheap change detector: (inode, mtime_ns) of the manifest, or None."""
    try:
        st = os.stat(Path(index_dir) / CLUSTER_FILE)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def read_manifest(index_dir: str | os.PathLike) -> ClusterManifest:
    """The manifest, checked: every generation it names exists. Raises
    :class:`storage.IndexMissing` or :class:`storage.IndexCorrupt`."""
    root = Path(index_dir)
    path = root / CLUSTER_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise storage.IndexMissing(
            f"no sharded index at {root.resolve()}: build one with `searchapp reindex "
            f"PATH... --index {root.resolve()} --shards N`") from None
    except (ValueError, OSError) as e:
        raise storage.corrupt(root, f"{CLUSTER_FILE} unreadable: {e}") from None
    try:
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}")
        m = ClusterManifest(int(data["shards"]), tuple(data["generations"]),
                            str(data["shared"]), float(data.get("built_at", 0)))
        if not 1 <= m.shards <= MAX_SHARDS or len(m.generations) != m.shards:
            raise ValueError("shard count and generations disagree")
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise storage.corrupt(root, f"{CLUSTER_FILE} has an unexpected shape ({e})") from None
    for i, gen in enumerate(m.generations):
        if not (shard_dir(root, i) / gen).is_dir():
            raise storage.corrupt(root, f"{CLUSTER_FILE} names {shard_name(i)}/{gen}, "
                                        "which does not exist")
    return m


def shard_generation(index_dir: str | os.PathLike, i: int, name: str) -> storage.Generation:
    """Generation ``name`` of shard ``i``, checked as a live generation is."""
    gen = storage.Generation(shard_dir(index_dir, i) / name)
    if not gen.path.is_dir():
        raise storage.corrupt(Path(index_dir), f"{shard_name(i)}/{name} is missing")
    storage.check_compatible(gen)
    gen.verify_sizes()
    return gen


@dataclass
class ShardedReport:
    """What a sharded reindex did: the sum of its shards' reports, and each of them."""

    shards: list[ReindexReport] = field(default_factory=list)
    published: bool = False
    full_rebuild: bool = False
    seconds: float = 0.0
    index: str = ""

    def _sum(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.shards)

    @property
    def added(self) -> int:
        return self._sum("added")

    @property
    def updated(self) -> int:
        return self._sum("updated")

    @property
    def unchanged(self) -> int:
        return self._sum("unchanged")

    @property
    def deleted(self) -> int:
        return self._sum("deleted")

    @property
    def documents(self) -> int:
        return self._sum("documents")

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.shards)

    def _first(self, name: str) -> list[str]:
        # Every shard read every input: the first shard's list is everyone's.
        return list(getattr(self.shards[0], name)) if self.shards else []

    @property
    def errors(self) -> list[str]:
        return self._first("errors")

    @property
    def skipped(self) -> list[str]:
        return self._first("skipped")

    @property
    def incomplete(self) -> list[str]:
        return self._first("incomplete")

    @property
    def files(self) -> int:
        return self.shards[0].files if self.shards else 0

    @property
    def empty_input(self) -> bool:
        return not self.published and self.documents == 0 and bool(self.shards)

    @property
    def input_problem(self) -> bool:
        return bool(self.incomplete) or self.empty_input

    @property
    def boilerplate(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.shards:
            for k, v in r.boilerplate.items():
                out[k] = out.get(k, 0) + v
        return out

    @property
    def generation(self) -> str:
        return ",".join(r.generation for r in self.shards)

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "errors": self.errors, "files": self.files,
                "skipped": self.skipped, "incomplete": self.incomplete,
                "published": self.published, "empty_input": self.empty_input,
                "boilerplate": self.boilerplate, "seconds": self.seconds,
                "index": self.index, "documents": self.documents,
                "shards": len(self.shards), "full_rebuild": self.full_rebuild,
                "shard_reports": [r.to_dict() for r in self.shards]}


@dataclass(frozen=True)
class BuildPlan:
    """Everything a shard build needs, picklable (a Ray task gets it as its argument)."""

    paths: tuple[str, ...]
    index_dir: str
    shards: int
    full: bool
    source: str | None
    boilerplate: Boilerplate | None
    serving: tuple[str | None, ...]
    procs: int | None = None


def build_shard(plan: BuildPlan, i: int,
                progress: Callable[[int], None] | None = None) -> ReindexReport:
    """Build (or update) shard ``i``: an ordinary reindex of the articles routed to it."""
    crash_point("shard", i)
    return reindex(list(plan.paths), shard_dir(plan.index_dir, i), full=plan.full,
                   wait=True, source=plan.source, progress=progress, procs=plan.procs,
                   shard=Shard(i, plan.shards, plan.boilerplate, plan.serving[i]))


def plan_build(paths: Iterable[str | os.PathLike], index_dir: str | os.PathLike, shards: int,
               *, full: bool = False, source: str | None = None,
               procs: int | None = None) -> BuildPlan:
    """Decide what a sharded reindex does: a full build (no index yet, ``full``, or a new
    shard count, said in the log) learns the boilerplate once over every input."""
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"--shards must be between 1 and {MAX_SHARDS}, not {shards}")
    root = Path(index_dir)
    if storage.index_exists(root):
        raise storage.IndexCorrupt(
            f"{root.resolve()} holds a single (unsharded) index; build the sharded index "
            "in another directory (or remove this one first)")
    paths = tuple(os.fspath(p) for p in paths)
    old: ClusterManifest | None = None
    if is_sharded(root):
        try:
            old = read_manifest(root)
        except storage.IndexCorrupt as e:
            if not full:
                raise
            log.warning("%s; rebuilding every shard", e)
    if old is not None and old.shards != shards:
        log.warning("the shard count changes from %d to %d: every shard is rebuilt from "
                    "scratch (articles move between shards)", old.shards, shards)
        full = True
    if old is None:
        full = True
    serving = tuple(old.generations[i] if old and i < old.shards and old.shards == shards
                    else None for i in range(shards))
    boiler = learn_boilerplate(list(paths), source) if full else None
    return BuildPlan(paths, os.fspath(root), shards, full, source, boiler, serving, procs)


def publish(plan: BuildPlan, reports: list[ReindexReport], *, allow_empty: bool = False,
            started: float | None = None) -> ShardedReport:
    """After every shard's build succeeded: write the shared part and the new manifest,
    then remove what no manifest names any more. Nothing is published when the inputs held
    no article at all (unless ``allow_empty``), as for one index."""
    root = Path(plan.index_dir)
    report = ShardedReport(shards=reports, full_rebuild=plan.full, index=plan.index_dir)
    if report.documents == 0 and not allow_empty:
        msg = ("no article found in the inputs: nothing published, the sharded index is "
               "unchanged (pass --allow-empty to empty it on purpose)")
        for r in reports:
            r.empty_input = True
        reports[0].errors.append(msg)
        log.error("%s", msg)
        report.seconds = round(time.perf_counter() - (started or time.perf_counter()), 3)
        return report
    old = read_manifest(root) if is_sharded(root) and not plan.full else None
    changed = old is None or plan.full or any(r.generation != g for r, g in
                                              zip(reports, old.generations, strict=True))
    if changed:
        shared = root / f"shared-{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}"
        shared.mkdir(parents=True)
        write_suggestions(shared, _titles(root, reports))
        crash_point("cluster-publish")
        manifest = ClusterManifest(plan.shards, tuple(r.generation for r in reports),
                                   shared.name, time.time())
        storage.write_json_atomic(root / CLUSTER_FILE, manifest.to_dict())
        report.published = True
        _remove_unnamed(root, manifest)
    report.seconds = round(time.perf_counter() - (started or time.perf_counter()), 3)
    return report


def _titles(root: Path, reports: list[ReindexReport]) -> Iterable[str]:
    for i, r in enumerate(reports):
        manifest = storage.Generation(shard_dir(root, i) / r.generation).manifest()
        for entry in manifest.values():
            if len(entry) > 3:
                yield entry[3]


def _remove_unnamed(root: Path, manifest: ClusterManifest) -> None:
    """Shared parts and shard directories the new manifest does not name (a smaller shard
    count leaves some). Old shard generations go with their shard's next reindex."""
    for p in root.glob("shared-*"):
        if p.is_dir() and p.name != manifest.shared:
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob("shard-*"):
        try:
            i = int(p.name.split("-", 1)[1])
        except ValueError:
            continue
        if i >= manifest.shards and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def reindex_sharded(paths: Iterable[str | os.PathLike], index_dir: str | os.PathLike,
                    shards: int, *, full: bool = False, source: str | None = None,
                    progress: Callable[[int], None] | None = None, procs: int | None = None,
                    allow_empty: bool = False) -> ShardedReport:
    """Build or update a sharded index in this process, shard after shard (the Python API of
    ``searchapp reindex --shards N``; on a Ray cluster ``searchapp.cluster.build`` builds the
    shards in parallel). ``progress`` gets the articles read so far over all shards."""
    started = time.perf_counter()
    plan = plan_build(paths, index_dir, shards, full=full, source=source, procs=procs)
    reports = []
    done = [0, 0]  # articles read by the shards before this one, by this one so far

    def step(n: int) -> None:
        done[1] = n
        progress(done[0] + n)  # type: ignore[misc]

    for i in range(shards):
        log.info("shard %d of %d", i + 1, shards)
        reports.append(build_shard(plan, i, step if progress is not None else None))
        done[0], done[1] = done[0] + done[1], 0
    return publish(plan, reports, allow_empty=allow_empty, started=started)


__all__ = ["CLUSTER_FILE", "BuildPlan", "ClusterManifest", "EmptyInput", "ShardedReport",
           "build_shard", "is_sharded", "plan_build", "publish", "read_manifest",
           "reindex_sharded", "shard_dir"]
