"""The README's examples run, on the bundled corpus, and say what they show.

A README whose filter example returns nothing on the corpus it ships with teaches a new user
that the feature is broken (issue 13, point 13). Two kinds of examples are executed:

* every ```` ```pycon ```` block, as a doctest, in a scratch directory holding a copy of
  ``corpus/`` (so ``reindex(["corpus/"], "index")`` builds a real index there);
* every row of the "Examples on the bundled corpus" table: the query must find the article
  whose title starts with the text in the second column, at the rank in the third.
"""

from __future__ import annotations

import doctest
import re
import shutil
from pathlib import Path

import pytest

from searchapp import SearchEngine, reindex

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")
_PYCON = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)
_ROW = re.compile(r"^\| `(?P<query>[^`]+)` \| (?P<title>[^|]+?) \| (?P<rank>\d+) \|$", re.M)


def _section(heading: str) -> str:
    start = README.index(heading)
    end = README.find("\n## ", start + len(heading))
    return README[start:end if end >= 0 else None]


def pycon_blocks() -> list[str]:
    return _PYCON.findall(README)


def example_rows() -> list[tuple[str, str, int]]:
    table = _section("### Examples on the bundled corpus")
    return [(m["query"], m["title"].strip(), int(m["rank"])) for m in _ROW.finditer(table)]


def test_the_readme_has_runnable_examples():
    assert len(pycon_blocks()) >= 1
    assert len(example_rows()) >= 8


@pytest.mark.parametrize("block", pycon_blocks(), ids=lambda b: b.split("\n", 1)[0][:40])
def test_pycon_block_runs_as_written(block, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block, {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.tries >= 5 and runner.failures == 0, "".join(out)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> SearchEngine:
    index = tmp_path_factory.mktemp("readme") / "index"
    assert reindex([ROOT / "corpus"], index).errors == []
    return SearchEngine(index)


@pytest.mark.parametrize(("query", "title", "rank"), example_rows())
def test_example_query_finds_what_the_readme_says(bundled, query, title, rank):
    hits = bundled.search(query, per_page=10, snippets=False).hits
    titles = [h.title for h in hits]
    assert len(titles) >= rank, f"{query!r} found only {titles}"
    assert titles[rank - 1].startswith(title), f"{query!r} ranked {titles}"
