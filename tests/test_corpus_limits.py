"""Linear-time reading and the per-record cap, proven by counting work and memory, not time.

Quadratic reading shows up as text copied or rescanned once per extra chunk. The counters below
raise as soon as the work exceeds a linear bound, so a quadratic reader fails fast instead of
running for minutes.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

from searchapp.corpus import CorpusError, jsonscan, jsonstream, read
from searchapp.corpus.jsonstream import MAX_RECORD_BYTES, iter_json, iter_json_lines

CHUNK = 1 << 16


class _Budget:
    """Counts characters of work; raises once the linear bound is exceeded."""

    def __init__(self, limit: int) -> None:
        self.used, self.limit = 0, limit

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise AssertionError(f"work {self.used} exceeds the linear bound {self.limit}")


def _counting(kind: type, budget: _Budget) -> type:
    """A str/bytes subclass whose chunks count what concatenating onto them copies."""

    class Counted(kind):  # type: ignore[misc, valid-type]
        def __radd__(self, other):  # called for `text + chunk`, before str.__add__
            budget.spend(len(other))  # what was held before is copied again
            return kind(other) + kind(self)

    return Counted


def _rec(i: int, body: str = "نص") -> dict:
    return {"id": f"r{i}", "title": f"عنوان {i}", "body": body}


def _chunked(text, size: int = CHUNK, kind: type | None = None) -> Iterator:
    for i in range(0, len(text), size):
        piece = text[i:i + size]
        yield kind(piece) if kind else piece


def test_max_record_is_8_mib():
    assert MAX_RECORD_BYTES == 8 << 20 == jsonscan.MAX_RECORD_BYTES


def test_whitespace_between_records_costs_its_length_once():
    blank = 400 * CHUNK  # 26 MB of spaces: quadratic concatenation would copy ~3.4 TB
    budget = _Budget(4 * CHUNK)
    Counted = _counting(str, budget)

    def chunks() -> Iterator[str]:
        yield '[{"id": "a", "title": "أ", "body": "نص"},'
        space = Counted(" " * CHUNK)
        for _ in range(blank // CHUNK):
            yield space
        yield '{"id": "b", "title": "ب", "body": "نص"}' + " " * 10 + "]"

    errors: list[CorpusError] = []
    tracemalloc.start()
    got = [r[1]["id"] for r in iter_json(chunks(), "p.json", errors.append)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert got == ["a", "b"] and errors == []
    assert peak < 8 * CHUNK  # the window never held the whitespace run


class _CountingDecoder:
    """Stands in for jsonstream's decoder: counts the characters each call may scan."""

    def __init__(self, budget: _Budget) -> None:
        self.budget, self.real = budget, json.JSONDecoder()

    def raw_decode(self, s: str, idx: int = 0):
        self.budget.spend(len(s) - idx)
        return self.real.raw_decode(s, idx)


def _spanning_text() -> str:
    big = json.dumps(_rec(1, "نص طويل " * 250_000), ensure_ascii=False)  # 2 MB, 30+ chunks
    return f"[{big},\n{json.dumps(_rec(2))}]"


def test_record_spanning_many_chunks_is_decoded_once(monkeypatch):
    text = _spanning_text()
    budget = _Budget(4 * len(text))  # re-decoding per chunk would scan ~30x the record
    monkeypatch.setattr(jsonstream, "_decoder", _CountingDecoder(budget))
    errors: list[CorpusError] = []
    got = list(iter_json(_chunked(text), "p.json", errors.append))
    assert [(r[0], r[1]["id"]) for r in got] == [(1, "r1"), (2, "r2")] and errors == []


def test_scanner_reads_each_character_once(monkeypatch):
    text = _spanning_text()
    fed = _Budget(len(text) + CHUNK)
    real_feed = jsonscan.ValueScanner.feed

    def feed(self, chunk: str, i: int = 0):
        fed.spend(len(chunk) - i)
        return real_feed(self, chunk, i)

    monkeypatch.setattr(jsonscan.ValueScanner, "feed", feed)
    assert len(list(iter_json(_chunked(text), "p.json", lambda e: None))) == 2


def test_long_json_line_is_joined_once():  # UTF-16 lines: see the split_lines test below
    line = json.dumps(_rec(1, "x" * (100 * CHUNK)))  # 6.5 MB: 100 chunks, under the cap
    data = (line + "\n" + json.dumps(_rec(2)) + "\n").encode()
    budget = _Budget(4 * CHUNK)  # concatenation per chunk would copy ~330 MB
    chunks = _chunked(data, CHUNK, _counting(bytes, budget))
    errors: list[CorpusError] = []
    got = list(iter_json_lines(chunks, "utf-8", "p.jsonl", errors.append))
    assert [r[1]["id"] for r in got] == ["r1", "r2"] and errors == []


def test_split_lines_concatenates_nothing_per_chunk():
    budget = _Budget(0)
    Counted = _counting(str, budget)
    pieces = [Counted("a" * 100) for _ in range(1000)] + [Counted("\nb\n")]
    assert [len(x) for x in jsonscan.split_lines(pieces)] == [100_000, 1]


def test_oversize_json_line_is_skipped_without_being_held():
    cap = 1 << 20
    lines = [json.dumps(_rec(1)), json.dumps(_rec(2, "x" * (30 * cap))), json.dumps(_rec(3))]
    data = "\n".join(lines).encode()
    errors: list[CorpusError] = []
    tracemalloc.start()
    got = [r.value["id"] for r in
           iter_json_lines(_chunked(data), "utf-8", "p.jsonl", errors.append, cap)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert got == ["r1", "r3"]
    assert [str(e) for e in errors] == ["p.jsonl:2: record too large (30.0 MB > 1 MB): skipped"]
    assert errors[0].partial
    assert peak < 3 * cap


def test_oversize_array_record_is_skipped_without_being_held():
    cap = 1 << 20
    big = json.dumps(_rec(2, "x\n" * (10 * cap)))  # 30 MB of JSON, escaped newlines only
    text = (f'[\n{json.dumps(_rec(1))},\n{big},\n'
            f'{json.dumps(_rec(3))},\n\n{json.dumps(_rec(4))}]')
    errors: list[CorpusError] = []
    tracemalloc.start()
    got = list(iter_json(_chunked(text), "p.json", errors.append, cap))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(r.line, r.value["id"]) for r in got] == [(2, "r1"), (4, "r3"), (6, "r4")]
    assert [str(e) for e in errors] == ["p.json:3: record too large (30.0 MB > 1 MB): skipped"]
    assert errors[0].partial
    assert peak < 3 * cap


def test_default_cap_applies_through_read(tmp_path):
    assert jsonstream.MAX_RECORD_BYTES == 8 << 20  # the cap read() applies
    huge = "نص " * (3 << 20)  # 15 MB of UTF-8 in 9 Mi characters
    (tmp_path / "a.json").write_text(json.dumps([_rec(1, huge), _rec(2)], ensure_ascii=False),
                                     "utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps(_rec(3, huge)) + "\n" + json.dumps(_rec(4)),
                                      "utf-8")
    errors: list[CorpusError] = []
    assert [a.id for a in read(tmp_path, on_error=errors.append)] == ["r2", "r4"]
    assert [e.reason.split(" (")[0] for e in errors] == ["record 0", "record too large"]
    assert "record too large (" in errors[0].reason and "> 8 MB): skipped" in errors[0].reason
    assert all(e.partial for e in errors)


def test_unterminated_huge_record_ends_reading_with_one_error():
    cap = 1 << 20
    text = '[{"id": "a", "title": "t", "body": "b"},\n{"body": "' + "x" * (3 * cap)
    errors: list[CorpusError] = []
    assert [r.value["id"] for r in iter_json(_chunked(text), "p.json", errors.append, cap)] == [
        "a"]
    assert len(errors) == 1 and errors[0].line == 2 and errors[0].partial
    assert "unterminated JSON record (over 1 MB); rest of file skipped" in errors[0].reason


def test_errors_on_a_one_line_array_name_the_record():
    recs = [json.dumps(_rec(0)), '{"id": "x" "title": "y"}', json.dumps({"title": "no body"}),
            json.dumps(_rec(3))]
    text = "[" + ",".join(recs) + "]"
    errors: list[CorpusError] = []
    got = list(iter_json(_chunked(text, 7), "p.json", errors.append))
    assert [r.value.get("id") for r in got] == ["r0", None, "r3"]
    assert got[2].where == f"record 3 (offset {text.index(recs[3])})"
    bad = text.index(recs[1])
    assert str(errors[0]).startswith(f"p.json:1: record 1 (offset {bad}): malformed JSON record")
    assert errors[0].partial


def test_one_line_array_content_rejection_names_the_record(tmp_path):
    recs = [_rec(0), {"title": "no body"}]
    (tmp_path / "a.json").write_text(json.dumps(recs), "utf-8")
    errors: list[CorpusError] = []
    list(read(tmp_path / "a.json", on_error=errors.append))
    offset = json.dumps(recs).index('{"title": "no body"}')
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'a.json'}:1: record 1 (offset {offset}): record without body text "
        "(crawl failure?): rejected"]
    assert not errors[0].partial


def test_numbers_split_across_chunks_and_top_level_values():
    text = "12345678 [1, 2]\n" + "9" * 50 + ' "s"'
    got = [r.value for r in iter_json(_chunked(text, 3), "p.json", lambda e: None)]
    assert got == [12345678, [1, 2], int("9" * 50), "s"]


def _random_value(rng, depth: int = 0):
    if depth > 3 or rng.random() < 0.3:
        return rng.choice([1, -2.5, True, None, 'a"b\\', "\\", "x\ny", "\u0627\u0644", ""])
    if rng.random() < 0.5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f'k{i}\\"': _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_scanner_finds_the_decoder_end_across_any_chunking():
    import random

    rng = random.Random(7)
    for _ in range(2000):
        text = json.dumps(_random_value(rng), ensure_ascii=rng.random() < 0.5)
        if text[0] not in '{["':
            continue
        full = text + ' ,{"next": 1}'
        cuts = sorted(rng.sample(range(1, len(full)), min(len(full) - 1, rng.randint(0, 6))))
        scan, offset, end = jsonscan.ValueScanner(), 0, None
        for a, b in zip([0, *cuts], [*cuts, len(full)], strict=True):
            if (found := scan.feed(full[a:b])) is not None:
                end = offset + found
                break
            offset += b - a
        assert end == len(text), (full, cuts)
