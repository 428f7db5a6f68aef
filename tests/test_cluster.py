"""The sharded index on a real multi-node Ray cluster (``ray.cluster_utils.Cluster``: a head
and two worker nodes on this machine, one CPU each, the workers labelled by the custom
resources ``zone-b`` and ``zone-c`` so that tests know where each replica lives).

Distributed build, search equal to the in-process sharded engine (itself equal to the single
index: tests/test_sharded.py), an actor killed mid-query (the replica answers, the result is
complete), a node removed (the answer is partial and names the shard; complete again once a
node of that zone is back) and a build task killed (retried; a build that keeps failing
publishes nothing and the previous manifest stays).
"""

from __future__ import annotations

import threading
import time

import pytest
import ray
from conftest import write_jsonl
from ray.cluster_utils import Cluster
from test_sharded import make_corpus

from searchapp import cluster as sc
from searchapp.coordinator import ShardedEngine
from searchapp.shards import read_manifest

ZONES = ["zone-b", "zone-c"]
SYSTEM = {"health_check_period_ms": 500, "health_check_failure_threshold": 3}


@pytest.fixture(scope="module")
def ray_cluster():
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "_system_config": SYSTEM})
    nodes = {z: c.add_node(num_cpus=1, resources={z: 1}) for z in ZONES}
    ray.init(address=c.address)
    c.wait_for_nodes()
    yield c, nodes
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    records = make_corpus(240, seed=3)
    write_jsonl(root / "c" / "news.jsonl", records)
    return root, records


def _queries(records) -> list[str]:
    return [" ".join(r["title"].split()[:2]) for r in records[::20]] + [
        f'"{records[5]["title"].split()[0]} {records[5]["title"].split()[1]}"', "ال*"]


def _page(res):
    return ([h.id for h in res.hits], [h.score for h in res.hits], res.total, res.facets,
            res.missing_shards)


@pytest.fixture(scope="module")
def built(ray_cluster, corpus):
    c, _ = ray_cluster
    root, records = corpus
    report = sc.build([root / "c"], root / "ix", 2, address=c.address)
    assert report.published and report.documents == len(records)
    return root / "ix"


def test_the_build_runs_as_ray_tasks_and_search_equals_the_in_process_engine(
        ray_cluster, corpus, built):
    c, _ = ray_cluster
    _, records = corpus
    local = ShardedEngine(built)
    eng = sc.engine(built, address=c.address, zones=ZONES, timeout=20)
    try:
        for q in _queries(records):
            assert _page(eng.search(q)) == _page(local.search(q)), q
        assert eng.suggest("ال") == local.suggest("ال")
        assert [h.id for h in eng.more_like_this(records[3]["id"])] == [
            h.id for h in local.more_like_this(records[3]["id"])]
        assert eng.get_article(records[7]["id"]) == local.get_article(records[7]["id"])
        nodes = [ray.get(row[0].node.remote()) for row in eng.transport.actors]
        assert len(set(nodes)) == 2  # one shard per zone, so per node
    finally:
        eng.close()


def test_an_actor_killed_mid_query_is_replaced_by_its_replica(ray_cluster, corpus, built):
    c, _ = ray_cluster
    _, records = corpus
    q = _queries(records)[0]
    want = _page(ShardedEngine(built).search(q))
    eng = sc.engine(built, address=c.address, zones=ZONES, replicas=2, timeout=20)
    try:
        row = eng.transport.actors[0]
        assert len({ray.get(a.node.remote()) for a in row}) == 2  # replicas on two nodes
        ray.get([a.set_fault_delay.remote(3.0) for a in row])
        out: dict = {}
        t = threading.Thread(target=lambda: out.setdefault("res", eng.search(q)))
        t.start()
        busy = None
        deadline = time.monotonic() + 15
        while busy is None and time.monotonic() < deadline:
            for a in row:
                if ray.get(a.busy.remote()) > 0:
                    busy = a
                    break
            time.sleep(0.1)
        assert busy is not None, "no replica of shard 0 got the query"
        ray.kill(busy, no_restart=False)
        t.join(60)
        assert _page(out["res"]) == want  # complete, from the other replica
        assert eng.transport.failovers >= 1
        # Ray restarts the killed actor: it answers again
        deadline = time.monotonic() + 60
        while True:
            try:
                assert ray.get(busy.ping.remote(), timeout=5) == 0
                break
            except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        eng.close()


def test_a_build_task_killed_is_retried(ray_cluster, corpus, tmp_path):
    c, _ = ray_cluster
    root, records = corpus
    once = tmp_path / "crashed-once"
    report = sc.build([root / "c"], tmp_path / "ix", 2, address=c.address, retries=2,
                      task_options={"runtime_env": {"env_vars": {
                          "SEARCHAPP_CRASH_AT": "commit", "SEARCHAPP_CRASH_ONCE": str(once)}}})
    assert once.exists()  # a task's worker really was killed at its commit
    assert report.published and report.documents == len(records)
    q = _queries(records)[1]
    assert _page(ShardedEngine(tmp_path / "ix").search(q)) == _page(
        ShardedEngine(root / "ix").search(q))


def test_a_build_that_keeps_failing_publishes_nothing(ray_cluster, corpus, tmp_path):
    c, _ = ray_cluster
    _root, records = corpus
    write_jsonl(tmp_path / "c" / "news.jsonl", records[:40])
    sc.build([tmp_path / "c"], tmp_path / "ix", 2, address=c.address)
    before = read_manifest(tmp_path / "ix")
    write_jsonl(tmp_path / "c" / "news.jsonl", records[:80])
    with pytest.raises(ray.exceptions.RayError):
        sc.build([tmp_path / "c"], tmp_path / "ix", 2, address=c.address, retries=1,
                 task_options={"runtime_env": {"env_vars": {"SEARCHAPP_CRASH_AT": "commit"}}})
    assert read_manifest(tmp_path / "ix") == before
    assert ShardedEngine(tmp_path / "ix").doc_count == 40


def test_a_removed_node_makes_the_answer_partial_until_it_returns(ray_cluster, corpus, built):
    """Runs last: it takes a node away (and brings one back)."""
    c, nodes = ray_cluster
    _, records = corpus
    q = _queries(records)[2]
    full = ShardedEngine(built).search(q)
    eng = sc.engine(built, address=c.address, zones=ZONES, replicas=1, timeout=5)
    try:
        assert _page(eng.search(q)) == _page(full)
        c.remove_node(nodes["zone-c"])  # shard-001 lives in zone-c (replica 0: zone 1)
        res = eng.search(q)
        assert res.missing_shards == ["shard-001"]
        assert res.total < full.total or full.total == 0
        assert {h.id for h in res.hits} <= {h.id for h in ShardedEngine(built).search(
            q, per_page=100).hits}
        nodes["zone-c"] = c.add_node(num_cpus=1, resources={"zone-c": 1})
        deadline = time.monotonic() + 90
        while True:
            time.sleep(1)
            res = eng.search(q)
            if not res.missing_shards:
                break
            assert time.monotonic() < deadline, "shard-001 never came back"
        assert _page(res) == _page(full)
    finally:
        eng.close()
