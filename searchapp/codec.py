"""Whoosh's codec with a cheaper posting flush and compact posting blocks.

Posting blocks are pickled with protocol 4 instead of Whoosh's protocol 2: under protocol 2,
Python 3 pickles every ``bytes`` value (a posting's positions) as a call to
``_codecs.encode`` on a latin-1 string, ~20 bytes of overhead on a value of 6: measured on the
synthetic archive, values were 60 of the 82 MB of body postings. Weights of larger blocks are
pickled as a float32 array (4 bytes each) instead of a tuple of floats (9 bytes each). The
reader is Whoosh's own: ``pickle.loads`` reads any protocol, and every consumer of block
weights accepts a sequence.

At commit, Whoosh's posting writer asks for the length of the field in the posting's document
once per posting (for per-block length statistics) and each answer goes through three layers
of column readers on a file: measured here, 13% of all indexing time. This codec reads each
length column once into a list. Posting blocks are compressed at zlib level 1 (Whoosh: 3):
with the compact pickles below, 46 MB of postings instead of 142 MB uncompressed on 20,000
synthetic archive articles, and no slower to build (decompressing is cheaper than reading
three times the bytes). The files written are ordinary Whoosh 3 files.
"""

from __future__ import annotations

import pickle
import zlib
from array import array

from whoosh import columns
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.util.numeric import byte_to_length, length_to_byte

_PROTOCOL = 4
#: Blocks of at least this many postings store weights as an array('f') (pickle overhead
#: ~60 bytes, then 4 bytes a weight) rather than a tuple (9 bytes a weight).
_ARRAY_WEIGHTS = 8
#: Blocks smaller than this are stored uncompressed: most terms of an archive are rare, their
#: one-block lists gain a few bytes from zlib and cost a compression call each (Whoosh meant
#: to skip blocks under 20 bytes, but its code overwrites that decision).
_COMPRESS_FROM = 64

COMPRESSION = 1
#: Stored documents are compressed at zlib level 1 (Whoosh: 3): same reader, a few percent
#: more bytes, less compression time on every document written.
STORED_COLUMN = columns.PickleColumn(columns.CompressedBytesColumn(level=1))


class CachedLengthsReader(W3PerDocReader):
    """Per-document reader whose field lengths come from an in-memory list."""

    def __init__(self, storage, segment) -> None:
        super().__init__(storage, segment)
        self._length_lists: dict[str, list[int] | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._length_lists.get(fieldname, False)
        if lengths is False:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = None if reader is None else [
                byte_to_length(b) if b else 0 for b in reader
            ]
            self._length_lists[fieldname] = lengths
        return default if lengths is None else lengths[docnum]


class FastStoredWriter(W3PerDocWriter):
    """Per-document writer whose stored-fields column compresses at level 1."""

    def _create_column(self, fieldname: str, column) -> None:
        super()._create_column(fieldname, STORED_COLUMN if fieldname == "_stored" else column)


class CompactPostingsWriter(W3PostingsWriter):
    """Whoosh 3 posting blocks, pickled compactly (see the module docstring)."""

    def _mini_ids(self):
        # Delta-encoded ids as Whoosh does, but as an array('I') for larger blocks: it
        # unpickles as one buffer that numpy reads without a Python int per posting (the
        # tuple form decoded at ~1 us a posting, most of a cold query at a million
        # articles). Whoosh's matcher delta-decodes any sequence.
        ids = self._ids
        if len(ids) < _ARRAY_WEIGHTS or self._byteids:
            return super()._mini_ids()
        deltas = array("I", ids[:1])
        deltas.extend(map(int.__sub__, ids[1:], ids[:-1]))
        return deltas

    def _mini_weights(self):
        weights = self._weights
        first = weights[0]
        if all(w == first for w in weights):
            return None if first == 1.0 else first
        if len(weights) >= _ARRAY_WEIGHTS:
            return array("f", weights)
        return tuple(weights)

    def _write_block(self, last: bool = False) -> None:
        # Whoosh's W3PostingsWriter._write_block with protocol 4 pickles.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, _PROTOCOL)
        comp = self._compression if len(databytes) >= _COMPRESS_FROM else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = pickle.dumps((len(ids), ids[-1], self._maxweight, comp,
                                  length_to_byte(self._minlength),
                                  length_to_byte(self._maxlength)), _PROTOCOL)
        blocklength = len(infobytes) + len(databytes)
        postfile = self._postfile
        postfile.write_int(-blocklength if last else blocklength)
        postfile.write(infobytes)
        postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class FastWriteCodec(W3Codec):
    def __init__(self, blocklimit: int = 128, compression: int = COMPRESSION,
                 inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression,
                         inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids: bool = False) -> W3PostingsWriter:
        return CompactPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                     compression=self._compression,
                                     inlinelimit=self._inlinelimit)

    def per_document_writer(self, storage, segment) -> W3PerDocWriter:
        return FastStoredWriter(self, storage, segment)

    def per_document_reader(self, storage, segment) -> W3PerDocReader:
        return CachedLengthsReader(storage, segment)
