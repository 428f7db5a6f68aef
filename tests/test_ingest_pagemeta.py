"""Page dumps recover what the page says about itself: the outlet and the publication date
(issue 13, point 13: the bundled corpus had no source, so `source:aawsat` found nothing)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from searchapp import SearchEngine, reindex
from searchapp.corpus import CorpusError, read
from searchapp.corpus.pagedump import parse_date_line, parse_page, recover_source
from tests.conftest import SAMPLE


def _parse(text: str, **kw) -> tuple[list, list[CorpusError]]:
    errors: list[CorpusError] = []
    return list(parse_page(text, "p.txt", on_error=errors.append, **kw)), errors


def test_bundled_page_is_attributed_to_its_outlet():
    arts = list(read(SAMPLE))
    assert arts and {a.source for a in arts} == {"aawsat"}


def test_bundled_corpus_answers_source_filter(tmp_path: Path):
    reindex([SAMPLE.parent], tmp_path / "ix")
    engine = SearchEngine(tmp_path / "ix")
    res = engine.search("source:aawsat")
    assert res.total == 7
    assert any(h.title.startswith("في أول اتصال هاتفي مع الشرع") for h in res.hits)
    assert engine.search("بوتين source:aawsat").total >= 1


def test_explicit_source_wins_over_recovery():
    arts = list(read(SAMPLE, source="mirror"))
    assert {a.source for a in arts} == {"mirror"}


@pytest.mark.parametrize("lines, slug", [
    (["خبر", "«الشرق الأوسط» (دمشق)"], "aawsat"),  # the paper's own staff byline
    (["خبر", "«الشرق الأوسط»"], "aawsat"),
    (["خبر", "المصدر: https://aawsat.com/node/5112345"], "aawsat"),
    (["خبر", "نقلاً عن www.alriyadh.com"], "alriyadh"),
    (["خبر", "صحيفة الشرق الأوسط نشرت تقريراً"], ""),  # a mention is not a byline
    (["خبر", "aawsat.com", "alriyadh.com"], ""),  # two outlets, no winner: left empty
    (["خبر عادي بلا أي إشارة"], ""),
])
def test_recover_source(lines: list[str], slug: str):
    assert recover_source(lines) == slug


@pytest.mark.parametrize("line, when", [
    ("21 يوليو 2015", datetime(2015, 7, 21)),
    ("الثلاثاء 21 يوليو 2015", datetime(2015, 7, 21)),
    ("الثلاثاء، ٢١ يوليو ٢٠١٥ م", datetime(2015, 7, 21)),
    ("نُشر في: 3 آذار 2025", datetime(2025, 3, 3)),
    ("14 كانون الثاني 2024 - 10:45", datetime(2024, 1, 14, 10, 45)),
    ("27 نوفمبر (تشرين الثاني) 2024", datetime(2024, 11, 27)),
    ("2025-03-14", datetime(2025, 3, 14)),
    ("آخر تحديث: 2025-03-14 18:05", datetime(2025, 3, 14, 18, 5)),
])
def test_parse_date_line(line: str, when: datetime):
    assert parse_date_line(line) == when


@pytest.mark.parametrize("line", [
    "في بغداد، 14 مارس 2025 (إعلام حكومي)",  # a date inside a caption is the photo's, not ours
    "وصل الوفد في 21 يوليو 2015 إلى الرياض",
    "31 فبراير 2025",  # no such day
    "21 يوليو",  # no year: not a publication date
    "TT",
])
def test_dates_inside_text_are_not_publication_dates(line: str):
    assert parse_date_line(line) is None


def test_date_line_under_the_title_dates_the_article_and_is_not_a_paragraph():
    page = ("عنوان الخبر\n\nالثلاثاء 21 يوليو 2015\n\nTT\n3\n\nعنوان الخبر\n\n"
            "فقرة أولى من الخبر تروي ما جرى.\n\nصورة في بغداد، 14 مارس 2025 (أ.ب)\n"
            "صورة في بغداد، 14 مارس 2025 (أ.ب)\n")
    (art,), errors = _parse(page)
    assert errors == [] and art.date == datetime(2015, 7, 21)
    assert art.subtitle == "" and art.paragraphs == ["فقرة أولى من الخبر تروي ما جرى."]


def test_page_without_a_date_line_has_no_date():
    assert all(a.date is None for a in read(SAMPLE))  # the sample page gives no date: none made up
