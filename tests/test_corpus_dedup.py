"""Repeated ids: identical repeats are routine, a repeat with other content is reported."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from searchapp.corpus import CorpusError, read_many


def _jsonl(path: Path, *records: dict) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    return path


def test_same_id_different_content_is_reported_not_partial(tmp_path, caplog):
    first = {"id": "s1", "title": "قصة", "body": "النص الأول"}
    other = {"id": "s1", "title": "قصة", "body": "نص آخر"}
    a = _jsonl(tmp_path / "a.jsonl", {"id": "s0", "title": "t", "body": "b"}, first)
    b = _jsonl(tmp_path / "b.jsonl", first, {"id": "s2", "title": "t", "body": "b"}, other)
    caplog.set_level(logging.DEBUG, logger="searchapp.corpus")
    errors: list[CorpusError] = []
    got = [(x.id, x.paragraphs[0]) for x in read_many([a, b], on_error=errors.append)]
    assert got == [("s0", "b"), ("s1", "النص الأول"), ("s2", "b")]  # the first one wins
    assert [str(e) for e in errors] == [
        f"{b}:3: duplicate id s1 with different content (first seen at {a}:2): dropped"]
    assert not errors[0].partial
    # the identical repeat (b.jsonl:1) is only a debug line
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and "duplicate id" in
             r.getMessage()]
    assert len(debug) == 1 and f"{b}:1" in debug[0].getMessage()


def test_date_offset_counts_as_different_content(tmp_path):
    a = _jsonl(tmp_path / "a.jsonl", {"id": "s1", "title": "t", "body": "b",
                                      "date": "2015-07-22T00:00:00+03:00"},
               {"id": "s1", "title": "t", "body": "b", "date": "2015-07-21T21:00:00+00:00"})
    errors: list[CorpusError] = []
    assert len(list(read_many([a], on_error=errors.append))) == 1
    assert len(errors) == 1  # same instant, but content_hash differs: so does the digest


def test_teaser_rules_are_kept(tmp_path):
    teaser = {"id": "s1", "kind": "teaser", "title": "قصة", "body": "ملخص"}
    other_teaser = {"id": "s1", "kind": "teaser", "title": "قصة", "body": "ملخص آخر"}
    full = {"id": "s1", "title": "قصة", "body": "نص كامل"}
    errors: list[CorpusError] = []
    a = _jsonl(tmp_path / "a.jsonl", teaser, full, teaser)
    assert [x.kind for x in read_many([a], on_error=errors.append)] == ["teaser", "article"]
    assert errors == []  # an article replacing its teaser, a teaser after its article: routine
    b = _jsonl(tmp_path / "b.jsonl", teaser, other_teaser)
    assert [x.kind for x in read_many([b], on_error=errors.append)] == ["teaser"]
    assert len(errors) == 1 and "different content" in errors[0].reason
