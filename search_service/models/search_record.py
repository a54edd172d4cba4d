"""One row per search: what was asked, what it found, how long it took. Written by analytics/recorder.py."""

from django.db import models

MAX_QUERY_TEXT = 1_000  # as long as `q` may be


class SearchRecord(models.Model):
    timestamp = models.DateTimeField(db_index=True)  # when the search ended; every report and the pruning read it
    # Lower-cased, whitespace collapsed (analytics/record.py); null when SEARCH_ANALYTICS_QUERY_TEXT is off.
    query = models.CharField(max_length=MAX_QUERY_TEXT, null=True)  # noqa: DJ001 (no text is not empty text)
    mode = models.CharField(max_length=16)
    filters = models.JSONField(default=list)  # the `filter` parameters as sent, sorted
    page = models.PositiveIntegerField(null=True)  # null on a page reached by cursor
    status = models.PositiveSmallIntegerField()
    total_hits = models.PositiveIntegerField(null=True)  # null when the search failed
    zero_results = models.BooleanField(default=False)  # answered, and found nothing
    latency_ms = models.FloatField()  # in the service, from the request's arrival to its answer
    elasticsearch_took_ms = models.PositiveIntegerField(null=True)  # Elasticsearch's own `took`
    api_key_prefix = models.CharField(max_length=16, default="")  # the caller's key, when keys exist
    api = models.CharField(max_length=16, default="search")  # which API answered: `search` or `instantsearch`
    cached = models.BooleanField(default=False)  # answered by the answer cache, without a search of its own
    # A tenant token's label (tenants/), under its parent's api_key_prefix; empty without a token. Never the token.
    tenant = models.CharField(max_length=64, default="")

    class Meta:
        indexes = (models.Index(fields=["zero_results", "timestamp"], name="zero_results_by_time"),)

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.query!r} {self.status} {self.total_hits}"
