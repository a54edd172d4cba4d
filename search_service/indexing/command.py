"""What `manage.py index` and `load_demo` both do around a load: the client, the progress bar, the report, and
every failure as one line (CommandError prints no traceback)."""

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from elasticsearch import ApiError, AsyncElasticsearch, TransportError
from tqdm import tqdm

from search_service.indexing.errors import LoadError, TooManyFailures, describe_elasticsearch_failure
from search_service.indexing.loader import LoadPlan, load_index
from search_service.indexing.report import LoadReport, failure_lines, summary_lines
from search_service.indexing.source import Parsed


def run_load(
    command: BaseCommand,
    *,
    client_options: dict[str, Any],
    rows: Iterable[Parsed],
    plan: LoadPlan,
    total: int | None = None,
) -> LoadReport:
    """Load `rows` as `plan` says and write what happened: the failed lines to stderr, the summary to stdout.
    Raises CommandError if the load stopped, or, after the swap, if any line failed (so scripts see it)."""
    # tqdm hides itself when stderr is not a terminal (disable=None), so logs stay clean.
    with tqdm(total=total, unit=" lines", desc=f"loading {plan.alias}", disable=None) as bar:
        try:
            report = asyncio.run(_load(client_options, rows, plan, bar.update))
        except TooManyFailures as error:
            bar.close()
            _write_failures(command, failure_lines(error.failures, error.failed))
            raise CommandError(str(error)) from None
        except LoadError as error:
            raise CommandError(str(error)) from None
        except (ApiError, TransportError) as error:
            raise CommandError(describe_elasticsearch_failure(error)) from None
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read the input: {error}") from None
    _write_failures(command, failure_lines(report.failures, report.failed))
    for line in summary_lines(report):
        command.stdout.write(line)
    if report.failed:
        raise CommandError(
            f"{report.failed:,} lines failed (listed above); the alias {report.alias} now points at {report.index}, "
            f"which holds the other {report.indexed:,}"
        )
    return report


async def _load(
    options: dict[str, Any], rows: Iterable[Parsed], plan: LoadPlan, progress: Callable[[int], object]
) -> LoadReport:
    async with AsyncElasticsearch(**options) as client:
        return await load_index(client, rows, plan, progress=progress)


def _write_failures(command: BaseCommand, lines: list[str]) -> None:
    for line in lines:
        command.stderr.write(line)
