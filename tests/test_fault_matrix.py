"""The fault-injection harness (``benchmarks/faults.py``) on a small synthetic corpus.

Fewer runs than the benchmark: three kills of a full build and three of an incremental run at
seeded random moments, and every kind of index file truncated to half, to zero and with one
flipped byte. Every check must pass; "undetected" damage (check ok, results unchanged) is
allowed, as in the benchmark, and printed. Each command is a real ``searchapp`` subprocess.
"""

from __future__ import annotations

import random
import signal

import pytest

from benchmarks.faults import MARK_ADDED, MARK_CHANGED, Harness, Outcome, synthetic_records

QUERIES = ("الرئيس OR بوتين", f"{MARK_CHANGED} OR {MARK_ADDED}")
SEED = 13


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Harness:
    h = Harness(tmp_path_factory.mktemp("faults"), synthetic_records(300, SEED),
                queries=QUERIES, seed=SEED)
    reference = h.prepare()
    assert not reference.failures, reference.failures
    return h


def report(outcomes: list[Outcome]) -> str:
    return "\n".join(f"{o.name}:\n  " + "\n  ".join(o.failures)
                     for o in outcomes if o.failures)


@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_sigkill_at_random_moments(harness, mode):
    outcomes = harness.kill_runs(mode, 3, signal.SIGKILL, random.Random(SEED))
    assert not any(o.failures for o in outcomes), report(outcomes)


def test_damage_of_every_file_kind(harness):
    outcomes, _ = harness.damage_runs(offsets=1, repair="first", rng=random.Random(SEED))
    kinds = {o.row for o in outcomes}
    assert {"damage *.seg", "damage *.toc", "damage CURRENT", "damage meta.json",
            "damage manifest.json"} <= kinds
    for o in outcomes:
        if o.undetected:
            print(f"undetected: {o.name}")
    assert not any(o.failures for o in outcomes), report(outcomes)
