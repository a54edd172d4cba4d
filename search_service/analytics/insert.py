"""How analytics rows reach their table: one INSERT with many parameter sets, in the database thread for writes
(database_threads.py); and the check that the table can be written at all."""

import operator
from typing import Any

from django.db import connections, router, transaction

from search_service.database_threads import WRITES
from search_service.models import SearchRecord


def begin_a_write() -> None:
    """In the writes' thread: a write transaction on the analytics table, begun and rolled back. SQLite takes its
    write lock at BEGIN (transaction_mode IMMEDIATE: database.py), so a read-only file or directory says so here."""
    with transaction.atomic(using=router.db_for_write(SearchRecord) or "default"):
        SearchRecord.objects.exists()
        transaction.set_rollback(True)


async def write_rows(rows: list[dict[str, Any]]) -> None:
    await WRITES.run(lambda: insert_rows(rows))  # DatabaseFailed, light, if the database fails


def insert_rows(rows: list[dict[str, Any]]) -> None:
    """One INSERT with many parameter sets, in one transaction, through the ORM's connection.

    Not bulk_create: it compiles SQL for every row, ~38 µs a row on SQLite (a search costs ~1 ms of CPU, so
    ~4% of the throughput went to writing analytics); this costs a few µs. The table, the columns and the values'
    adaptation still come from the model and the backend, and the database's own constraints still apply.
    """
    connection = connections[router.db_for_write(SearchRecord) or "default"]
    quote = connection.ops.quote_name
    fields = [field for field in SearchRecord._meta.concrete_fields if not field.primary_key]
    names = [field.name for field in fields]
    defaults = {field.name: field.get_default() for field in fields}  # for what a row leaves out
    values_of = operator.itemgetter(*names)  # C speed: these loops run once per search
    at_time, at_filters = names.index("timestamp"), names.index("filters")
    filters_field = SearchRecord._meta.get_field("filters")
    no_filters = filters_field.get_db_prep_save([], connection)  # most searches: prepared once a batch
    adapt_time = connection.ops.adapt_datetimefield_value
    parameters = []
    for row in rows:
        values = list(values_of(defaults | row))
        values[at_time] = adapt_time(values[at_time])
        filters = values[at_filters]
        values[at_filters] = filters_field.get_db_prep_save(list(filters), connection) if filters else no_filters
        parameters.append(values)
    sql = (
        f"INSERT INTO {quote(SearchRecord._meta.db_table)} ({', '.join(quote(str(field.column)) for field in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.executemany(sql, parameters)
