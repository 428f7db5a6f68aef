"""The sharded index on a Ray cluster: shard servers as Ray actors, shard builds as Ray tasks.

Ray (the ``cluster`` extra) does what a cluster manager does: it schedules the actors and
tasks, detects dead nodes and restarts dead actors (``max_restarts=-1``) and failed build
tasks (``max_retries``). This module only maps searchapp's pieces onto it:

- :class:`RayShards`, the coordinator's transport (:mod:`searchapp.coordinator`): each
  shard is served by ``replicas`` actors (:class:`searchapp.shardserver.ShardServer`),
  placed on different nodes when there are several (node affinity, soft: a replica whose
  node died is restarted elsewhere), or on nodes carrying the custom resources named in
  ``zones`` (replica r of shard i needs ``zones[(i + r) % len(zones)]``: a replica then
  only moves to a node of its zone). A call to a replica that fails or does not answer in
  ``timeout`` seconds is sent to the next replica within the same request; a replica that
  failed is skipped for ``backoff`` seconds (requests do not each wait for a dead node);
  a shard with no replica left is missing from the answer, which names it.
- :func:`build`: one Ray task per shard, each writing its shard where it is served (the
  index directory must be the same path on every node: a shared filesystem, or one
  machine), retried when it fails; ``cluster.json`` is published by the driver only when
  every shard's task succeeded.

Every node needs searchapp installed (``pip install 'searchapp[cluster]'``) and the index
directory at the same path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from searchapp import ranking
from searchapp.coordinator import ShardedEngine, ShardUnavailable
from searchapp.shards import ShardedReport, build_shard, plan_build, publish

log = logging.getLogger("searchapp.cluster")

#: Seconds a shard call may take before the next replica is asked.
CALL_TIMEOUT = 30.0
#: Seconds the actors may take to start and open their shards before the engine is used.
STARTUP_TIMEOUT = 300.0
#: Seconds a failed replica is skipped before it is tried again.
BACKOFF = 5.0


def _ray():
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("the cluster needs Ray: pip install 'searchapp[cluster]'") from e
    return ray


def connect(address: str | None = "auto", **init_kwargs: Any):
    """Join the Ray cluster at ``address`` (``auto``: the one this machine runs, else a new
    local one for this process), once per process."""
    ray = _ray()
    if not ray.is_initialized():
        if address == "auto":
            if os.environ.get("RAY_ADDRESS") or _running_here():
                ray.init(address="auto", logging_level=logging.WARNING, **init_kwargs)
            else:
                log.info("no Ray cluster running on this machine: starting a local one for "
                         "this process")
                ray.init(address="local", logging_level=logging.WARNING, **init_kwargs)
        else:
            ray.init(address=address, logging_level=logging.WARNING, **init_kwargs)
    return ray


def _running_here() -> bool:
    """Whether a Ray cluster runs on this machine (its GCS process): ``address="auto"``
    would otherwise retry for minutes on the address a stopped cluster left behind."""
    try:
        from ray._private.services import find_gcs_addresses
    except ImportError:  # pragma: no cover - a Ray without it: let Ray decide
        return True
    return bool(find_gcs_addresses())


_actor_class = None


def _shard_actor():
    """The Ray actor class of a shard server (defined once Ray is imported)."""
    global _actor_class
    if _actor_class is None:
        ray = _ray()
        from searchapp.shardserver import ShardServer

        class ShardActor(ShardServer):
            def node(self) -> str:
                return ray.get_runtime_context().get_node_id()

            def set_fault_delay(self, seconds: float) -> None:
                self.fault_delay = seconds

            def busy(self) -> int:
                return self.in_flight

            def memory(self) -> dict[str, int]:
                """This actor process's RssAnon and RssFile in bytes (/proc/self/status)."""
                out = {}
                with open("/proc/self/status") as f:
                    for line in f:
                        if line.startswith(("RssAnon:", "RssFile:")):
                            key, value = line.split(":", 1)
                            out[key] = int(value.split()[0]) * 1024
                return out

            def pid(self) -> int:
                return os.getpid()

        _actor_class = ray.remote(ShardActor)
    return _actor_class


class RayShards:
    """The coordinator's transport over Ray actors (see the module docstring)."""

    def __init__(self, root: str, shards: int, ranking_config: ranking.Ranking | None = None,
                 *, replicas: int = 1, zones: list[str] | None = None,
                 timeout: float = CALL_TIMEOUT, backoff: float = BACKOFF) -> None:
        ray = _ray()
        if replicas < 1:
            raise ValueError("replicas must be at least 1")
        self.ray = ray
        self.timeout, self.backoff = timeout, backoff
        self.replicas = replicas
        self.failovers = 0
        self._next = [0] * shards
        self._lock = threading.Lock()
        self._down: dict[tuple[int, int], float] = {}
        cls = _shard_actor()
        nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
        self.actors: list[list[Any]] = []
        for i in range(shards):
            row = []
            for r in range(replicas):
                opts: dict[str, Any] = {"max_restarts": -1, "max_concurrency": 8,
                                        "num_cpus": 0,
                                        "name": None}
                if zones:
                    opts["resources"] = {zones[(i + r) % len(zones)]: 0.001}
                elif len(nodes) > 1:
                    from ray.util.scheduling_strategies import (
                        NodeAffinitySchedulingStrategy,
                    )

                    opts["scheduling_strategy"] = NodeAffinitySchedulingStrategy(
                        nodes[(i + r) % len(nodes)], soft=True)
                opts.pop("name")
                row.append(cls.options(**opts).remote(root, i, ranking_config))
            self.actors.append(row)

    def _order(self, i: int) -> list[int]:
        """Replicas of shard ``i`` to try, round-robin, those in backoff last."""
        with self._lock:
            start = self._next[i]
            self._next[i] = (start + 1) % self.replicas
        order = [(start + k) % self.replicas for k in range(self.replicas)]
        now = time.monotonic()
        return sorted(order, key=lambda r: self._down.get((i, r), 0) > now)

    def _failed(self, i: int, r: int, err: BaseException) -> None:
        log.warning("shard-%03d replica %d failed (%s: %s)", i, r, type(err).__name__,
                    str(err).splitlines()[0] if str(err) else "")
        with self._lock:
            self._down[(i, r)] = time.monotonic() + self.backoff
            self.failovers += 1

    def gather(self, calls: dict[int, tuple], timeout: float | None = None
               ) -> dict[int, Any]:
        """Every call at once; each failure goes to the shard's next replica. ``timeout``:
        seconds a replica may take (default the transport's)."""
        ray = self.ray
        timeout = self.timeout if timeout is None else timeout
        plans = {i: self._order(i) for i in calls}
        pending: dict[int, tuple[int, Any]] = {}
        for i, (method, *args) in calls.items():
            r = plans[i].pop(0)
            pending[i] = (r, getattr(self.actors[i][r], method).remote(*args))
        out: dict[int, Any] = {}
        deadline = time.monotonic() + timeout
        while pending:
            for i in list(pending):
                r, ref = pending[i]
                try:
                    out[i] = ray.get(ref, timeout=max(0.01, deadline - time.monotonic()))
                    del pending[i]
                except Exception as e:  # RayActorError, ActorUnavailableError, GetTimeout
                    if not _is_ray_failure(e):
                        raise
                    if _is_timeout(e):
                        ray.cancel(ref, force=False)
                    self._failed(i, r, e)
                    if plans[i]:
                        r = plans[i].pop(0)
                        method, *args = calls[i]
                        pending[i] = (r, getattr(self.actors[i][r], method).remote(*args))
                        deadline = max(deadline, time.monotonic() + timeout)
                    else:
                        del pending[i]
                        out[i] = ShardUnavailable(f"shard-{i:03d}: no replica answered")
        return out

    def call(self, i: int, method: str, *args: Any) -> Any:
        got = self.gather({i: (method, *args)})[i]
        if isinstance(got, ShardUnavailable):
            raise got
        return got

    def close(self) -> None:
        for row in self.actors:
            for a in row:
                with contextlib.suppress(Exception):
                    self.ray.kill(a)
        self.actors = []


def _is_ray_failure(e: BaseException) -> bool:
    ray = _ray()
    return isinstance(e, ray.exceptions.RayActorError | ray.exceptions.GetTimeoutError
                      | ray.exceptions.ActorUnavailableError | ray.exceptions.TaskCancelledError
                      | ray.exceptions.ObjectLostError)


def _is_timeout(e: BaseException) -> bool:
    return isinstance(e, _ray().exceptions.GetTimeoutError)


def engine(index_dir: str | os.PathLike, ranking_config: ranking.Ranking | None = None, *,
           address: str | None = "auto", replicas: int = 1, zones: list[str] | None = None,
           timeout: float = CALL_TIMEOUT, background_swap: bool = False,
           startup_timeout: float = STARTUP_TIMEOUT) -> ShardedEngine:
    """A :class:`ShardedEngine` whose shards are served by Ray actors on the cluster at
    ``address`` (``auto``: this machine's, started when none runs), returned once every
    shard has opened its generation (or ``startup_timeout`` passed: those shards are then
    missing from answers until they are up)."""
    connect(address)
    eng = ShardedEngine(
        index_dir, ranking_config, background_swap=background_swap,
        transport=lambda root, n: RayShards(root, n, ranking_config, replicas=replicas,
                                            zones=zones, timeout=timeout))
    eng.warm(timeout=startup_timeout)
    return eng


def build(paths: Iterable[str | os.PathLike], index_dir: str | os.PathLike, shards: int, *,
          full: bool = False, source: str | None = None, address: str | None = "auto",
          retries: int = 2, allow_empty: bool = False,
          task_options: dict[str, Any] | None = None) -> ShardedReport:
    """Build or update a sharded index with one Ray task per shard, in parallel; a task that
    fails (its worker or node dies, or it raises) is retried ``retries`` times. The manifest
    is published only when every shard succeeded; otherwise the error is raised and the
    previous manifest, and every generation it names, stay as they were."""
    ray = connect(address)
    started = time.perf_counter()
    plan = plan_build(paths, index_dir, shards, full=full, source=source, procs=1)
    task = ray.remote(_build_task).options(max_retries=retries, retry_exceptions=True,
                                           num_cpus=1, **(task_options or {}))
    refs = [task.remote(plan, i) for i in range(shards)]
    reports = ray.get(refs)
    return publish(plan, reports, allow_empty=allow_empty, started=started)


def _build_task(plan, i: int):
    logging.basicConfig(level=logging.WARNING)
    return build_shard(plan, i)
