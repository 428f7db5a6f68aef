"""Read the members of a zip whose central directory is lost (a truncated download or copy).

`zipfile` needs the central directory at the end of the archive, so a zip cut in half yields
nothing. Every member is also preceded by a local header, though, and a deflate stream ends
itself: walking the local headers from the start recovers each member up to the damage, which
is what `unzip -F`-style tools do. Only stored members of known size and deflated members are
handled; anything else stops the walk (reported by the caller, the rest of the archive is lost).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIG = b"PK\x03\x04"
_NEXT_SIGS = (_LOCAL_SIG, b"PK\x01\x02", b"PK\x05\x06")  # next member, central directory, end
_DESCRIPTOR_MAX = 24  # signature, CRC and two 64-bit sizes
_READ = 1 << 16


class _Member(io.RawIOBase):
    """The decompressed bytes of one member, streamed; raises BadZipFile or EOFError on damage."""

    def __init__(self, stream: BinaryIO, method: int, size: int, crc: int | None,
                 head: bytes) -> None:
        self.stream, self.method, self.left, self.crc = stream, method, size, crc
        self.pending = head  # bytes read from the archive but not consumed yet
        self.inflate = zlib.decompressobj(-15) if method == zipfile.ZIP_DEFLATED else None
        self.running, self.done = 0, self.inflate is None and size == 0

    def readable(self) -> bool:
        return True

    def _raw(self) -> bytes:
        data, self.pending = self.pending or self.stream.read(_READ), b""
        if not data:
            raise EOFError("archive ends inside this member (truncated)")
        return data

    def readinto(self, out: memoryview) -> int:  # type: ignore[override]
        data = b""
        while not data and not self.done:
            if self.inflate is None:
                raw = self._raw()
                data, self.pending = raw[:self.left], raw[self.left:]
                self.left -= len(data)
                self.done = self.left == 0
            else:
                data = self.inflate.decompress(self._raw(), len(out))
                if self.inflate.unconsumed_tail:
                    self.pending = self.inflate.unconsumed_tail
                self.done = self.inflate.eof
            self.running = zlib.crc32(data, self.running)
        if self.done and self.crc is not None and self.running != self.crc:
            raise zipfile.BadZipFile("Bad CRC-32")
        out[:len(data)] = data
        return len(data)

    def rest(self) -> bytes:
        """Archive bytes after the member's data, once it has been read to its end."""
        return self.inflate.unused_data if self.inflate is not None else self.pending


def iter_members(stream: BinaryIO) -> Iterator[tuple[str, BinaryIO]]:
    """(name, decompressed stream) of each member from the local headers. The caller must read
    each stream to its end before asking for the next; damage raises from the stream or here."""
    stream.seek(0)
    buf = stream.read(_LOCAL.size)
    while buf[:4] == _LOCAL_SIG:
        if len(buf) < _LOCAL.size:
            buf += stream.read(_LOCAL.size - len(buf))
        if len(buf) < _LOCAL.size:
            raise EOFError("archive ends inside a local header (truncated)")
        _, _, flags, method, _, _, crc, csize, _, name_len, extra_len = _LOCAL.unpack_from(buf)
        buf = buf[_LOCAL.size:]
        need = name_len + extra_len - len(buf)
        if need > 0:
            buf += stream.read(need)
        if len(buf) < name_len + extra_len:
            raise EOFError("archive ends inside a local header (truncated)")
        raw_name, buf = buf[:name_len], buf[name_len + extra_len:]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        described = bool(flags & 0x08)  # CRC and sizes follow the data instead
        if flags & 0x01:
            raise NotImplementedError(f"{name}: encrypted member")
        if method == zipfile.ZIP_STORED and (described or csize == 0xFFFFFFFF):
            raise NotImplementedError(f"{name}: stored member of unknown size")
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise NotImplementedError(f"{name}: compression method {method}")
        member = _Member(stream, method, csize, None if described else crc, buf)
        yield name, io.BufferedReader(member)  # whole reads: short raw reads are normal
        while not member.done:  # the caller skipped it: consume it to find the next header
            member.read(_READ)
        buf = member.rest() + stream.read(_DESCRIPTOR_MAX + _LOCAL.size)
        if described:  # the CRC comes after the data, with or without a signature
            crc_at = 4 if buf.startswith(b"PK\x07\x08") else 0
            if len(buf) < crc_at + 4:
                raise EOFError("archive ends inside a data descriptor (truncated)")
            if struct.unpack_from("<I", buf, crc_at)[0] != member.running:
                raise zipfile.BadZipFile(f"Bad CRC-32 for {name}")
        at = min((i for i in (buf.find(s, 0, _DESCRIPTOR_MAX + 4) for s in _NEXT_SIGS)
                  if i >= 0), default=-1)
        if at < 0:
            raise zipfile.BadZipFile("no header after a member's data")
        buf = buf[at:]
