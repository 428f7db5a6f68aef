"""Shared fixtures: a sample-page index, small JSON corpora, the Flask app and CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchapp import SearchEngine, reindex
from searchapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "aawsat-page.txt"
PUTIN_TITLE = "في أول اتصال هاتفي مع الشرع... بوتين يعرض مساعدة سوريا"
LEBANON_TITLE = "لبنان يدعو الدول الراعية لاتفاق وقف النار لردع الاعتداءات الإسرائيلية"


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def engine_over(tmp_path_factory, name: str, records: list[dict]) -> SearchEngine:
    """An engine over a small JSON Lines corpus of ``records``, built once per module."""
    root = tmp_path_factory.mktemp(name)
    write_jsonl(root / "c" / "news.jsonl", records)
    assert reindex([root / "c"], root / "i").errors == []
    return SearchEngine(root / "i")


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """Index of the bundled sample page, built once; tests only read it."""
    index_dir = tmp_path_factory.mktemp("sample") / "index"
    report = reindex([SAMPLE], index_dir)
    assert report.errors == []
    return index_dir


@pytest.fixture(scope="session")
def engine(sample_index) -> SearchEngine:
    return SearchEngine(sample_index)


@pytest.fixture
def app(sample_index):
    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
