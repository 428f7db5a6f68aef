"""Reindex: report, incremental updates, atomic generations, version checks, locking."""

import json

import pytest

from searchapp import SearchEngine, reindex, storage
from tests.conftest import SAMPLE, write_jsonl


def rec(i: int, body: str = "نص المقال عن الاقتصاد") -> dict:
    return {"id": f"a{i}", "title": f"عنوان رقم {i}", "body": body, "source": "test",
            "date": f"2025-03-{i + 1:02d}"}


def test_sample_report_counts(tmp_path):
    report = reindex([SAMPLE], tmp_path / "index")
    assert (report.added, report.updated, report.deleted, report.errors) == (7, 0, 0, [])
    assert report.documents == 7 and report.seconds > 0


def test_incremental_add_update_unchanged_delete(tmp_path):
    corpus, index = tmp_path / "c", tmp_path / "i"
    write_jsonl(corpus / "x.jsonl", [rec(1), rec(2), rec(3)])
    assert reindex([corpus], index).added == 3

    again = reindex([corpus], index)
    assert (again.added, again.updated, again.unchanged, again.deleted) == (0, 0, 3, 0)

    write_jsonl(corpus / "x.jsonl", [rec(1), rec(2, "نص جديد عن الرياضة"), rec(4)])
    r = reindex([corpus], index)
    assert (r.added, r.updated, r.unchanged, r.deleted) == (1, 1, 1, 1)
    engine = SearchEngine(index)
    assert {h.id for h in engine.search("الرياضة").hits} == {"a2"}
    assert engine.get_article("a3") is None and engine.get_article("a4") is not None


def test_full_rebuild_replaces_generation_and_keeps_results(tmp_path):
    corpus, index = tmp_path / "c", tmp_path / "i"
    write_jsonl(corpus / "x.jsonl", [rec(1), rec(2)])
    first = reindex([corpus], index)
    second = reindex([corpus], index, full=True)
    assert second.added == 2 and second.generation != first.generation
    assert SearchEngine(index).search("الاقتصاد").total == 2


def test_reader_switches_to_new_generation_without_restart(tmp_path):
    corpus, index = tmp_path / "c", tmp_path / "i"
    write_jsonl(corpus / "x.jsonl", [rec(1)])
    reindex([corpus], index)
    engine = SearchEngine(index)
    assert engine.search("الاقتصاد").total == 1
    write_jsonl(corpus / "y.jsonl", [rec(2)])
    reindex([corpus], index)
    assert engine.search("الاقتصاد").total == 2


def test_version_mismatch_says_how_to_fix(tmp_path):
    index = tmp_path / "i"
    reindex([SAMPLE], index)
    gen = storage.current_generation(index)
    meta = json.loads((gen.path / storage.META).read_text())
    meta["analyzer_version"] = -1
    (gen.path / storage.META).write_text(json.dumps(meta))
    with pytest.raises(storage.IndexVersionError, match=r"reindex --full"):
        SearchEngine(index)


def test_second_writer_fails_fast(tmp_path):
    index = tmp_path / "i"
    with storage.writer_lock(index), pytest.raises(storage.IndexLocked, match="--wait"):
        reindex([SAMPLE], index)


def test_leftover_generation_from_a_crash_is_cleaned(tmp_path):
    index = tmp_path / "i"
    reindex([SAMPLE], index)
    (index / "gen-crashed").mkdir()
    (index / "gen-crashed" / "junk").write_text("x")
    reindex([SAMPLE], index, full=True)
    assert not (index / "gen-crashed").exists()
    assert SearchEngine(index).search("بوتين").total >= 1
