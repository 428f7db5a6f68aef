"""Page dumps parsed by structure: synthetic pages with other numbers, sections and credits."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.corpus import Caption, CorpusError, read, read_many
from searchapp.corpus.pagedump import parse_page

T1 = "عنوان المقال الأول عن الاقتصاد"
T2 = "المقال الثاني بعنوان مختلف"
PAGE = f"""{T1}

TT
137

{T1}

فقرة أولى من المقال.

صورة بلا مصدر لمبنى البنك
صورة بلا مصدر لمبنى البنك

فقرة ثانية تنتهي بقوسين (رويترز)


مقالات ذات صلة

الاقتصاد أسواق الخليج في يوم هادئ (أ.ف.ب)

الأسهم ترتفع في الخليج

ملخص قصير عن الأسهم.

فلان الفلاني (الرياض)
تكنولوجيا
هاتف جديد في معرض (رويترز)

شركة تطلق هاتفاً

ملخص عن الهاتف.

علان (دبي)

{T2}

عنوان فرعي للمقال الثاني

صورة الغلاف (د.ب.أ)
صورة الغلاف (د.ب.أ)
AA
٤٢

{T2}

فقرة وحيدة.
"""


def _parse(text: str, **kw) -> tuple[list, list[CorpusError]]:
    errors: list[CorpusError] = []
    return list(parse_page(text, "p.txt", on_error=errors.append, **kw)), errors


def test_synthetic_page_structure():
    arts, errors = _parse(PAGE)
    assert errors == []
    assert [a.kind for a in arts] == ["article", "teaser", "teaser", "article"]
    first, t1, t2, second = arts
    assert first.title == T1 and first.subtitle == ""
    assert first.paragraphs == ["فقرة أولى من المقال.", "فقرة ثانية تنتهي بقوسين (رويترز)"]
    assert first.captions == [Caption("صورة بلا مصدر لمبنى البنك", "")]
    assert first.related == [t1.id, t2.id]
    assert (t1.section, t1.title, t1.author, t1.location) == (
        "الاقتصاد", "الأسهم ترتفع في الخليج", "فلان الفلاني", "الرياض")
    assert t1.captions == [Caption("أسواق الخليج في يوم هادئ", "أ.ف.ب")]
    assert t1.paragraphs == ["ملخص قصير عن الأسهم."]
    assert (t2.section, t2.title, t2.author, t2.location) == (
        "تكنولوجيا", "شركة تطلق هاتفاً", "علان", "دبي")
    assert t2.captions == [Caption("هاتف جديد في معرض", "رويترز")]
    assert second.title == T2 and second.subtitle == "عنوان فرعي للمقال الثاني"
    assert second.paragraphs == ["فقرة وحيدة."]
    assert second.captions == [Caption("صورة الغلاف", "د.ب.أ")]
    assert second.origin == f"p.txt:{PAGE.splitlines().index(T2) + 1}"


def test_section_list_is_a_parameter():
    page = PAGE.replace("الاقتصاد أسواق", "منوعات أسواق")
    arts, errors = _parse(page)
    assert [a.kind for a in arts].count("teaser") == 1  # unknown section: teaser not recognized
    assert errors and all("related-articles" in e.reason for e in errors)
    arts, errors = _parse(page, sections=("منوعات", "تكنولوجيا"))
    assert errors == []
    assert [a.section for a in arts if a.kind == "teaser"] == ["منوعات", "تكنولوجيا"]


def test_longest_section_name_wins():
    page = PAGE.replace("الاقتصاد أسواق", "العالم العربي أسواق")
    arts, _ = _parse(page)
    teaser = next(a for a in arts if a.kind == "teaser")
    assert teaser.section == "العالم العربي"
    assert teaser.captions[0].text == "أسواق الخليج في يوم هادئ"


def test_page_without_furniture_is_one_article():
    first, last = "فقرة أولى من الخبر.", "فقرة أخيرة تختم الخبر."  # prose: see structure_problem
    arts, errors = _parse(f"عنوان وحيد\n\n{first}\n\nصورة (أ.ب)\nصورة (أ.ب)\n\n{last}\n")
    assert errors == []
    assert len(arts) == 1
    assert arts[0].title == "عنوان وحيد"
    assert arts[0].paragraphs == [first, last]
    assert arts[0].captions == [Caption("صورة", "أ.ب")]


def test_article_without_body_is_rejected_with_reason_and_teasers_kept():
    page = (f"{T1}\n\nTT\n9\n\n{T1}\n\nمقالات ذات صلة\n\n"
            "الخليج خبر (واس)\n\nعنوان\n\nملخص\n\nكاتب (جدة)\n")
    arts, errors = _parse(page)
    assert [a.kind for a in arts] == ["teaser"]
    assert len(errors) == 1 and errors[0].line == 1 and "without body" in errors[0].reason


def test_text_before_first_article_is_reported():
    arts, errors = _parse("سطر تائه\n\n" + PAGE)
    assert [a.title for a in arts if a.kind == "article"] == [T1, T2]
    assert len(errors) == 1 and errors[0].line == 1


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_read_dispatches_txt_and_sets_source(tmp_path: Path, newline: str):
    path = tmp_path / "page.txt"
    path.write_bytes(PAGE.replace("\n", newline).encode("utf-8"))
    arts = list(read(path, source="aawsat"))
    assert len(arts) == 4 and {a.source for a in arts} == {"aawsat"}
    assert arts[0].paragraphs[1] == "فقرة ثانية تنتهي بقوسين (رويترز)"


def test_module_section_tuple_can_be_overridden(monkeypatch, tmp_path: Path):
    from searchapp.corpus import pagedump

    monkeypatch.setattr(pagedump, "SECTIONS", ("الاقتصاد",))
    errors: list[CorpusError] = []
    (tmp_path / "p.txt").write_text(PAGE, "utf-8")
    arts = list(read(tmp_path / "p.txt", on_error=errors.append))
    assert [a.section for a in arts if a.kind == "teaser"] == ["الاقتصاد"]
    assert errors  # the تكنولوجيا teaser is no longer recognized, and that is reported


def test_full_article_replaces_teaser_of_same_story(tmp_path: Path):
    page = PAGE.replace("شركة تطلق هاتفاً", T2)  # the second teaser is the second article
    (tmp_path / "p.txt").write_text(page, "utf-8")
    arts = list(read(tmp_path / "p.txt"))
    assert [(a.kind, a.title) for a in arts][2:] == [("teaser", T2), ("article", T2)]
    assert arts[2].id == arts[3].id
    # the article already seen: the same teaser on another page is dropped
    (tmp_path / "q.txt").write_text(page.split("\n\n" + T2 + "\n\nعنوان فرعي")[0], "utf-8")
    again = [(a.kind, a.title) for a in read_many([tmp_path / "p.txt", tmp_path / "q.txt"])]
    assert again == [(a.kind, a.title) for a in arts]
