"""Reindex says what it found, what it skipped and why; a `.txt` file with no article structure is
rejected with a reason (issue 13: an empty folder or a folder of unrelated files gave no warning,
and `/etc/passwd` copied as `passwd.txt` became an article titled `root:x:0:0:...`)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from searchapp import SearchEngine, reindex
from searchapp.cli import main
from searchapp.corpus import CorpusError, read
from searchapp.corpus.pagedump import parse_page
from tests.conftest import write_jsonl

PASSWD = "".join(f"{u}:x:{i}:{i}:{u}:/home/{u}:/bin/sh\n" for i, u in enumerate(
    ["root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news"]))
GOOD = {"id": "g1", "title": "أسعار النفط ترتفع", "body": "ارتفعت أسعار النفط في الأسواق اليوم.",
        "source": "test"}


def _unrelated(folder: Path) -> Path:
    folder.mkdir()
    (folder / "passwd.txt").write_text(PASSWD, "utf-8")
    (folder / "hosts").write_text("127.0.0.1 localhost\n", "utf-8")
    (folder / "notes.md").write_text("# notes\n", "utf-8")
    (folder / "blank.txt").write_text("\n  \n", "utf-8")
    return folder


def test_empty_folder_says_no_corpus_file_was_found(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    report = reindex([tmp_path / "empty"], tmp_path / "ix")
    assert report.empty_input and not report.published and report.files == 0
    (line,) = report.skipped
    assert line.startswith(f"{tmp_path / 'empty'}: no corpus file found")
    assert "(0 files read, 1 skipped, 0 rejected)" in report.errors[-1]


def test_unrelated_files_are_listed_and_passwd_is_rejected(tmp_path: Path):
    folder = _unrelated(tmp_path / "c")
    write_jsonl(folder / "good.jsonl", [GOOD])
    report = reindex([folder], tmp_path / "ix")
    assert report.added == 1 and report.files == 2  # passwd.txt and good.jsonl were parsed
    rejected = [e for e in report.errors if e.startswith(str(folder / "passwd.txt"))]
    assert len(rejected) == 1 and "no recognisable article structure" in rejected[0]
    assert "separated fields" in rejected[0]
    skipped = sorted(report.skipped)
    assert skipped == [f"{folder / 'blank.txt'}: empty file, skipped",
                       f"{folder / 'hosts'}: unknown extension, skipped",
                       f"{folder / 'notes.md'}: unknown extension, skipped"]
    engine = SearchEngine(tmp_path / "ix")
    assert engine.search("root").total == 0 and engine.search("النفط").total == 1


def test_folder_of_only_unrelated_files_publishes_nothing_and_says_why(tmp_path: Path):
    folder = _unrelated(tmp_path / "c")
    report = reindex([folder], tmp_path / "ix")
    assert report.empty_input and report.files == 1
    assert any("passwd.txt" in e and "rejected" in e for e in report.errors)
    assert "1 file read, 3 skipped, 1 rejected" in report.errors[-1]


def test_cli_json_report_lists_skipped_and_rejected_files(tmp_path: Path):
    folder = _unrelated(tmp_path / "c")
    write_jsonl(folder / "good.jsonl", [GOOD])
    result = CliRunner().invoke(main, ["reindex", str(folder), "--index", str(tmp_path / "ix"),
                                       "--json", "-q"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["files"] == 2 and len(report["skipped"]) == 3
    assert any("passwd.txt" in e for e in report["errors"])


def _parse(text: str) -> tuple[list, list[CorpusError]]:
    errors: list[CorpusError] = []
    return list(parse_page(text, "p.txt", on_error=errors.append)), errors


def test_page_without_arabic_prose_is_rejected_with_a_reason():
    arts, errors = _parse("README\n\nThis tool indexes news articles for search.\n")
    assert arts == []
    (err,) = errors
    assert err.line is None and not err.partial
    assert "no recognisable article structure" in err.reason and "Arabic" in err.reason


def test_config_table_is_rejected_even_with_arabic_values():
    arts, errors = _parse("الاسم:القيمة:الوصف\n" + "".join(
        f"مفتاح{i}:قيمة:وصف طويل لهذا المفتاح في الملف رقم {i}\n" for i in range(6)))
    assert arts == [] and "separated fields" in errors[0].reason


def test_plain_arabic_page_without_furniture_is_still_one_article():
    text = "عنوان الخبر\n\nأعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في المدينة.\n"
    arts, errors = _parse(text)
    assert errors == [] and [a.title for a in arts] == ["عنوان الخبر"]


def test_empty_file_is_reported_as_skipped_not_silently_dropped(tmp_path: Path, caplog):
    (tmp_path / "blank.txt").write_text("", "utf-8")
    skipped: list[CorpusError] = []
    assert list(read(tmp_path, on_skip=skipped.append)) == []
    assert [str(s) for s in skipped] == [f"{tmp_path / 'blank.txt'}: empty file, skipped"]
