"""What this worker knows of its database's health, learnt from the calls it makes anyway (key lookups, analytics
writes, the check at startup): no probe of its own. /ready shows it, and the log says when it changes, once, rather
than once per failed call (a stall fails every uncached key lookup)."""

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from search_service.metrics.series import DATABASE_AVAILABLE

logger = logging.getLogger(__name__)


@dataclass
class DatabaseHealth:
    failing_since: float | None = None  # time.time() of the first failure since it last worked
    reason: str = ""
    failures: dict[str, int] = field(default_factory=dict)  # by what failed: key_lookup, analytics_write, startup

    @property
    def available(self) -> bool:
        return self.failing_since is None

    def note_failure(self, what: str, reason: str) -> None:
        self.failures[what] = self.failures.get(what, 0) + 1
        if self.failing_since is None:
            DATABASE_AVAILABLE.set(0)
            self.failing_since = time.time()
            self.reason = reason
            logger.error(
                "The database is unavailable (%s: %s): keys in the cache still work, unknown keys are answered 503"
                " api_keys_unavailable, analytics rows wait in a bounded buffer",
                what,
                reason,
            )

    def note_success(self) -> None:
        if self.failing_since is not None:
            DATABASE_AVAILABLE.set(1)
            logger.warning("The database is available again after %.1f s", max(0.0, time.time() - self.failing_since))
            self.failing_since = None
            self.reason = ""

    def since(self) -> datetime | None:
        return None if self.failing_since is None else datetime.fromtimestamp(self.failing_since, UTC)


DATABASE_HEALTH = DatabaseHealth()
DATABASE_AVAILABLE.set(1)  # until a call says otherwise
