"""`searchapp serve` (issue 13 point 16): the access log middleware, its CLI wiring, the start
message and the log line of each index generation served."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

import pytest

from searchapp.accesslog import ACCESS_LOGGER, AccessLog, request_target
from tests.conftest import write_jsonl

CLF = re.compile(r'^(?P<remote>\S+) - - \[(?P<time>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d '
                 r'[+-]\d{4})\] "(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-) '
                 r'(?P<ms>\d+\.\d)ms(?P<rest>.*)$')


def environ(path: str = "/search", query: str = "", method: str = "GET", **extra) -> dict:
    """A WSGI environ as a server builds it: PATH_INFO is the raw bytes as latin-1."""
    env = {"REQUEST_METHOD": method, "PATH_INFO": path.encode("utf-8").decode("latin-1"),
           "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7",
           "SCRIPT_NAME": ""}
    env.update(extra)
    return env


class Clock:
    """A clock that advances by ``step`` seconds at each reading."""

    def __init__(self, step: float) -> None:
        self.t, self.step = 0.0, step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


def serve(app, env: dict, caplog, *, step: float = 0.0125) -> tuple[bytes, list]:
    """Run one request through AccessLog(app) as a server does: iterate, then close."""
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    calls = []
    wrapped = AccessLog(app, clock=Clock(step), now=lambda: 1437462123.0)
    body = wrapped(env, lambda status, headers, exc_info=None: calls.append(status) or
                   (lambda data: None))
    try:
        data = b"".join(body)
    finally:
        body.close()
    return data, [r for r in caplog.records if r.name == ACCESS_LOGGER]


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello ", b"world"]


def test_one_common_log_format_line_per_request(caplog):
    query = "q=" + quote("أسعار النفط")
    data, (record,) = serve(hello, environ("/search", query), caplog)
    assert data == b"hello world" and record.levelno == logging.INFO
    m = CLF.match(record.getMessage())
    assert m, record.getMessage()
    assert m["remote"] == "10.0.0.7" and m["status"] == "200" and m["bytes"] == "11"
    assert m["request"] == f"GET /search?{query} HTTP/1.1"
    assert m["ms"] == "12.5" and m["rest"] == ""  # one clock step from call to close
    assert re.fullmatch(r"21/Jul/2015:\d\d:\d\d:03 [+-]\d{4}", m["time"])


def test_arabic_target_is_percent_encoded_and_decodes_back(caplog):
    # a client that sends raw UTF-8 bytes in the path and query, not percent-escapes
    raw = "/بحث?q=النفط".encode().decode("latin-1")
    env = environ(REQUEST_URI=raw)
    _, (record,) = serve(hello, env, caplog)
    target = CLF.match(record.getMessage())["request"].split(" ")[1]
    assert target.isascii() and unquote(target) == "/بحث?q=النفط"


def test_control_characters_and_quotes_cannot_break_the_line(caplog):
    env = environ(REQUEST_URI='/x?q=\x1b]0;owned\x07"\\ %zz %41')
    _, (record,) = serve(hello, env, caplog)
    target = CLF.match(record.getMessage())["request"].split(" ")[1]
    assert target == "/x?q=%1B]0;owned%07%22%5C%20%25zz%20%41"


def test_target_rebuilt_without_request_uri():
    env = environ("/مقال/12", "a=1&b=%D8%A7")
    assert request_target(env) == f"{quote('/مقال/12')}?a=1&b=%D8%A7"


def test_streamed_response_is_counted_whole_and_logged_at_close(caplog):
    closed = []

    class Stream:
        def __iter__(self):
            for _ in range(3):
                yield b"x" * 1000

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [])
        return Stream()

    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    body = AccessLog(app)(environ(), lambda *a: (lambda data: None))
    it = iter(body)
    next(it)
    assert not [r for r in caplog.records if r.name == ACCESS_LOGGER]  # not yet: still sending
    list(it)
    body.close()
    body.close()  # a second close logs nothing more
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert CLF.match(record.getMessage())["bytes"] == "3000" and closed == [True, True]


def test_write_callable_bytes_are_counted(caplog):
    def legacy(environ, start_response):
        write = start_response("201 Created", [])
        write(b"abc")
        return []

    _, (record,) = serve(legacy, environ(method="POST"), caplog)
    m = CLF.match(record.getMessage())
    assert m["status"] == "201" and m["bytes"] == "3" and m["request"].startswith("POST ")


def test_empty_body_bytes_are_a_dash(caplog):
    def empty(environ, start_response):
        start_response("304 Not Modified", [])
        return []

    _, (record,) = serve(empty, environ(), caplog)
    m = CLF.match(record.getMessage())
    assert m["status"] == "304" and m["bytes"] == "-"


def test_application_that_raises_is_logged_as_500_and_reraised(caplog):
    def broken(environ, start_response):
        raise RuntimeError("bug")

    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    with pytest.raises(RuntimeError, match="bug"):
        AccessLog(broken)(environ(), lambda *a: (lambda data: None))
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    m = CLF.match(record.getMessage())
    assert record.levelno == logging.ERROR and m["status"] == "500"
    assert m["rest"] == " (failed: RuntimeError)"


def test_stream_failing_midway_keeps_the_status_sent_and_the_bytes(caplog):
    def app(environ, start_response):
        start_response("200 OK", [])

        def gen():
            yield b"12345"
            raise OSError("disk gone")
        return gen()

    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    body = AccessLog(app)(environ(), lambda *a: (lambda data: None))
    with pytest.raises(OSError):
        list(body)
    body.close()
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    m = CLF.match(record.getMessage())
    assert m["status"] == "200" and m["bytes"] == "5" and m["rest"] == " (failed: OSError)"
    assert record.levelno == logging.ERROR


def test_client_gone_midway_is_not_a_failure(caplog):
    def app(environ, start_response):
        start_response("200 OK", [])
        return (b"x" for _ in range(10))

    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    body = AccessLog(app)(environ(), lambda *a: (lambda data: None))
    it = iter(body)
    next(it)
    it.close()  # the server stops reading
    body.close()
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert record.levelno == logging.INFO and CLF.match(record.getMessage())["bytes"] == "1"


# -- the CLI -------------------------------------------------------------------------------
def test_build_app_wraps_in_the_access_log_unless_quiet(sample_index):
    from searchapp.cli import build_app

    logged = build_app(str(sample_index), access_log=True)
    assert isinstance(logged, AccessLog)
    plain = build_app(str(sample_index), access_log=False)
    assert not isinstance(plain, AccessLog) and hasattr(plain, "wsgi_app")


def test_access_log_through_the_real_app(sample_index, caplog):
    import io
    import sys

    from searchapp.cli import build_app

    app = build_app(str(sample_index), access_log=True)
    query = "q=" + quote("بوتين")
    env = environ("/", query, **{
        "wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "8000",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.version": (1, 0)})
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    body = app(env, lambda status, headers, exc_info=None: (lambda data: None))
    size = sum(len(chunk) for chunk in body)
    body.close()
    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    m = CLF.match(record.getMessage())
    assert m["status"] == "200" and int(m["bytes"]) == size > 1000
    assert m["request"] == f"GET /?{query} HTTP/1.1"


def test_serve_help_documents_quiet_and_how_to_stop(runner):
    from searchapp.cli import main

    result = runner.invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--quiet" in result.output and "access log" in result.output
    assert "Ctrl-C" in result.output


def test_serve_says_where_it_listens_and_how_to_stop(runner, sample_index, monkeypatch):
    import waitress

    from searchapp.cli import main

    class Server:
        effective_host, effective_port = "127.0.0.1", 8765

        def run(self):
            raise KeyboardInterrupt  # Ctrl-C

        def close(self):
            self.closed = True

    made = {}
    monkeypatch.setattr(waitress, "create_server",
                        lambda app, **kw: made.setdefault("server", Server()))
    result = runner.invoke(main, ["serve", "--index", str(sample_index), "--port", "0"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765/" in result.stdout and "Ctrl-C to stop" in result.stdout
    assert "stopped" in result.output and made["server"].closed


def _one_article_index(tmp_path):
    """A one-article corpus and its index (one writer process: these tests are about the
    engine)."""
    from searchapp import reindex

    src = write_jsonl(tmp_path / "c" / "a.jsonl",
                      [{"id": "1", "title": "عنوان", "body": "نص عن سوريا"}]).parent
    index = tmp_path / "ix"
    reindex([src], index, procs=1)
    return src, index


def _add_second_article(src, index) -> None:
    """Publish a new generation holding a second article."""
    from searchapp import reindex

    write_jsonl(src / "b.jsonl", [{"id": "2", "title": "عنوان آخر", "body": "نص عن سوريا"}])
    reindex([src], index, procs=1)


def test_script_engine_logs_each_generation_at_debug_only(tmp_path, caplog):
    """A one-shot engine (`searchapp search`, a script) says nothing at INFO."""
    from searchapp import SearchEngine, storage

    src, index = _one_article_index(tmp_path)
    caplog.set_level(logging.DEBUG, logger="searchapp.engine")
    engine = SearchEngine(index)
    engine.search("سوريا")
    first = storage.current_name(index)
    _add_second_article(src, index)
    assert engine.search("سوريا").total == 2
    second = storage.current_name(index)
    served = [r.getMessage() for r in caplog.records if "serving index generation" in
              r.getMessage() and r.levelno == logging.DEBUG]
    assert len(served) == 2, served
    assert not [r for r in caplog.records if "serving index" in r.getMessage()
                and r.levelno > logging.DEBUG]
    assert served[0].startswith(f"serving index generation {first} (1 article")
    assert served[1].startswith(f"serving index generation {second} (2 articles")


def test_server_engine_logs_each_generation_once_at_info(tmp_path, caplog):
    import time

    from searchapp import SearchEngine, storage

    src, index = _one_article_index(tmp_path)
    caplog.set_level(logging.INFO, logger="searchapp.engine")
    engine = SearchEngine(index, background_swap=True)  # as `serve` runs it
    engine.warm()
    _add_second_article(src, index)
    assert engine.doc_count == 1  # the first call after the reindex starts the background swap

    def served() -> list[str]:
        return [r.getMessage() for r in caplog.records if "serving index generation" in
                r.getMessage() and r.levelno == logging.INFO]

    deadline = time.monotonic() + 30
    while len(served()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # a second line for the same generation would come now
    assert engine.search("سوريا").total == 2
    served = served()
    assert len(served) == 2, served
    assert served[1].startswith(f"serving index generation {storage.current_name(index)} "
                                "(2 articles")


def test_real_server_logs_requests_and_stops_on_sigterm(sample_index):
    """The real command in its own process: listening line, one access-log line per request,
    a clean stop (exit 0) on SIGTERM."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    from tests.conftest import ROOT

    proc = subprocess.Popen([sys.executable, "-m", "searchapp.cli", "serve", "--index",
                             str(sample_index), "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline()
        m = re.match(r"serving on (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)$", line)
        assert m, line
        with urllib.request.urlopen(m[1] + "?q=" + quote("بوتين"), timeout=30) as resp:
            assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    (access,) = [ln for ln in err.splitlines() if CLF.match(ln)]
    assert f'"GET /?q={quote("بوتين")} HTTP/1.1" 200 ' in access
    assert "serving index generation" in err and err.rstrip().endswith("stopped")
