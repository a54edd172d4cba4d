"""What several groups of settings share: comma-separated lists, and what a field name may look like."""

import re

# A field name as query_string accepts it, optionally boosted: `title`, `title^3`, `meta.*^0.5`.
SEARCH_FIELD = re.compile(r"^[A-Za-z0-9_@.*-]+(\^\d+(\.\d+)?)?$")
FIELD_PATTERN = re.compile(r"^[A-Za-z0-9_@.*-]+$")
FIELD_NAME = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_@.-]*$")
# An origin as browsers send it in `Origin`: scheme, host and optional port, nothing after.
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def split_commas(value: object) -> object:
    """`a, b,,c` → ["a", "b", "c"]: how every list setting is written in the environment."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def empty_is_unset(value: object) -> object:
    """Compose passes `${ANALYTICS_TOKEN:-}` through as an empty string when the operator set nothing."""
    return None if isinstance(value, str) and not value.strip() else value
