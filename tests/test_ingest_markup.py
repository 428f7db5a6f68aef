"""HTML entities are decoded and markup tags stripped at ingestion, in every text field (issue 13,
point 9): SaudiNewsNet has `&nbsp;` in author fields and `&quot;` in titles, shown raw before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchapp.corpus import read
from searchapp.corpus.clean import clean_text


@pytest.mark.parametrize("raw, clean", [
    ("محمد&nbsp;الأحمد", "محمد الأحمد"),  # NBSP is a plain space in a field with no layout
    ("&nbsp;", ""),
    ("&quot;النفط&quot; يرتفع", '"النفط" يرتفع'),
    ("&#8220;عنوان&#8221; &ndash; &#x41;", "\u201cعنوان\u201d \u2013 A"),
    ("كلمة <b>مهمة</b> هنا", "كلمة مهمة هنا"),
    ("سطر<br>سطر<br/>آخر", "سطر سطر آخر"),
    ('<a href="http://x/?a=1&amp;b=2" class=link>رابط</a>', "رابط"),
    ("قبل<script>alert(1)</script>بعد", "قبل بعد"),
    ("نص <!-- تعليق --> تام", "نص   تام"),
    ("a < b و c > d", "a < b و c > d"),  # comparisons are text, not tags
    ("x<y and y>z", "x<y and y>z"),  # not an HTML element name
    ("<بين قوسين>", "<بين قوسين>"),
    ("&lt;b&gt; escaped", "<b> escaped"),  # decoded once: an escaped tag is text, not markup
    ("&#8238;مقلوب", "مقلوب"),  # an entity cannot smuggle a bidi override past the cleaner
    ("AT&T و R&D", "AT&T و R&D"),
])
def test_clean_text_decodes_entities_and_strips_tags(raw: str, clean: str):
    assert clean_text(raw) == clean


def test_every_field_of_a_record_is_decoded(tmp_path: Path):
    rec = {"id": "r1", "title": "&quot;أرامكو&quot; <i>تعلن</i>",
           "subtitle": "عنوان&nbsp;فرعي", "body": "فقرة <b>أولى</b>\n\nفقرة&nbsp;ثانية &amp; أخيرة",
           "author": "&nbsp;فهد&nbsp;", "section": "<span>اقتصاد</span>",
           "location": "الرياض&nbsp;", "source": "<em>alriyadh</em>",
           "url": "http://e/a?x=1&amp;y=2",
           "captions": ["صورة &quot;الحدث&quot; (رويترز&nbsp;)",
                        {"text": "<b>ب</b>", "credit": "&amp;"}]}
    (tmp_path / "a.jsonl").write_text(json.dumps(rec, ensure_ascii=False) + "\n", "utf-8")
    (art,) = list(read(tmp_path / "a.jsonl"))
    assert art.title == '"أرامكو" تعلن'
    assert art.subtitle == "عنوان فرعي"
    assert art.paragraphs == ["فقرة أولى", "فقرة ثانية & أخيرة"]
    assert (art.author, art.section, art.location, art.source) == (
        "فهد", "اقتصاد", "الرياض", "alriyadh")
    assert art.url == "http://e/a?x=1&y=2"
    assert [(c.text, c.credit) for c in art.captions] == [
        ('صورة "الحدث"', "رويترز"), ("ب", "&")]


def test_page_dump_lines_are_decoded(tmp_path: Path):
    page = ("عنوان &quot;الخبر&quot;\n\nTT\n3\n\nعنوان &quot;الخبر&quot;\n\n"
            "فقرة <b>عربية</b> من&nbsp;خبر قديم يروي ما جرى.\n")
    (tmp_path / "p.txt").write_text(page, "utf-8")
    (art,) = list(read(tmp_path / "p.txt"))
    assert art.title == 'عنوان "الخبر"'
    assert art.paragraphs == ["فقرة عربية من خبر قديم يروي ما جرى."]
