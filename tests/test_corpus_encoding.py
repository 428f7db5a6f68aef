"""Encodings: UTF-8 (BOM or not), UTF-16 with BOM, Windows-1256; everything else refused."""

from __future__ import annotations

import codecs
import json
import logging

import pytest

from searchapp.corpus import CorpusError, read
from searchapp.corpus.encoding import sniff

PAGE = "عنوان الخبر\n\nTT\n3\n\nعنوان الخبر\n\nفقرة عربية «مقتبسة» من خبر قديم.\n"
RECORD = {"title": "عنوان الخبر", "body": "فقرة عربية من خبر قديم."}


def _read(path) -> tuple[list, list[CorpusError]]:
    errors: list[CorpusError] = []
    return list(read(path, on_error=errors.append)), errors


@pytest.mark.parametrize("name, data", [
    ("utf8.txt", PAGE.encode("utf-8")),
    ("bom.txt", codecs.BOM_UTF8 + PAGE.encode("utf-8")),
    ("le.txt", PAGE.encode("utf-16")),  # Python writes a BOM
    ("be.txt", codecs.BOM_UTF16_BE + PAGE.encode("utf-16-be")),
    ("win.txt", PAGE.encode("cp1256")),
])
def test_page_dump_encodings(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    arts, errors = _read(tmp_path / name)
    assert errors == []
    assert [(a.title, a.paragraphs) for a in arts] == [
        ("عنوان الخبر", ["فقرة عربية «مقتبسة» من خبر قديم."])]


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1256"])
@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_json_encodings(tmp_path, codec, ext):
    text = json.dumps([RECORD] if ext == "json" else RECORD, ensure_ascii=False)
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    (tmp_path / f"a.{ext}").write_bytes(data)
    arts, errors = _read(tmp_path / f"a.{ext}")
    assert errors == []
    assert [a.title for a in arts] == ["عنوان الخبر"]


@pytest.mark.parametrize("data", [
    "Un article français élégant à Paris, déjà vu.".encode("latin-1"),
    # Arabic, but in ISO-8859-6, which is not supported
    PAGE.replace("«", "").replace("»", "").encode("iso8859_6"),
    PAGE.encode("utf-32"),
])
def test_unsupported_encodings_name_the_file(tmp_path, data):
    (tmp_path / "old.txt").write_bytes(data)
    (tmp_path / "ok.txt").write_text(PAGE, "utf-8")
    arts, errors = _read(tmp_path)
    assert [a.origin for a in arts] == [f"{tmp_path / 'ok.txt'}:1"]
    assert len(errors) == 1
    assert errors[0].path == str(tmp_path / "old.txt") and "encoding" in errors[0].reason
    assert str(errors[0]).startswith(str(tmp_path / "old.txt"))


def test_binary_file_is_skipped_with_an_error(tmp_path):
    (tmp_path / "a.json").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "b.json").write_text(json.dumps([RECORD], ensure_ascii=False), "utf-8")
    arts, errors = _read(tmp_path)
    assert len(arts) == 1
    assert len(errors) == 1 and errors[0].path.endswith("a.json") and "binary" in errors[0].reason


@pytest.mark.parametrize("content", [b"", b"  \n\n", codecs.BOM_UTF8, "\n".encode("utf-16")])
def test_empty_file_is_a_warning_not_an_error(tmp_path, caplog, content):
    (tmp_path / "empty.jsonl").write_bytes(content)
    caplog.set_level(logging.WARNING, logger="searchapp.corpus")
    arts, errors = _read(tmp_path / "empty.jsonl")
    assert arts == [] and errors == []
    assert any("empty" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_corrupt_byte_in_utf8_array_loses_only_its_record(tmp_path):
    good = json.dumps([RECORD, {"title": "X", "body": "Y"}, RECORD | {"title": "آخر"}],
                      ensure_ascii=False, indent=1).encode("utf-8")
    data = good.replace(b'"Y"', b'"\xff"')
    (tmp_path / "a.json").write_bytes(data)
    arts, errors = _read(tmp_path / "a.json")
    assert [a.title for a in arts] == ["عنوان الخبر", "آخر"]
    assert len(errors) == 1 and "not valid text" in errors[0].reason


def test_corrupt_byte_in_utf8_page_is_reported_on_its_line(tmp_path):
    data = PAGE.encode("utf-8").replace("مقتبسة".encode(), b"\xff\xfe")
    (tmp_path / "p.txt").write_bytes(data)
    arts, errors = _read(tmp_path / "p.txt")
    assert len(arts) == 1 and "\ufffd" in arts[0].paragraphs[0]
    assert [e.line for e in errors] == [8]


def test_sniff_does_not_take_a_cut_utf8_character_for_an_error():
    data = "كلمة".encode() * 10
    assert sniff(data[:-1], "f", complete=False) == "utf-8"
    assert sniff(data, "f", complete=True) == "utf-8"
