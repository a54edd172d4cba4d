"""The database Django uses: DATABASE_URL's, or SQLite in DATA_DIR. Only search analytics use it."""

import contextlib
from pathlib import Path
from typing import Any

import dj_database_url

from search_service.settings import ServiceSettings

# Reads never wait for the writer in WAL mode, and a writer waits up to SQLITE_BUSY_SECONDS for another (several
# workers share the file) instead of failing at once. synchronous=NORMAL is WAL's usual pairing: a power cut may
# lose the last batch, never corrupt the file.
SQLITE_INIT = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
SQLITE_BUSY_SECONDS = 20
SQLITE_FILE = "search-service.sqlite3"

# A server database's connection is kept this long and checked before reuse (analytics/recorder.py closes
# it when stale); SQLite's file handle is kept for the life of the process.
CONNECTION_MAX_AGE = 600


def database_config(config: ServiceSettings, base_dir: Path) -> dict[str, Any]:
    if config.database_url is not None:
        database: dict[str, Any] = dict(
            dj_database_url.parse(
                config.database_url.get_secret_value(), conn_max_age=CONNECTION_MAX_AGE, conn_health_checks=True
            )
        )
        if database["ENGINE"] == "django.db.backends.sqlite3":
            database["OPTIONS"] = sqlite_options() | database.get("OPTIONS", {})
        return database
    data_dir = config.data_dir if config.data_dir.is_absolute() else base_dir / config.data_dir
    with contextlib.suppress(OSError):  # read-only or missing: the first query says so, naming the file
        data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": data_dir / SQLITE_FILE,
        "CONN_MAX_AGE": None,
        "OPTIONS": sqlite_options(),
    }


def sqlite_options() -> dict[str, Any]:
    return {"init_command": SQLITE_INIT, "timeout": SQLITE_BUSY_SECONDS, "transaction_mode": "IMMEDIATE"}
