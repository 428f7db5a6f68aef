"""The ``searchapp`` command line: thin wrappers over the Python API."""

from __future__ import annotations

import html
import json
import logging
import re
import sys

import click

from searchapp import storage
from searchapp.engine import MAX_PER_PAGE, SearchEngine
from searchapp.indexer import ensure_index, reindex
from searchapp.progress import Progress

log = logging.getLogger("searchapp")
DEFAULT_CORPUS = "corpus/"
DEFAULT_INDEX = "index"
_TAG = re.compile(r"<[^>]+>")

index_option = click.option(
    "--index", "index_dir", default=DEFAULT_INDEX, show_default=True,
    type=click.Path(file_okay=False), help="Index directory.",
)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.version_option(package_name="searchapp")
def main(verbose: bool) -> None:
    """Full-text search for Arabic news."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command("reindex")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating.")
@click.option("--wait", is_flag=True, help="Wait for a running reindex instead of failing.")
@click.option("--source", default=None, help="Source name for records that carry none.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def reindex_cmd(paths, index_dir, full, wait, source, as_json, quiet) -> None:
    """Index the articles under PATHS (default: corpus/). Exits 1 if any input had errors."""
    if quiet:
        logging.getLogger("searchapp").setLevel(logging.WARNING)
    try:
        estimate = None if full else storage.document_count(index_dir)
        with Progress(enabled=not quiet and not as_json, total=estimate) as progress:
            report = reindex(paths or [DEFAULT_CORPUS], index_dir, full=full, wait=wait,
                             source=source, progress=progress.update)
    except storage.IndexLocked as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        click.echo(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"deleted {report.deleted}, errors {len(report.errors)} "
            f"({report.documents} documents, {report.seconds:.1f} s)"
        )
        for err in report.errors:
            click.echo(f"error: {err}", err=True)
    if report.errors:
        sys.exit(1)


@main.command("search")
@click.argument("query")
@index_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, MAX_PER_PAGE))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print the same object as /api/search.")
def search_cmd(query: str, index_dir: str, limit: int, page: int, as_json: bool) -> None:
    """Search the index and print the ranked articles."""
    engine = _engine(index_dir)
    try:
        res = engine.search(query, page=page, per_page=limit)
    except storage.IndexError_ as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(res.to_dict(), ensure_ascii=False))
        return
    click.echo(f"{res.total} results ({res.seconds * 1000:.0f} ms)")
    for n, hit in enumerate(res.hits, (page - 1) * limit + 1):
        click.echo(f"{n}. {hit.title}  [{hit.score:.2f}]  id={hit.id}")
        if hit.snippet:
            click.echo("   " + html.unescape(_TAG.sub("", hit.snippet)))


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--corpus", "corpus", default=DEFAULT_CORPUS, show_default=True,
              help="Corpus to index when the index is missing.")
@index_option
def serve_cmd(host: str, port: int, threads: int, corpus: str, index_dir: str) -> None:
    """Serve the search site with waitress, building the index first if it is missing."""
    import waitress

    from searchapp.web import create_app

    if ensure_index([corpus], index_dir):
        click.echo(f"built the index in {index_dir} from {corpus}")
    app = create_app({"INDEX_DIR": index_dir})
    app.extensions["searchapp"].warm()  # load per-index arrays before the first reader comes
    click.echo(f"serving on http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="searchapp")


@main.command("check")
@index_option
def check_cmd(index_dir: str) -> None:
    """Read the whole index and report problems. Exits 1 if there are any."""
    from searchapp.check import check_index

    report = check_index(index_dir)
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    for p in report.problems:
        click.echo(f"problem: {p}", err=True)
    if not report.ok:
        sys.exit(1)
    click.echo(f"ok: {report.documents} documents in {report.generation}")


def _engine(index_dir: str) -> SearchEngine:
    try:
        return SearchEngine(index_dir)
    except storage.IndexError_ as e:
        raise click.ClickException(str(e)) from None


if __name__ == "__main__":
    main()
