"""Whoosh's segment writer with a posting pool grouped by term, and whole-term block writes.

Profiled on 20,000 synthetic archive articles (``benchmarks/scalegen.py``), two thirds of a
build went to Whoosh's posting pool and posting writer, not to analysis: every posting became a
5-tuple, was pickled into a sorted run on disk, unpickled, heap-merged, then passed one call at
a time (``add_posting``, with a field-length lookup each) to the block writer. That is ~20 µs a
posting, and a million articles have ~250 M postings.

Here postings are appended, as they are produced, to per-term arrays (document numbers, weights,
value lengths, one value blob). When the pool passes its memory budget it is written as one
sorted run of whole terms; at flush the runs and what is in memory are merged term by term (a
term's postings are concatenated in run order, which is document order, since document numbers
only grow) and each term's blocks are handed to Whoosh's own block writer whole. The files are
ordinary Whoosh 3 segments, byte for byte what the stock writer produces for the same documents
(``tests/test_fastwriter.py`` compares them posting by posting).
"""

from __future__ import annotations

import contextlib
import heapq
import os
import pickle
from array import array
from collections.abc import Iterator

from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from searchapp.analysis import _CACHE, analyze_word
from searchapp.schema import _H, _WORDS, SHORT_GAPS, ArabicText, PackedPositions, encode_positions

#: Bytes of pool per posting beyond its value bytes (three array slots and slack).
_POSTING_OVERHEAD = 14
#: Bytes of pool per distinct term (dict slot, key tuple, four small containers).
_TERM_OVERHEAD = 400

TermPostings = tuple[array, array, array, bytearray]  # docnums, weights, value lengths, values
_ONE_SHORT = pack_uint(1 | SHORT_GAPS)


class TermPool:
    """Postings grouped by field, then term, spilled to sorted runs past ``limitmb``.

    Terms of the fields named in ``text_fields`` are keyed by ``str`` (no encoding per
    posting; UTF-8 sorts in code point order, so sorting the strings sorts their bytes), the
    others by their bytes. Also accepts Whoosh's 5-tuples through :meth:`add` (what merging
    another segment feeds the pool), in increasing document order like everything else.
    """

    def __init__(self, tempstore, limitmb: float = 128,
                 text_fields: frozenset[str] = frozenset()) -> None:
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.text_fields = text_fields
        self.fields: dict[str, dict[str | bytes, TermPostings]] = {}
        self.runs: list[str] = []
        self.fieldnames: set[str] = set()

    # Whoosh's pool interface ------------------------------------------------------------
    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        if docnum < 0:  # Whoosh's spelling-word marker; our schema has no spelling fields
            return
        self.fieldnames.add(fieldname)
        key = tbytes.decode("utf-8") if fieldname in self.text_fields else tbytes
        self.add_posting(fieldname, key, docnum, weight, vbytes or b"")
        if self.size > self.limit:
            self.spill()

    def cleanup(self) -> None:
        for name in self.runs:
            with contextlib.suppress(OSError):
                self.tempstore.delete_file(name)
        self.runs = []
        self.fields = {}

    # ------------------------------------------------------------------------------------
    def _terms(self, fieldname: str) -> dict[str | bytes, TermPostings]:
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        return terms

    def add_posting(self, fieldname: str, key: str | bytes, docnum: int, weight: float,
                    vbytes: bytes) -> None:
        terms = self._terms(fieldname)
        p = terms.get(key)
        if p is None:
            p = terms[key] = (array("I"), array("f"), array("I"), bytearray())
            self.size += _TERM_OVERHEAD + len(key)
        p[0].append(docnum)
        p[1].append(weight)
        p[2].append(len(vbytes))
        p[3].extend(vbytes)
        self.size += _POSTING_OVERHEAD + len(vbytes)

    def add_text(self, fieldname: str, docnum: int, text: str, keep_surface: bool,
                 boost: float) -> int:
        """Analyze one ``ArabicText`` value straight into the pool; returns the field length.

        The same terms, weights, positions and length as ``ArabicText.index`` fed through
        Whoosh's ``add_document`` (the writer test compares the files), without a tuple, a
        generator step and a call per posting.
        """
        poses: dict[str, list[int]] = {}
        cache_get = _CACHE.get
        for pos, raw in enumerate(_WORDS.findall(text)):
            pair = cache_get(raw)
            if pair is None:
                pair = analyze_word(raw)
            surface, stem = pair
            if not surface:
                continue
            plist = poses.get(stem)
            if plist is None:
                poses[stem] = [pos]
            else:
                plist.append(pos)
            if keep_surface and surface != stem:
                plist = poses.get(surface)
                if plist is None:
                    poses[surface] = [pos]
                else:
                    plist.append(pos)
        terms = self._terms(fieldname)
        encode = encode_positions
        one = _ONE_SHORT
        short = _H
        length = added = vbytes = 0
        for word, plist in poses.items():
            p = terms.get(word)
            if p is None:
                p = terms[word] = (array("I"), array("f"), array("I"), bytearray())
                added += _TERM_OVERHEAD + len(word)
            n = len(plist)
            length += n
            p[0].append(docnum)
            p[1].append(n * boost)
            # encode_positions, inlined for the commonest case (one position)
            value = one + short(plist[0]) if n == 1 and plist[0] < 65536 else encode(plist)
            p[2].append(len(value))
            p[3].extend(value)
            vbytes += len(value)
        self.size += added + len(poses) * _POSTING_OVERHEAD + vbytes
        return length

    def check_size(self) -> None:
        if self.size > self.limit:
            self.spill()

    def _sorted(self) -> Iterator[tuple[tuple[str, bytes], TermPostings]]:
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            for key in sorted(terms):
                tbytes = key.encode("utf-8") if isinstance(key, str) else key
                yield (fieldname, tbytes), terms[key]

    def spill(self) -> None:
        """Write what is in memory as one run, terms in sorted order."""
        if not self.fields:
            return
        name = f"{os.getpid()}_{len(self.runs)}_{id(self)}.termrun"
        # One pickle per record, not one Pickler/Unpickler per run: their memo keeps every
        # object written or read alive, which held all runs in memory at the final merge
        # (4 GB per writer process at a million articles).
        with self.tempstore.create_file(name).raw_file() as f:
            for key, (d, w, vl, blob) in self._sorted():
                pickle.dump((key, d.tobytes(), w.tobytes(), vl.tobytes(), bytes(blob)), f,
                            pickle.HIGHEST_PROTOCOL)
            pickle.dump(None, f)
        self.runs.append(name)
        self.fields = {}
        self.size = 0

    def _run(self, name: str) -> Iterator[tuple[tuple[str, bytes], int, TermPostings]]:
        order = self.runs.index(name)
        with self.tempstore.open_file(name).raw_file() as f:
            while (rec := pickle.load(f)) is not None:
                key, d, w, vl, blob = rec
                yield key, order, (array("I", d), array("f", w), array("I", vl),
                                   bytearray(blob))

    def _memory(self) -> Iterator[tuple[tuple[str, bytes], int, TermPostings]]:
        order = len(self.runs)
        for key, p in self._sorted():
            yield key, order, p

    def iter_terms(self) -> Iterator[tuple[str, bytes, TermPostings]]:
        """Every term once, in (field, term) order, with all its postings in docnum order."""
        if not self.runs:
            for key, _, p in self._memory():
                yield key[0], key[1], p
            return
        merged = heapq.merge(*[self._run(n) for n in self.runs], self._memory(),
                             key=lambda rec: (rec[0], rec[1]))
        current, acc = None, None
        for key, _, p in merged:
            if key != current:
                if current is not None:
                    yield current[0], current[1], acc
                current, acc = key, p
            else:
                acc[0].extend(p[0])
                acc[1].extend(p[1])
                acc[2].extend(p[2])
                acc[3].extend(p[3])
        if current is not None:
            yield current[0], current[1], acc


def write_terms(fieldwriter, schema, terms, lengths_of) -> None:
    """Feed whole terms to a Whoosh 3 field writer, block by block.

    Produces the calls (and so the bytes) that ``FieldWriter.add_postings`` would, one posting
    at a time: the same blocks of ``blocklimit`` postings, the same per-block statistics, the
    same document field lengths (``lengths_of(field)`` returns the list a per-document reader
    answers, or None for fields without lengths).
    """
    lastfn = None
    lengths: list[int] | None = None
    for fieldname, btext, (docs, weights, vlens, blob) in terms:
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            lastfn = fieldname
            lengths = lengths_of(fieldname)
        fieldwriter.start_term(btext)
        pw = fieldwriter._postwriter
        limit = pw._blocklimit
        n = len(docs)
        has_values = any(vlens)
        offset = 0
        for start in range(0, n, limit):
            end = min(n, start + limit)
            pw._ids = docs[start:end]
            pw._weights = ws = weights[start:end]
            pw._maxweight = max(0, max(ws))
            if has_values:
                vals = []
                for vl in vlens[start:end]:
                    if vl:
                        vals.append(bytes(blob[offset:offset + vl]))
                        offset += vl
                pw._values = vals
            else:
                pw._values = []
            if lengths is not None:
                ls = [x for x in map(lengths.__getitem__, pw._ids) if x]
                pw._minlength = min(ls) if ls else None
                pw._maxlength = max(ls) if ls else 0
            else:
                pw._minlength, pw._maxlength = None, 0
            if end < n:
                pw._write_block()
        fieldwriter.finish_term()  # writes the last block (``last=True``)
    if lastfn is not None:
        fieldwriter.finish_field()


class FastSegmentWriter(SegmentWriter):
    """``SegmentWriter`` over a :class:`TermPool` (same files, same API)."""

    def __init__(self, ix, *args, limitmb: int = 128, **kwargs) -> None:
        super().__init__(ix, *args, limitmb=limitmb, **kwargs)
        text = frozenset(name for name, field in self.schema.items()
                         if type(field) is ArabicText)
        self.pool = TermPool(self._tempstorage, limitmb=limitmb, text_fields=text)

    def add_document(self, **fields) -> None:
        """Whoosh's ``add_document`` for schemas without vectors or spelling fields, with the
        postings appended straight to the pool."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        add_posting = pool.add_posting
        pool_fields = pool.fieldnames
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if (type(field) is ArabicText and type(field.format) is PackedPositions
                        and field.scorable):
                    pool_fields.add(fieldname)
                    boost = field.format.field_boost * self._field_boost(fields, fieldname,
                                                                         docboost)
                    length = pool.add_text(fieldname, docnum, value, field.keep_surface, boost)
                elif field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    scorable = field.scorable
                    pool_fields.add(fieldname)
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        add_posting(fieldname, tbytes, docnum, weight * fieldboost,
                                    vbytes or b"")
                if field.separate_spelling() or field.vector:
                    raise NotImplementedError(
                        f"field {fieldname!r}: FastSegmentWriter has no spelling or vectors")
                customval = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, customval if field.stored else None,
                                       length)
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column,
                                                  field.to_column_value(customval))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        pool.check_size()

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        count = self.docnum

        def lengths_of(fieldname: str) -> list[int] | None:
            if pdr is None or not self.schema[fieldname].scorable:
                return None
            return [pdr.doc_field_length(d, fieldname) for d in range(count)]

        write_terms(self.fieldwriter, self.schema, self.pool.iter_terms(), lengths_of)
        self.fieldwriter.close()
        if pdr:
            pdr.close()

    def add_postings_to_pool(self, reader, startdoc, docmap) -> None:
        pool = self.pool
        for item in self._process_posts(reader.iter_postings(), startdoc, docmap):
            pool.add(item)
