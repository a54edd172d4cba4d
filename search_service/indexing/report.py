"""What a load did, and how the commands say it: one line per failed input line, then a short summary. Pure."""

from dataclasses import dataclass, field

from search_service.indexing.source import BadLine

# Enough to see what is wrong with a file; a file wrong on every line would otherwise print itself again.
FAILURES_SHOWN = 100


@dataclass
class LoadReport:
    alias: str
    index: str  # the new concrete index
    previous: tuple[str, ...] = ()  # what the alias pointed at before (or the concrete index it replaced)
    replaced_index: bool = False  # `previous` was a concrete index under the alias's name, now deleted
    indexed: int = 0  # lines Elasticsearch accepted
    failed: int = 0  # lines refused, here or by Elasticsearch
    failures: list[BadLine] = field(default_factory=list)  # the first FAILURES_SHOWN, by line number
    documents: int = 0  # in the new index after the load: fewer than `indexed` when ids repeat
    seconds: float = 0.0
    deleted: tuple[str, ...] = ()  # older versions deleted after the swap
    server_version: str | None = None


def failure_lines(failures: list[BadLine], failed: int, limit: int = FAILURES_SHOWN) -> list[str]:
    """`line N: reason` for each failure shown, then how many more there were."""
    lines = [f"line {failure.line}: {failure.reason}" for failure in failures[:limit]]
    if failed > len(lines):
        lines.append(f"…and {failed - len(lines):,} more")
    return lines


def summary_lines(report: LoadReport) -> list[str]:
    rate = report.indexed / report.seconds if report.seconds > 0 else 0.0
    before = ", ".join(report.previous) or "nothing"
    if report.replaced_index:
        before = f"the index {report.alias} (deleted)"
    return [
        f"{report.indexed:,} documents indexed, {report.failed:,} lines failed, in {report.seconds:.1f} s "
        f"({rate:,.0f} documents/s)",
        f"index {report.index}: {report.documents:,} documents",
        f"alias {report.alias}: {before} → {report.index}",
        f"deleted: {', '.join(report.deleted) or 'nothing'}",
    ]
