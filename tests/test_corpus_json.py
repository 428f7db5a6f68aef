"""JSON arrays, JSON Lines, gzip and zip: field aliases, streaming, and bad records."""

from __future__ import annotations

import gzip
import json
import logging
import tracemalloc
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from searchapp.corpus import CorpusError, read
from searchapp.corpus.jsonstream import iter_json, iter_json_lines
from searchapp.corpus.records import split_paragraphs

SNN = {"source": "aawsat", "url": "http://aawsat.com/home/article/1", "title": "عنوان",
       "date_extracted": "2015-07-22 00:05:53", "author": "القاهرة: «الشرق الأوسط»",
       "content": "فقرة أولى.\nفقرة ثانية."}


def _read(path: Path, **kw) -> tuple[list, list[CorpusError]]:
    errors: list[CorpusError] = []
    return list(read(path, on_error=errors.append, **kw)), errors


def _rec(i: int, **extra) -> dict:
    return {"id": f"r{i}", "title": f"عنوان {i}", "body": f"نص {i}", **extra}


def test_saudinewsnet_record(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([SNN], ensure_ascii=False), "utf-8")
    (art,), errors = _read(tmp_path / "a.json")
    assert errors == []
    assert art.paragraphs == ["فقرة أولى.", "فقرة ثانية."]
    assert art.date == datetime(2015, 7, 22, 0, 5, 53)
    assert (art.source, art.author, art.kind) == ("aawsat", "القاهرة: «الشرق الأوسط»", "article")
    assert art.id.startswith("u") and art.origin.endswith("a.json:1")


def test_field_aliases_and_captions(tmp_path):
    recs = [{"title": "أ", "text": "نص", "published": "2024-03-01T10:00:00Z",
             "captions": ["صورة (أ.ب)", {"text": "أخرى", "credit": ""}], "section": "الخليج",
             "subtitle": "فرعي", "location": "جدة", "id": 7},
            {"title": "ب", "body": ["  سطر  ", "", "ثان"], "date": "2024-03-01T10:00:00+03:00"}]
    (tmp_path / "a.json").write_text(json.dumps(recs, ensure_ascii=False), "utf-8")
    (a, b), errors = _read(tmp_path / "a.json")
    assert errors == []
    assert a.id == "7" and a.paragraphs == ["نص"] and a.date.tzinfo is not None
    assert [(c.text, c.credit) for c in a.captions] == [("صورة", "أ.ب"), ("أخرى", "")]
    assert (a.section, a.subtitle, a.location) == ("الخليج", "فرعي", "جدة")
    assert b.paragraphs == ["سطر", "ثان"]
    assert b.date.utcoffset() == timedelta(hours=3)
    assert b.id.startswith("t")


def test_split_paragraphs_blank_lines_first():
    assert split_paragraphs("أ\nب\n\nج\n \nد") == ["أ ب", "ج", "د"]
    assert split_paragraphs("أ\nب\r\nج") == ["أ", "ب", "ج"]


def test_single_object_file_and_source_default(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(_rec(1)), "utf-8")
    (art,), _ = _read(tmp_path / "one.json", source="saudinewsnet")
    assert art.source == "saudinewsnet"
    (tmp_path / "own.json").write_text(json.dumps(_rec(2, source="okaz")), "utf-8")
    (art,), _ = _read(tmp_path / "own.json", source="saudinewsnet")
    assert art.source == "okaz"  # a record's own source wins


def test_malformed_array_record_reported_with_start_line_others_load(tmp_path):
    text = ('[\n  {"id": "a", "title": "أ", "body": "نص"},\n'
            '  {"id": "b", "title": "ب" "body": "نص"},\n'  # missing comma: line 3
            '  {"id": "c", "title": "ج",\n   "body": "نص"},\n'
            '  "not an object",\n'  # line 6
            '  {"id": "d", "title": "د", "body": ""},\n'  # no body: line 7
            '  {"id": "e", "title": "ه", "body": "نص", "date": "yesterday"}\n]\n')
    (tmp_path / "a.json").write_text(text, "utf-8")
    arts, errors = _read(tmp_path / "a.json")
    assert [a.id for a in arts] == ["a", "c", "e"]
    assert arts[1].origin.endswith("a.json:4")
    assert arts[2].date is None  # bad date: record kept, error reported
    assert [e.line for e in errors] == [3, 6, 7, 8]
    assert str(errors[0]).startswith(f"{tmp_path / 'a.json'}:3: malformed JSON record")
    assert "not an object" in errors[1].reason
    assert "without body text" in errors[2].reason
    assert "date" in errors[3].reason


def test_truncated_array_keeps_complete_records(tmp_path):
    (tmp_path / "a.json").write_text('[{"title": "أ", "body": "نص"},\n{"title": "ب", "bo', "utf-8")
    arts, errors = _read(tmp_path / "a.json")
    assert [a.title for a in arts] == ["أ"]
    assert len(errors) == 1 and errors[0].line == 2 and "unterminated" in errors[0].reason


def test_json_lines_bad_line_reported_with_its_number(tmp_path):
    lines = [json.dumps(_rec(1)), "", "{broken", json.dumps(_rec(2)), "[1, 2]"]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    arts, errors = _read(tmp_path / "a.jsonl")
    assert [a.id for a in arts] == ["r1", "r2"]
    assert arts[1].origin.endswith("a.jsonl:4")
    assert [e.line for e in errors] == [3, 5]


def test_gzip_and_zip(tmp_path, caplog):
    with gzip.open(tmp_path / "a.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps(_rec(1)) + "\n")
    with gzip.open(tmp_path / "b.json.gz", "wt", encoding="utf-8") as f:
        json.dump([_rec(2)], f)
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as z:
        z.writestr("x/c.json", json.dumps([_rec(3), {"title": "no body"}]))
        z.writestr("d.ndjson", json.dumps(_rec(4)))
        z.writestr("readme.md", "hello")
        z.writestr("e.json.gz", gzip.compress(json.dumps(_rec(5)).encode()))
    caplog.set_level(logging.WARNING, logger="searchapp.corpus")
    arts, errors = _read(tmp_path)
    assert [a.id for a in arts] == ["r1", "r2", "r3", "r4", "r5"]
    assert arts[2].origin == f"{tmp_path / 'c.zip'}!x/c.json:1"
    assert [str(e).split(": ")[0] for e in errors] == [f"{tmp_path / 'c.zip'}!x/c.json:1"]
    assert any("readme.md" in r.getMessage() for r in caplog.records)


def test_corrupt_archives_are_errors_not_exceptions(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "b.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "c.jsonl").write_text(json.dumps(_rec(1)), "utf-8")
    arts, errors = _read(tmp_path)
    assert [a.id for a in arts] == ["r1"]
    assert [Path(e.path).name for e in errors] == ["a.zip", "b.json.gz"]


def test_array_is_decoded_incrementally_with_right_lines():
    records = [_rec(i, body=f"نص\n{i}") for i in range(50)]
    text = json.dumps(records, ensure_ascii=False, indent=2)
    pulled = []

    def chunks():
        for i in range(0, len(text), 7):
            pulled.append(i)
            yield text[i:i + 7]

    errors: list[CorpusError] = []
    stream = iter_json(chunks(), "p.json", errors.append)
    line, first, _ = next(stream)
    assert (line, first) == (2, records[0])
    assert len(pulled) < len(text) / 7 / 10  # only the first record's chunks were read
    rest = list(stream)
    assert [r.value for r in rest] == records[1:] and errors == []
    starts = [n for n, ln in enumerate(text.splitlines(), 1) if ln == "  {"]
    assert [line, *(r.line for r in rest)] == starts


def test_json_lines_are_streamed():
    data = [json.dumps(_rec(i)).encode() + b"\n" for i in range(100)]
    pulled = []

    def chunks():
        for d in data:
            pulled.append(d)
            yield d

    stream = iter_json_lines(chunks(), "utf-8", "p.jsonl", lambda e: None)
    assert next(stream)[:2] == (1, _rec(0))
    assert len(pulled) <= 2
    assert len(list(stream)) == 99


def test_large_zip_member_read_with_bounded_memory(tmp_path):
    record = _rec(0, body="نص طويل " * 200)
    n = 3000  # about 6 MB of JSON per member
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("big.json", "w") as f:
            f.write(b"[")
            for i in range(n):
                f.write((b"," if i else b"") + json.dumps({**record, "id": str(i)}).encode())
            f.write(b"]")
        with z.open("big.jsonl", "w") as f:
            for i in range(n):
                f.write(json.dumps({**record, "id": f"l{i}"}).encode() + b"\n")
    tracemalloc.start()
    count = sum(1 for _ in read(tmp_path / "big.zip"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 2 * n
    assert peak < 3_000_000  # the members are ~6 MB each: they were never held whole


def test_dates_in_both_formats(tmp_path):
    recs = [_rec(1, date="2015-07-22 00:05:53"), _rec(2, date="2015-07-22T00:05:53+03:00"),
            _rec(3, date="2015-07-22")]
    (tmp_path / "a.json").write_text(json.dumps(recs), "utf-8")
    arts, errors = _read(tmp_path / "a.json")
    assert errors == []
    assert arts[0].date == datetime(2015, 7, 22, 0, 5, 53)
    assert arts[1].date == datetime(2015, 7, 22, 0, 5, 53, tzinfo=timezone(timedelta(hours=3)))
    assert arts[2].date == datetime(2015, 7, 22)
