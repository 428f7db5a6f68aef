"""`CorpusError.partial`: True when content may not have been read (the indexer then keeps the
path's old articles), False for rejections of records that were read in full."""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from searchapp.corpus import CorpusError, read


def _read(path: Path) -> tuple[list, list[CorpusError]]:
    errors: list[CorpusError] = []
    return list(read(path, on_error=errors.append)), errors


def _rec(i: int, **extra) -> dict:
    return {"id": f"r{i}", "title": f"عنوان {i}", "body": f"نص {i} " * 40, **extra}


def _array(n: int) -> bytes:
    return json.dumps([_rec(i) for i in range(n)], ensure_ascii=False, indent=1).encode("utf-8")


def _only(errors: list[CorpusError]) -> CorpusError:
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_missing_path_is_partial(tmp_path):
    _, errors = _read(tmp_path / "gone.json")
    err = _only(errors)
    assert err.partial and err.path == str(tmp_path / "gone.json")


def test_dangling_symlink_in_directory_is_partial(tmp_path):
    (tmp_path / "a.json").symlink_to(tmp_path / "moved-away.json")
    (tmp_path / "b.json").write_bytes(_array(1))
    arts, errors = _read(tmp_path)
    assert len(arts) == 1
    err = _only(errors)
    assert err.partial and err.path == str(tmp_path / "a.json") and "cannot read" in err.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_partial(tmp_path):
    (tmp_path / "a.json").write_bytes(_array(2))
    (tmp_path / "a.json").chmod(0)
    err = _only(_read(tmp_path / "a.json")[1])
    assert err.partial and err.path == str(tmp_path / "a.json")


def test_unlistable_directory_is_reported_partial(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.json").write_bytes(_array(1))
    (tmp_path / "ok.json").write_bytes(_array(1))
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)  # what os.walk lists directories with
    arts, errors = _read(tmp_path)
    assert len(arts) == 1  # today's os.walk skipped the directory without a word
    err = _only(errors)
    assert err.partial and err.path == str(tmp_path / "locked") and err.line is None


def test_truncated_zip_keeps_articles_before_the_cut(tmp_path):
    with zipfile.ZipFile(tmp_path / "full.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("day.json", _array(400))
    data = (tmp_path / "full.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])  # central directory gone
    arts, errors = _read(tmp_path / "cut.zip")
    assert 0 < len(arts) < 400
    assert [a.id for a in arts] == [f"r{i}" for i in range(len(arts))]
    assert errors and all(e.partial for e in errors)
    assert {e.path for e in errors} == {str(tmp_path / "cut.zip"),
                                        f"{tmp_path / 'cut.zip'}!day.json"}


def test_crc_error_mid_member_is_partial(tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w", zipfile.ZIP_STORED) as z:
        z.writestr("day.json", _array(400))  # stored: a changed byte only breaks the CRC
    data = bytearray((tmp_path / "a.zip").read_bytes())
    at = data.rindex("نص 399".encode())
    data[at + 1] ^= 0x01  # still valid UTF-8 and JSON: only the CRC can tell
    (tmp_path / "a.zip").write_bytes(bytes(data))
    arts, errors = _read(tmp_path / "a.zip")
    assert 0 < len(arts) < 400
    err = _only(errors)
    assert err.partial and err.path == f"{tmp_path / 'a.zip'}!day.json" and "CRC" in err.reason


def test_truncated_gzip_is_partial_and_keeps_what_was_read(tmp_path):
    data = gzip.compress(b"\n".join(json.dumps(_rec(i)).encode() for i in range(2000)))
    (tmp_path / "a.jsonl.gz").write_bytes(data[: len(data) // 2])
    arts, errors = _read(tmp_path / "a.jsonl.gz")
    assert 0 < len(arts) < 2000
    err = _only(errors)
    assert err.partial and err.path == str(tmp_path / "a.jsonl.gz")


def test_undecodable_rest_is_partial(tmp_path):
    text = "\n".join(json.dumps(_rec(i), ensure_ascii=False) for i in range(3000))
    data = text.encode("utf-16")
    cut = len(data) // 2 & ~1
    data = data[:cut] + b"\x00\xdc" + data[cut:]  # a lone low surrogate: UTF-16 cannot go on
    (tmp_path / "a.jsonl").write_bytes(data)
    arts, errors = _read(tmp_path / "a.jsonl")
    assert 0 < len(arts) < 3000
    assert any(e.partial and "rest skipped" in e.reason for e in errors)


@pytest.mark.parametrize("text, expected", [
    ('[{"title": "a", "body": "b"},\n{"title": "c", "bo', "unterminated JSON record"),
    ('[{"title": "a", "body": "b"},\n', "unterminated JSON array"),
    ('[{"title": "a", "body": "b"}, {"title" "c"}]', "malformed JSON record"),
    ('[{"title": "a", "body": "b"}] [{"title": "c", "body": "d"}]', "data after the end"),
])
def test_syntax_damage_is_partial(tmp_path, text, expected):
    (tmp_path / "a.json").write_text(text, "utf-8")
    arts, errors = _read(tmp_path / "a.json")
    assert [a.title for a in arts] == ["a"]
    err = _only(errors)
    assert expected in err.reason and err.partial


def test_malformed_or_undecodable_json_line_is_partial(tmp_path):
    lines = [json.dumps(_rec(1)).encode(), b"{broken", json.dumps(_rec(2)).encode() + b"\xff"]
    (tmp_path / "a.jsonl").write_bytes(b"\n".join(lines))
    arts, errors = _read(tmp_path / "a.jsonl")
    assert [a.id for a in arts] == ["r1"]
    assert [(e.line, e.partial) for e in errors] == [(2, True), (3, True)]


def test_binary_file_is_partial(tmp_path):
    (tmp_path / "a.json").write_bytes(bytes(range(256)) * 4)
    assert _only(_read(tmp_path / "a.json")[1]).partial


def test_content_rejections_are_not_partial(tmp_path):
    recs = [{"title": "no body"}, "a string", {"title": "t", "body": "b", "date": "yesterday"},
            {"title": "t", "body": 3}, {"title": "t", "body": "b", "related": "x"},
            {"title": "t", "body": "b", "kind": "poem"}]
    (tmp_path / "a.json").write_text(json.dumps(recs, indent=1), "utf-8")
    arts, errors = _read(tmp_path / "a.json")
    assert len(arts) == 1  # the bad date is kept
    assert len(errors) == 6 and not any(e.partial for e in errors)


def test_missing_comma_between_records_is_not_partial(tmp_path):
    (tmp_path / "a.json").write_text('[{"title": "a", "body": "b"}\n {"title": "c", "body": "d"}]',
                                     "utf-8")
    arts, errors = _read(tmp_path / "a.json")
    assert [a.title for a in arts] == ["a", "c"]  # nothing was lost
    assert not _only(errors).partial


class _Unseekable(io.RawIOBase):
    """A write-only stream zipfile cannot seek back in: it writes data descriptors then."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.data += b
        return len(b)


def test_truncated_zip_with_data_descriptors_and_several_members(tmp_path):
    out = _Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.json", _array(50).decode())
        z.writestr("__MACOSX/._a.json", b"junk")
        z.writestr("b.jsonl", "\n".join(json.dumps(_rec(i)) for i in range(100, 400)))
        z.writestr("c.json", _array(3).decode())
    data = bytes(out.data)
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x08
    cut = data.index(b"PK\x03\x04", data.index(b"c.json") - 40) - 2000  # inside b.jsonl
    (tmp_path / "cut.zip").write_bytes(data[:cut])
    arts, errors = _read(tmp_path / "cut.zip")
    ids = [a.id for a in arts]
    assert ids[:50] == [f"r{i}" for i in range(50)] and 50 < len(ids) < 350
    assert all(e.partial for e in errors)
    assert [e.path for e in errors] == [str(tmp_path / "cut.zip"),
                                        f"{tmp_path / 'cut.zip'}!b.jsonl"]


def test_garbage_zip_is_one_partial_error(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"PK\x03\x04" + bytes(range(200)))
    arts, errors = _read(tmp_path / "a.zip")
    assert arts == []
    err = _only(errors)
    assert err.partial and err.path == str(tmp_path / "a.zip")
