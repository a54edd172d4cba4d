"""An API key: who calls the service. Only a hash of the key is stored; its prefix is shown to tell keys apart."""

from django.db import models

from search_service.keys.format import PREFIX_LENGTH


class ApiKey(models.Model):
    name = models.CharField(max_length=100)  # whose it is, for people: "mobile app", "partner X"
    # The key's public part (keys/format.py): unique, so that a presented key is found by it with one index lookup.
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    key_hash = models.CharField(max_length=64)  # SHA-256 of the whole key, hex; a stolen table reveals no key
    scopes = models.JSONField(default=list)  # a subset of SCOPES
    # This key's own rate limit in `limits` notation; null: SEARCH_RATE_LIMIT applies, as to an address.
    rate_limit = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 (null: the default)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True)  # kept to within API_KEY_LAST_USED_INTERVAL (keys/last_used.py)
    revoked = models.DateTimeField(null=True)  # set once; a revoked key never works again

    def __str__(self) -> str:
        state = "revoked" if self.revoked else ",".join(self.scopes)
        return f"{self.prefix} {self.name!r} ({state})"
