"""Faults the service finds in what Elasticsearch answered. Imports nothing from the project, so any module may raise
them (the query package among them) without an import cycle; errors.py turns them into HTTP answers."""


class ElasticsearchAnswerMalformed(Exception):
    """Elasticsearch answered 2xx, but not in the shape the service relies on: no `hits`, a hit without `_id`,
    a cluster health without `status`.

    Answered 502 `elasticsearch_bad_answer`. The message is logged, never shown to the caller, so it may quote
    the answer.
    """
