"""Log records as JSON lines, for the access log (config/settings.py, LOGGING). Imports nothing of the service:
Django loads it while it configures logging, before the apps are ready."""

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

LINE_SEPARATORS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029"})


class JsonFormatter(logging.Formatter):
    """A record as one JSON object on one line: an access record's fields, or any other record's level, logger and
    message (and its traceback, if any, as a string)."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        fields = getattr(record, "access", None)
        if isinstance(fields, dict):
            line: dict[str, Any] = {"time": moment, **fields}
        else:
            line = {"time": moment, "level": record.levelname, "logger": record.name, "message": record.getMessage()}
            if record.exc_info:
                line["exception"] = self.formatException(record.exc_info)
        # JSON allows U+2028 and U+2029 raw, but many log tools (and JavaScript before ES2019) read them as line
        # breaks: a path or `q` holding one made one record read as three lines. Escaped, the line is one line.
        text = orjson.dumps(line, default=str).decode()
        if "\u2028" in text or "\u2029" in text:  # rare: looked for first, since translate costs ~3 µs a line
            return text.translate(LINE_SEPARATORS)
        return text
