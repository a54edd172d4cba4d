"""Input for the loader: JSON Lines or CSV read into rows to index, or bad lines with their number and a reason.

Pure: it reads from an iterable of lines it is given (a file, stdin, a list in a test) and never fails on bad
data; a line that cannot become a document is reported, the others go on.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

ID_FIELD = "_id"
_BOM = b"\xef\xbb\xbf"
# orjson says where in the line it stopped as "line 1 column 7 (char 6)"; the line is ours to say, not its.
_POSITION = re.compile(r": line \d+ column (\d+) \(char \d+\)$")


@dataclass(slots=True)  # not frozen: one is made per line, and a frozen dataclass is slower to make
class Row:
    """A document to index: `line` in the input, its `_id` if the input gave one (else Elasticsearch makes one)."""

    line: int
    id: str | None
    source: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str


Parsed = Row | BadLine


def row_from_object(line: int, value: object) -> Parsed:
    """`value` as a document, its `_id` taken out of it (in place: Elasticsearch refuses `_id` in a source)."""
    if not isinstance(value, dict):
        return BadLine(line, f"not a JSON object (a JSON {_json_type(value)})")
    if ID_FIELD not in value:
        return Row(line, None, value)
    source = value
    given = source.pop(ID_FIELD)
    # A number is a fine id (Elasticsearch stores ids as strings); a bool would be one by accident.
    if isinstance(given, int) and not isinstance(given, bool):
        given = str(given)
    if not isinstance(given, str) or not given:
        return BadLine(line, f"_id must be a non-empty string, not {orjson.dumps(given).decode()[:40]}")
    return Row(line, given, source)


def parse_json_line(line: int, raw: bytes) -> Parsed | None:
    """One line of JSON Lines; None for a blank line (a trailing newline, a spacer), which is no document."""
    if line == 1:
        raw = raw.removeprefix(_BOM)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if not raw.strip():  # looked at only now: most lines are not blank, and strip() copies the line
            return None
        where = _POSITION.sub(r" at column \1", str(error))
        return BadLine(line, f"not JSON ({where})")
    return row_from_object(line, value)


def read_json_lines(lines: Iterable[bytes]) -> Iterator[Parsed]:
    """Every line of a JSON Lines input, numbered from 1, blank lines skipped."""
    for number, raw in enumerate(lines, start=1):
        parsed = parse_json_line(number, raw)
        if parsed is not None:
            yield parsed


def read_csv(lines: Iterable[str]) -> Iterator[Parsed]:
    """A CSV input whose first line names the fields; an empty cell is a missing field, every value a string
    (Elasticsearch turns "4.5" into a float for a float field). A `_id` column gives the ids. A record quoted
    over several lines is numbered by its first line."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        yield BadLine(reader.line_num, f"not CSV ({error})")
        return
    first = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield BadLine(first, f"not CSV ({error})")
        else:
            if len(cells) > len(header):
                yield BadLine(first, f"{len(cells)} fields where the header names {len(header)}")
            elif any(cells):
                yield row_from_object(first, {name: cell for name, cell in zip(header, cells, strict=False) if cell})
        first = reader.line_num + 1


@dataclass(frozen=True, slots=True)
class Batch:
    rows: list[Row]
    bad: list[BadLine]
    lines: int  # input lines it covers, for a progress bar


def batches(parsed: Iterable[Parsed], size: int) -> Iterator[Batch]:
    """`parsed` in batches of `size` rows (one bulk chunk each), with the bad lines met on the way. A batch also
    ends after `size` bad lines, so that an input bad throughout is stopped by --max-errors without being read
    to its end."""
    rows: list[Row] = []
    bad: list[BadLine] = []
    done = last = 0
    for item in parsed:
        last = item.line
        if isinstance(item, Row):
            rows.append(item)
        else:
            bad.append(item)
        if len(rows) >= size or len(bad) >= size:
            yield Batch(rows, bad, last - done)
            rows, bad, done = [], [], last
    if rows or bad:
        yield Batch(rows, bad, last - done)


def rows_from_documents(documents: Iterable[dict[str, Any]]) -> Iterator[Parsed]:
    """Documents made in Python (the demo's), numbered in the order they come, `_id` as in a line of input."""
    for number, document in enumerate(documents, start=1):
        yield row_from_object(number, dict(document))  # a copy: the caller's document keeps its _id


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
