"""The ``searchapp`` command line: thin wrappers over the Python API."""

from __future__ import annotations

import errno
import html
import json
import logging
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from searchapp import exitcodes, storage
from searchapp.accesslog import ACCESS_LOGGER, AccessLog
from searchapp.engine import MAX_PER_PAGE
from searchapp.indexer import EmptyInput, ReindexReport, ensure_index, reindex
from searchapp.progress import BarAwareHandler, Progress, summary_lines

log = logging.getLogger("searchapp")
DEFAULT_CORPUS = "corpus/"
DEFAULT_INDEX = "index"
_TAG = re.compile(r"<[^>]+>")
# C0/C1 controls and bidi embeddings/overrides/isolates: printed as \uXXXX so that corpus text
# can never drive the terminal (an escape sequence sets the window title, U+202E flips text).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ENV_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
               errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
               errno.EDQUOT: "the disk quota is exceeded", errno.EADDRINUSE:
               "the address is already in use", errno.EADDRNOTAVAIL: "the address is not "
               "available on this machine"}


def terminal_safe(text: str) -> str:
    """``text`` with every control character shown as an escape instead of obeyed."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _fail(code: int, message: str) -> None:
    click.echo(f"searchapp: {message}", err=True)
    sys.exit(code)


def handled(func: Callable[..., Any]) -> Callable[..., Any]:
    """One line and a documented exit code for every failure a user can meet; a traceback
    only for a bug, and only with ``-v``."""

    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except storage.IndexLocked as e:
            _fail(exitcodes.LOCKED, str(e))
        except (storage.IndexCorrupt, storage.IndexVersionError) as e:
            _fail(exitcodes.DAMAGED, str(e))
        except storage.IndexMissing as e:
            _fail(exitcodes.INPUT, str(e))
        except (EmptyInput, FileNotFoundError) as e:
            _fail(exitcodes.INPUT, str(e))
        except KeyboardInterrupt:
            _fail(exitcodes.INTERRUPTED, "interrupted; the previous index is still live")
        except BrokenPipeError:  # `searchapp search ... | head`: the reader has gone
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(exitcodes.OK)
        except OSError as e:
            if e.errno in _ENV_ERRNOS:
                where = f" ({e.filename})" if e.filename else ""
                _fail(exitcodes.ENVIRONMENT, f"{_ENV_ERRNOS[e.errno]}{where}; the previous "
                      "index, if any, is still live")
            _fail(exitcodes.ENVIRONMENT, f"{e.strerror or e}"
                  f"{f' ({e.filename})' if e.filename else ''}")
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as e:  # a bug: say so, keep the traceback for -v
            if logging.getLogger("searchapp").isEnabledFor(logging.DEBUG):
                traceback.print_exc()
            _fail(exitcodes.INTERNAL, f"internal error ({type(e).__name__}: {e}); run again "
                  "with -v for the details and report it")

    return run


class _Stop:
    """Ctrl-C and SIGTERM (``timeout``, systemd) stop a reindex at the next article, a point
    where unwinding is clean: raised asynchronously, KeyboardInterrupt could land inside the
    writer's own cleanup (measured: tracebacks from logging and Whoosh's temp files). A second
    signal stops at once."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def tick(self, update: Callable[[int], None]) -> Callable[[int], None]:
        def progress(count: int) -> None:
            if self.requested:
                raise KeyboardInterrupt
            update(count)
        return progress


index_option = click.option(
    "--index", "index_dir", default=DEFAULT_INDEX, show_default=True,
    type=click.Path(file_okay=False), help="Index directory.",
)
cluster_option = click.option(
    "--cluster", default=None, metavar="auto|ADDRESS",
    help="A sharded index: its shards on the Ray cluster at ADDRESS (auto: the one running "
    "on this machine, else a local one for this command). Needs the `cluster` extra. "
    "Without it a sharded index is searched in this process, shard after shard.")


def _engine(index_dir: str, cluster: str | None, replicas: int = 1,
            background_swap: bool = False) -> Any:
    """The engine for ``index_dir``: one index, or a sharded one (here, or on Ray)."""
    from searchapp.coordinator import open_engine
    from searchapp.shards import is_sharded

    if cluster is None:
        return open_engine(index_dir, background_swap=background_swap)
    if not is_sharded(index_dir):
        raise click.UsageError(f"--cluster needs a sharded index; {os.path.abspath(index_dir)}"
                               " is not one (build it with `searchapp reindex PATH... --index "
                               "DIR --shards N`)")
    from searchapp import cluster as ray_cluster

    return ray_cluster.engine(index_dir, address=cluster, replicas=replicas,
                              background_swap=background_swap)


class _CliFormatter(logging.Formatter):
    """``time LEVEL logger: message``, with control characters from corpus paths and
    reasons shown escaped (see :func:`terminal_safe`); access-log records are printed as they
    are (a Common Log Format line carries its own time)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if record.name == ACCESS_LOGGER:
            return terminal_safe(record.getMessage())
        return terminal_safe(super().format(record))


def setup_logging(verbose: bool = False, quiet: bool = False) -> logging.Handler:
    """Send the ``searchapp`` and ``waitress`` loggers to stderr through one handler that
    keeps clear of the progress bar (:class:`BarAwareHandler`). ``quiet``: warnings and
    errors only. Called by every command, so levels never leak from one run to the next
    in the same process (tests, embedding); a previous handler of ours is replaced, and
    handlers others installed on the root logger are left alone."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, BarAwareHandler)]:
        root.removeHandler(old)
    handler = BarAwareHandler()
    handler.setFormatter(_CliFormatter())
    handler.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    root.addHandler(handler)
    for name in ("searchapp", "waitress"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler


def _quiet_logging() -> None:
    """``-q`` of a command: warnings and errors only, on the handler :func:`main` set up."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, BarAwareHandler):
            handler.setLevel(max(handler.level, logging.WARNING))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.version_option(package_name="searchapp")
def main(verbose: bool) -> None:
    """Full-text search for Arabic news."""
    setup_logging(verbose=verbose)


@main.command("reindex")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating.")
@click.option("--wait", is_flag=True, help="Wait for a running reindex instead of failing.")
@click.option("--source", default=None, help="Source name for records that carry none.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar and no info lines: only warnings, errors, the summary "
              "by reason and the result line.")
@click.option("--allow-empty", is_flag=True,
              help="Publish even when the inputs hold no article (empties the index).")
@click.option("--shards", type=click.IntRange(1, 1024), default=None,
              help="Write a sharded index of N shards at --index (a sharded index keeps its "
              "count without it; another count is a full rebuild).")
@click.option("--cluster", default=None, metavar="auto|ADDRESS",
              help="Build the shards in parallel as Ray tasks on this cluster (auto: this "
              "machine's, else a local one).")
@handled
def reindex_cmd(paths, index_dir, full, wait, source, as_json, quiet, allow_empty, shards,
                cluster) -> None:
    """Index the articles under PATHS (default: corpus/).

    stderr gets one line per rejected record as it is found (WARNING; ERROR when bytes could
    not be read, which may hide an article), then a summary by reason; stdout the result.

    Exit codes: 0 done (rejected records are listed on stderr), 3 an input could not be read
    completely or held no article, 4 another reindex is running, 5 the index is damaged,
    6 disk full / read-only / permission denied, 130 interrupted."""
    if quiet:
        _quiet_logging()
    stop = _Stop()
    stop.install()
    from searchapp.shards import is_sharded, read_manifest

    if shards is None and is_sharded(index_dir):
        shards = read_manifest(index_dir).shards
    if cluster is not None and shards is None:
        raise click.UsageError("--cluster builds a sharded index: give --shards N")
    if shards is not None:
        report = _reindex_sharded(paths or [DEFAULT_CORPUS], index_dir, shards, full, source,
                                  allow_empty, cluster, stop, quiet or as_json)
        estimate = None
    else:
        estimate = None if full else storage.document_count(index_dir)
    with Progress(enabled=not quiet and not as_json and shards is None,
                  total=estimate) as progress:
        if shards is None:
            report = reindex(paths or [DEFAULT_CORPUS], index_dir, full=full, wait=wait,
                             source=source, progress=stop.tick(progress.update),
                             allow_empty=allow_empty)
    if stop.requested:  # the signal came after the last article: the run completed
        _fail(exitcodes.INTERRUPTED, f"interrupted after the reindex completed (generation "
              f"{report.generation or 'unchanged'} is live)")
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        click.echo(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"deleted {report.deleted}, errors {len(report.errors)} "
            f"({report.documents} documents, {report.seconds:.1f} s)"
        )
    _print_summary(report)
    if report.input_problem:
        sys.exit(exitcodes.INPUT)


def _reindex_sharded(paths, index_dir: str, shards: int, full: bool, source: str | None,
                     allow_empty: bool, cluster: str | None, stop: _Stop, quiet: bool):
    """``reindex --shards N``: shard after shard here (one progress bar over every shard's
    reading of the inputs), or as parallel Ray tasks with ``--cluster``."""
    if cluster is not None:
        from searchapp import cluster as ray_cluster

        report = ray_cluster.build(paths, index_dir, shards, full=full, source=source,
                                   address=cluster, allow_empty=allow_empty)
    else:
        from searchapp.shards import reindex_sharded

        with Progress(enabled=not quiet, total=None) as progress:
            report = reindex_sharded(paths, index_dir, shards, full=full, source=source,
                                     progress=stop.tick(progress.update),
                                     allow_empty=allow_empty)
    if report.full_rebuild:
        log.info("sharded index of %d shards built from scratch", shards)
    return report


def _print_summary(report: ReindexReport) -> None:
    """The end of a reindex on stderr: problems and skipped files counted by reason (each was
    logged once as it was found; this is the overview), then what an unreadable path means.
    The "no article found" verdict, already logged, is not a reason of its own."""
    errors = report.errors[:-1] if report.empty_input else report.errors
    lines = [*summary_lines("problems by reason", errors, "problem"),
             *summary_lines("skipped by reason", report.skipped, "path")]
    lines += [f"warning: {path} could not be read completely: its articles were kept as they "
              "were" for path in report.incomplete]
    for line in lines:
        click.echo(terminal_safe(line), err=True)


@main.command("search")
@click.argument("query")
@index_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, MAX_PER_PAGE))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--collapse/--no-collapse", default=True, show_default=True,
              help="Fold near-duplicate articles under one result, as the web page does.")
@click.option("--correct/--no-correct", default=True, show_default=True,
              help="Search the spelling correction when it finds clearly more results.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the same bytes as /api/search for the same query and options.")
@cluster_option
@handled
def search_cmd(query: str, index_dir: str, limit: int, page: int, collapse: bool,
               correct: bool, as_json: bool, cluster: str | None) -> None:
    """Search the index and print the ranked articles (exit 5: damaged index)."""
    engine = _engine(index_dir, cluster)
    res = engine.search(query, page=page, per_page=limit, collapse=collapse,
                        autocorrect=correct)
    if res.missing_shards:
        click.echo(f"warning: partial results, no answer from {', '.join(res.missing_shards)}",
                   err=True)
    if as_json:  # the API's own serializer, so the two never drift apart
        from searchapp.sources import load_source_names
        from searchapp.web_api import dumps

        click.echo(dumps(res.to_dict(load_source_names())))
        return
    if res.corrected_from:
        click.echo(terminal_safe(f"results for {res.query} (searched instead of "
                                 f"{res.corrected_from}; --no-correct for the exact words)"))
    click.echo(f"{res.total} results ({res.seconds * 1000:.0f} ms)")
    for n, hit in enumerate(res.hits, (page - 1) * limit + 1):
        click.echo(terminal_safe(f"{n}. {hit.title}  [{hit.score:.2f}]  id={hit.id}"))
        if hit.snippet:
            click.echo("   " + terminal_safe(html.unescape(_TAG.sub("", hit.snippet))))
        if hit.similar:
            click.echo(f"   + {len(hit.similar)} similar")


def build_app(index_dir: str, access_log: bool = True, engine: Any = None) -> Callable:
    """The WSGI app ``serve`` runs: the search site with its index prepared, wrapped in the
    access log (:class:`searchapp.accesslog.AccessLog`) unless ``access_log`` is False. The
    engine is warmed here, before the first reader comes: per-index arrays now, the hottest
    postings on a background thread."""
    from searchapp.web import create_app

    app = create_app({"INDEX_DIR": index_dir, "ENGINE": engine})
    app.extensions["searchapp"].warm(background_preload=True)
    return AccessLog(app) if access_log else app


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _stop_on_sigterm() -> None:
    """SIGTERM (systemd, ``docker stop``, ``kill``) stops the server as Ctrl-C does: the
    listening socket is closed, "stopped" is said, exit 0."""
    def stop(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--corpus", "corpus", default=DEFAULT_CORPUS, show_default=True,
              help="Corpus to index when the index is missing.")
@click.option("-q", "--quiet", is_flag=True,
              help="No access log and no info lines: only warnings and errors.")
@index_option
@cluster_option
@click.option("--replicas", default=1, show_default=True, type=click.IntRange(1, 16),
              help="With --cluster: Ray actors serving each shard, on different nodes.")
@handled
def serve_cmd(host: str, port: int, threads: int, corpus: str, quiet: bool,
              index_dir: str, cluster: str | None, replicas: int) -> None:
    """Serve the search site with waitress, building the index first if none exists.
    Ctrl-C (or SIGTERM) to stop: exit 0.

    stderr gets an access log, one line per request in the Common Log Format plus the time
    in ms (queries percent-encoded, as received), and a line for each index generation
    served (the one at start, then each one a reindex publishes).

    A damaged or incompatible index is refused (exit 5), never replaced by the corpus."""
    import waitress

    if quiet:
        _quiet_logging()
    from searchapp.shards import is_sharded

    if is_sharded(index_dir):
        engine = _engine(index_dir, cluster, replicas, background_swap=True)
    else:
        if cluster is not None:
            _engine(index_dir, cluster)  # says why: --cluster needs a sharded index
        if ensure_index([corpus], index_dir):
            click.echo(f"built the index in {os.path.abspath(index_dir)} from "
                       f"{os.path.abspath(corpus)}")
        engine = None
    server = waitress.create_server(build_app(index_dir, access_log=not quiet, engine=engine),
                                    host=host, port=port, threads=threads, ident="searchapp")
    where = _url(getattr(server, "effective_host", host), getattr(server, "effective_port",
                                                                  port))
    click.echo(f"serving on {where} (Ctrl-C to stop)")
    _stop_on_sigterm()
    try:
        server.run()  # waitress returns from run() on KeyboardInterrupt, socket closed
    except KeyboardInterrupt:  # one that came outside its loop: the same documented stop
        pass
    finally:
        server.close()
    click.echo("stopped", err=True)


@main.command("check")
@index_option
@handled
def check_cmd(index_dir: str) -> None:
    """Verify every file and read the whole index back. Exit 5 on any problem."""
    from searchapp.check import check_index
    from searchapp.shards import is_sharded

    if not storage.index_exists(index_dir) and not is_sharded(index_dir):
        raise storage.IndexMissing(f"no index at {os.path.abspath(index_dir)}: build one with "
                                   f"`searchapp reindex PATH... --index "
                                   f"{os.path.abspath(index_dir)}`")
    report = check_index(index_dir)
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    for p in report.problems:
        click.echo(f"problem: {p}", err=True)
    if not report.ok:
        sys.exit(exitcodes.DAMAGED)
    click.echo(f"ok: {report.documents} documents in {report.generation}")


if __name__ == "__main__":
    main()
