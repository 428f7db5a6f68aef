"""An access log for any WSGI app: one line per request, in the Common Log Format.

waitress, the server ``searchapp serve`` runs on, writes no access log of its own, so this is a
WSGI middleware::

    ::1 - - [21/Jul/2015:10:02:03 +0300] "GET /search?q=%D9%86%D9%81%D8%B7 HTTP/1.1" 200 512 4.1ms

remote address, the two unknown identity fields, the time the request arrived, the request line
as the client sent it, the status, the body bytes (``-`` for none) and, appended as web servers
commonly do, the time to the end of the response in milliseconds. A line is written when the
server closes the response, so a streamed body is counted whole and timed to its last byte.

The request target is logged percent-encoded, as received: an Arabic query reads
``q=%D8%A7…`` rather than ``q=النفط``. That is what every log tool (goaccess, awstats, grep
for a URL) expects, it keeps each line one unambiguous record of ASCII, and no request can
write control characters or right-to-left marks into an operator's terminal. Any byte outside
printable ASCII, a quote or a backslash in it is escaped as ``%XX``. ``urllib.parse.unquote``
reads a query back.

A request whose application raised is logged too, at ERROR, with the exception's type
appended: status 500 when no header had been sent (the server answers 500), else the status
that was sent with the bytes that made it out (servers send the headers with the first body
byte); the exception itself propagates unchanged. A client that goes away mid-body is no
failure: the server stops reading, and the line has the bytes produced until then.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

ACCESS_LOGGER = "searchapp.access"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SAFE = frozenset(range(0x21, 0x7F)) - {ord('"'), ord("\\"), ord("%")}

StartResponse = Callable[..., Callable[[bytes], object]]


def request_target(environ: dict) -> str:
    """The request target as the client sent it (waitress: ``REQUEST_URI``), else rebuilt from
    ``SCRIPT_NAME``, ``PATH_INFO`` and ``QUERY_STRING``; escaped as the module docstring says.
    WSGI gives paths as latin-1 strings of the raw bytes (PEP 3333), hence the round trip."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if not raw:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        raw = quote(path.encode("latin-1", "replace"), safe="/;:@&=+$,!~*'()%")
        if environ.get("QUERY_STRING"):
            raw += "?" + environ["QUERY_STRING"]
    data = raw.encode("latin-1", "replace") if isinstance(raw, str) else bytes(raw)
    out = []
    for i, b in enumerate(data):
        # a % starting a valid escape stays; a stray one is escaped so decoding is lossless
        if b in _SAFE or (b == 0x25 and _is_escape(data[i + 1:i + 3])):
            out.append(chr(b))
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


def _is_escape(two: bytes) -> bool:
    return len(two) == 2 and all(c in b"0123456789abcdefABCDEF" for c in two)


def clf_time(t: float) -> str:
    """``21/Jul/2015:10:02:03 +0300``: local time with its offset, English month names
    whatever the locale (strftime's ``%b`` follows it)."""
    lt = time.localtime(t)
    offset = lt.tm_gmtoff // 60
    sign = "+" if offset >= 0 else "-"
    return (f"{lt.tm_mday:02d}/{_MONTHS[lt.tm_mon - 1]}/{lt.tm_year}:{lt.tm_hour:02d}:"
            f"{lt.tm_min:02d}:{lt.tm_sec:02d} {sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}")


@dataclass
class _Request:
    """What one request's log line needs, filled in as the response goes out."""

    remote: str
    request_line: str
    arrived: float
    started: float
    status: str = ""
    bytes: int = 0
    failure: str = ""
    logged: bool = field(default=False, repr=False)

    def line(self, seconds: float) -> str:
        size = str(self.bytes) if self.bytes else "-"
        text = (f'{self.remote} - - [{clf_time(self.arrived)}] "{self.request_line}" '
                f"{self.status or '500'} {size} {seconds * 1000:.1f}ms")
        return f"{text} (failed: {self.failure})" if self.failure else text


class AccessLog:
    """WSGI middleware that logs each request of ``app`` to ``logger`` (``searchapp.access``
    by default) at INFO, a failed one at ERROR. ``clock`` (monotonic seconds) and ``now``
    (wall time) are parameters for tests."""

    def __init__(self, app: Callable, logger: logging.Logger | None = None, *,
                 clock: Callable[[], float] = time.perf_counter,
                 now: Callable[[], float] = time.time) -> None:
        self.app = app
        self.log = logger or logging.getLogger(ACCESS_LOGGER)
        self.clock = clock
        self.now = now

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        req = _Request(
            remote=environ.get("REMOTE_ADDR") or "-",
            request_line=f"{environ.get('REQUEST_METHOD', '-')} {request_target(environ)} "
                         f"{environ.get('SERVER_PROTOCOL', 'HTTP/1.0')}",
            arrived=self.now(), started=self.clock())

        def recording_start_response(status: str, headers: list, exc_info=None):
            req.status = status.split(" ", 1)[0]
            write = start_response(status, headers, exc_info)

            def counting_write(data: bytes) -> object:  # the legacy write() callable
                req.bytes += len(data)
                return write(data)
            return counting_write

        try:
            body = self.app(environ, recording_start_response)
        except BaseException as e:
            req.failure = type(e).__name__
            req.status = "500"  # nothing was sent: the server answers 500
            self._finish(req)
            raise
        return _LoggedBody(body, req, self._finish)

    def _finish(self, req: _Request) -> None:
        if req.logged:
            return
        req.logged = True
        level = logging.ERROR if req.failure else logging.INFO
        self.log.log(level, "%s", req.line(self.clock() - req.started))


class _LoggedBody:
    """The application's response iterable, counting bytes as they pass and logging the
    request when the server closes it (PEP 3333: servers always call ``close``)."""

    def __init__(self, body: Iterable[bytes], req: _Request,
                 finish: Callable[[_Request], None]) -> None:
        self.body = body
        self.req = req
        self.finish = finish

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.body:
                self.req.bytes += len(chunk)
                yield chunk
        except GeneratorExit:  # the server stopped reading (client gone): not a failure
            raise
        except BaseException as e:
            self.req.failure = type(e).__name__
            if not self.req.bytes:  # servers send the headers with the first byte
                self.req.status = "500"
            raise

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        except BaseException as e:
            self.req.failure = self.req.failure or type(e).__name__
            raise
        finally:
            self.finish(self.req)
