"""Phrase queries mark the phrase, not its words elsewhere (issue 13, point 4)."""

from __future__ import annotations

import re

from searchapp import SearchEngine, reindex
from tests.conftest import write_jsonl


def test_phrase_query_marks_phrase_occurrences_in_title_and_snippet(tmp_path):
    write_jsonl(tmp_path / "c" / "n.jsonl", [{
        "id": "a", "title": "وقف إطلاق النار في غزة بعد وقف المحادثات",
        "body": "قرر المجلس وقف العمل. واشتعلت النار في المخزن. ثم أعلن الوسطاء وقفَ إطلاقِ "
                "النّارِ بين الطرفين في غزة.",
    }])
    reindex([tmp_path / "c"], tmp_path / "i")
    hit = SearchEngine(tmp_path / "i").search('"وقف إطلاق النار" غزة').hits[0]
    assert re.findall(r"<mark>(.*?)</mark>", hit.title_html) == ["وقف إطلاق النار", "غزة"]
    marked = re.findall(r"<mark>(.*?)</mark>", hit.snippet)
    assert "وقفَ إطلاقِ النّارِ" in marked and "غزة" in marked
    assert not {"وقف", "النار"} & set(marked)
