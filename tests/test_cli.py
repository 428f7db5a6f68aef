"""The command line through click's runner."""

import json

from searchapp import exitcodes
from searchapp.cli import main
from tests.conftest import PUTIN_TITLE, SAMPLE, write_jsonl


def test_reindex_then_search_prints_putin_first(runner, tmp_path):
    index = tmp_path / "index"
    result = runner.invoke(main, ["reindex", str(SAMPLE), "--index", str(index), "-q"])
    assert result.exit_code == 0, result.output
    assert "added 7" in result.output
    result = runner.invoke(main, ["search", "بوتين", "--index", str(index)])
    assert result.exit_code == 0, result.output
    first = next(line for line in result.output.splitlines() if line.startswith("1. "))
    assert PUTIN_TITLE in first


def test_search_json_matches_api_shape(runner, sample_index):
    result = runner.invoke(main, ["search", "بوتين", "--index", str(sample_index), "--json",
                                  "--limit", "3"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["per_page"] == 3 and data["hits"][0]["title"] == PUTIN_TITLE


def test_search_without_index_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(main, ["search", "بوتين", "--index", str(tmp_path / "none")])
    assert result.exit_code != 0 and "searchapp reindex" in result.output


def test_reindex_json_report_and_malformed_record_exits_input_error(runner, tmp_path):
    corpus = tmp_path / "c"
    write_jsonl(corpus / "a.jsonl", [{"id": "1", "title": "عنوان", "body": "نص المقال"}])
    (corpus / "b.jsonl").write_text('{"id": "2", "title": "x", "body": "y"}\n{broken\n', "utf-8")
    result = runner.invoke(main, ["reindex", str(corpus), "--index", str(tmp_path / "i"),
                                  "--json"])
    assert result.exit_code == exitcodes.INPUT
    report = json.loads(result.stdout.splitlines()[0])
    assert report["added"] == 2
    assert any("b.jsonl:2" in e for e in report["errors"])


def test_progress_logs_count_rate_and_eta(caplog):
    import logging

    from searchapp.progress import Progress

    with caplog.at_level(logging.INFO, logger="searchapp.progress"), Progress(
        enabled=True, every_seconds=0, total=100
    ) as p:
        p.update(10)
        p.update(100)
    messages = [r.getMessage() for r in caplog.records]
    assert "indexed 10 of about 100 docs" in messages[0] and "s left" in messages[0]
    assert messages[-1].startswith("indexed 100 docs")
