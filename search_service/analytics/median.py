"""MEDIAN(), computed by the database: PostgreSQL's percentile_cont, and on SQLite an aggregate function this
module adds to every connection (SQLite has none; Django adds its own functions the same way)."""

import statistics
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, FloatField
from django.db.models.sql.compiler import SQLCompiler


class Median(Aggregate):
    function = "MEDIAN"
    name = "Median"
    output_field = FloatField()

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="PERCENTILE_CONT",
            template="%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )


class _SQLiteMedian:
    """SQLite's aggregate protocol: step() per row of the group, finalize() for its value."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def add_median_to_sqlite(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """A connection_created receiver (apps.py)."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("MEDIAN", 1, _SQLiteMedian)
