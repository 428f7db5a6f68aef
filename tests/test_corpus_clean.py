"""No NUL, C0/C1 control or bidi override/isolate reaches an Article, whatever the format."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from searchapp.corpus import Article, read

NUL, TAB, ESC, DEL = "\x00", "\t", "\x1b", "\x7f"
NEL, CSI = "\u0085", "\u009b"  # C1 controls
LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"  # marks without scope: kept
FORBIDDEN = {chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))} | {
    LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI}
DIRTY = f"{RLO}كلمة{NUL}{TAB}أخرى{ESC}{NEL}ثالثة{CSI}{LRI}x{PDI}{DEL}{PDF}"


def _strings(art: Article) -> list[str]:
    out: list[str] = []
    for f in fields(Article):
        value = getattr(art, f.name)
        if f.name in ("origin", "date"):
            continue
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            for item in value:
                out.extend([item.text, item.credit] if hasattr(item, "credit") else [item])
    return out


def _assert_clean(arts: list[Article]) -> None:
    assert arts
    for art in arts:
        for s in _strings(art):
            assert not FORBIDDEN & set(s), (art.id, s)


def test_clean_text_rules():
    from searchapp.corpus.clean import clean_id, clean_text

    assert clean_text(DIRTY) == "كلمة أخرى  ثالثة x"
    assert clean_text(f" {LRM}a{RLM} {ALM}b ") == f"{LRM}a{RLM} {ALM}b"  # marks stay
    assert clean_text("a\u200cb\u200dc") == "a\u200cb\u200dc"  # ZWNJ/ZWJ shape letters
    assert clean_id(f" {RLO}id{NUL}-7\t{PDI}") == " id-7"  # deleted, otherwise as given


def _record(dirty: str) -> dict:
    return {"id": f"{dirty}id-1", "title": f"عنوان {dirty}", "subtitle": dirty,
            "body": f"فقرة {dirty}\n\nثانية{TAB}{dirty}", "section": dirty, "author": dirty,
            "location": dirty, "url": f"http://e/{dirty}", "source": f"src{dirty}",
            "related": [f"t{dirty}1", dirty], "date": "2015-07-22",
            "captions": [f"صورة {dirty} (رويترز{RLO})", {"text": dirty + "ب", "credit": dirty}]}


@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_json_inputs_are_cleaned(tmp_path: Path, ext: str):
    rec = _record(DIRTY)
    text = json.dumps([rec] if ext == "json" else rec, ensure_ascii=True)  # escapes survive
    (tmp_path / f"a.{ext}").write_text(text, "utf-8")
    (art,) = list(read(tmp_path / f"a.{ext}"))
    _assert_clean([art])
    assert art.id == "كلمةأخرىثالثةxid-1"
    assert art.related == ["tكلمةأخرىثالثةx1", "كلمةأخرىثالثةx"]
    assert art.title == "عنوان كلمة أخرى  ثالثة x"
    assert art.paragraphs[1] == "ثانية كلمة أخرى ثالثة x"
    assert art.captions[0].credit == "رويترز"


def test_url_derived_id_uses_the_clean_url(tmp_path: Path):
    dirty = {"title": "t", "body": "b", "url": f"http://e/{RLE}x{PDF}"}
    clean = {"title": "t", "body": "b", "url": "http://e/x"}
    (tmp_path / "a.jsonl").write_text(json.dumps(dirty) + "\n", "utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps(clean) + "\n", "utf-8")
    a, b = (next(read(tmp_path / n)) for n in ("a.jsonl", "b.jsonl"))
    assert a.id == b.id and a.url == b.url


def test_page_dump_is_cleaned(tmp_path: Path):
    title = f"عنوان{RLO} المقال{PDF}"  # (a raw NUL byte makes the file binary: refused)
    page = (f"{title}\n\nTT\n12\n\n{title}\n\nفقرة{TAB}أولى{ESC}.\n\n"
            f"صورة{LRI} (أ.ب{PDI})\nصورة{LRI} (أ.ب{PDI})\n\nمقالات ذات صلة\n\n"
            f"الخليج خبر{CSI} (واس)\n\nعنوان{DEL}التشويقة\n\nملخص{NEL}قصير\n\nكاتب{RLO} (جدة)\n")
    (tmp_path / "p.txt").write_text(page, "utf-8")
    arts = list(read(tmp_path / "p.txt", source=f"aawsat{RLO}"))
    _assert_clean(arts)
    art, teaser = arts
    assert art.title == "عنوان المقال" and art.paragraphs == ["فقرة أولى ."]
    assert art.captions[0].text == "صورة" and art.captions[0].credit == "أ.ب"
    assert art.source == teaser.source == "aawsat"
    assert (teaser.section, teaser.title, teaser.author, teaser.location) == (
        "الخليج", "عنوان التشويقة", "كاتب", "جدة")
    assert art.related == [teaser.id]
