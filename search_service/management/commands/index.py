"""`manage.py index FILE`: load JSON Lines (or CSV) into a new index and move the alias ELASTICSEARCH_INDEX onto it
in one atomic step; see search_service/indexing/."""

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from search_service.elastic import client_options
from search_service.indexing.command import run_load
from search_service.indexing.definition import IndexDefinition, parse_definition
from search_service.indexing.errors import DefinitionError
from search_service.indexing.loader import LoadPlan
from search_service.indexing.source import read_csv, read_json_lines

# Stop a load once this many lines failed, unless told otherwise: a few bad lines in a large file are reported and
# the rest goes live, but a file wrong throughout (the wrong format, a mapping that fits none of it) is stopped
# early, before the alias moves onto an index missing much of the data.
DEFAULT_MAX_ERRORS = 1000


class Command(BaseCommand):
    help = (
        "Load JSON Lines (one document per line, `_id` optional) or CSV into a new index <alias>-<timestamp>, then "
        "move the alias (ELASTICSEARCH_INDEX) onto it atomically and delete older versions. Failed lines are listed "
        "by number; any makes the exit status non-zero."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the input: a .jsonl (or .csv) file, or - for stdin")
        parser.add_argument(
            "--mapping",
            type=Path,
            help='JSON file: {"mappings": ..., "settings": ...} or a mappings object {"properties": ...} '
            "(default: the mapping of the index the alias points at, else dynamic mapping)",
        )
        parser.add_argument("--alias", help="the alias to move (default: ELASTICSEARCH_INDEX)")
        parser.add_argument("--format", choices=["jsonl", "csv"], help="default: csv for *.csv, else jsonl")
        parser.add_argument(
            "--keep",
            type=int,
            default=1,
            help="versions to keep, the new one included (default 1; 2 keeps the previous one for a quick switch back)",
        )
        parser.add_argument(
            "--max-errors",
            type=int,
            default=DEFAULT_MAX_ERRORS,
            help="stop, delete the new index and leave the alias once more lines than this failed "
            f"(default {DEFAULT_MAX_ERRORS})",
        )
        parser.add_argument(
            "--replace-index",
            action="store_true",
            help="if a concrete index has the alias's name, delete it in the same atomic step that adds the alias",
        )
        parser.add_argument("--chunk-size", type=int, default=LoadPlan.chunk_size, help="documents per bulk request")
        parser.add_argument(
            "--grace",
            type=float,
            help="seconds between the swap and deleting the index that served searches, so that searches already "
            "running on it end (default: ELASTICSEARCH_REQUEST_TIMEOUT, the longest the service waits for one); "
            "the command also waits up to 2 s of it after the swap, so that once it returns no cached answer of "
            "the old index is served",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["keep"] < 1 or options["max_errors"] < 0 or options["chunk_size"] < 1:
            raise CommandError("--keep and --chunk-size must be at least 1, --max-errors at least 0")
        config = settings.SEARCH
        plan = LoadPlan(
            alias=options["alias"] or config.elasticsearch_index,
            definition=read_definition(options["mapping"]),
            keep=options["keep"],
            max_errors=options["max_errors"],
            replace_index=options["replace_index"],
            grace_seconds=config.elasticsearch_request_timeout if options["grace"] is None else options["grace"],
            chunk_size=options["chunk_size"],
        )
        csv = options["format"] == "csv" or (options["format"] is None and options["file"].endswith(".csv"))
        with opened(options["file"]) as stream:
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="") if csv else None
            rows = read_csv(text) if text is not None else read_json_lines(stream)
            run_load(self, client_options=client_options(config), rows=rows, plan=plan)


def read_definition(path: Path | None) -> IndexDefinition | None:
    if path is None:
        return None
    try:
        return parse_definition(path.read_bytes())
    except OSError as error:
        raise CommandError(f"cannot read the mapping file: {error}") from None
    except DefinitionError as error:
        raise CommandError(f"{path}: {error}") from None


@contextmanager
def opened(name: str) -> Iterator[IO[bytes]]:
    """The input as bytes: stdin for `-`, else the file (JSON Lines is read as bytes, which orjson parses)."""
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(name, "rb")  # noqa: SIM115  # closed below; the error above is the command's own
    except OSError as error:
        raise CommandError(f"cannot read {name}: {error.strerror}") from None
    with stream:
        yield stream
