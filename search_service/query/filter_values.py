"""Filter values read by the type the index maps their field to, before Elasticsearch sees them. Pure.

Without this, `in_stock:True`, `price:100-200` or `released:yesterday` reached Elasticsearch and came back as 400s
carrying its parser's words ("Can't parse boolean value [True]", "For input string"). Here each is either made
into the value Elasticsearch expects (`True` → `true`) or refused with a 422 that names the parameter, the field,
its type and the value, and says what would be accepted.
"""

import ipaddress
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from search_service.mapping.fields import (
    BOOLEAN_TYPE,
    DATE_TYPES,
    FLOAT_TYPES,
    INTEGER_RANGES,
    IP_TYPE,
    FieldInfo,
    IndexFields,
)
from search_service.query.filters import RANGE_SEPARATOR, Filter, RangeFilter, ValueFilter

# What a date filter sends as its format: ISO 8601 and epoch milliseconds, whatever `format` the mapping gives the
# field (a `yyyy/MM/dd` field would otherwise refuse `2024-01-31`, with Elasticsearch's words).
DATE_QUERY_FORMAT = "strict_date_optional_time||epoch_millis"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$")
# Elasticsearch's strict_date_optional_time: a `T` between date and time, never a space.
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$")
# date_nanos holds 1970-01-01 to 2262-04-11 (nanoseconds since the epoch in a long); a literal end outside is refused.
_NANOS_SPAN = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2262, 4, 11, tzinfo=UTC))
# Java's (and so Elasticsearch's) largest offset from UTC; Python's reaches 23:59.
MAX_UTC_OFFSET = timedelta(hours=18)
# More digits than this in a number (`1e-999` written out) is refused: Elasticsearch stops at 1,000.
MAX_NUMBER_DIGITS = 100
_DATE_MATH = re.compile(r"^([+-]\d{1,4}[yMwdhHms])*(/[yMwdhHms])?$")
_DATE_EXAMPLES = "an ISO date such as 2024-01-31 or 2024-01-31T12:00:00Z, or date math such as now-7d/d"
# The largest magnitude each floating type holds; beyond it Elasticsearch refuses the value.
_FLOAT_MAX = {"half_float": 65_504.0, "float": 3.4028234663852886e38}


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


class FilterValueError(ValueError):
    """A filter value that does not fit its field's type; the message names the field, the type and the value."""


def type_filters(filters: Sequence[Filter], fields: IndexFields) -> list[Filter]:
    """`filters` with each value read as its field's type (FilterValueError when one cannot be)."""
    return [_typed(item, fields.get(item.field)) for item in filters]


def _typed(item: Filter, info: FieldInfo | None) -> Filter:
    if info is None:  # not in the mapping: the startup check has refused such a setting; left as written
        return item
    raw = item.value if isinstance(item, ValueFilter) else None
    if info.type == BOOLEAN_TYPE:
        if raw is None:
            raise FilterValueError(
                f"{info.name!r} is a boolean field: it has no ranges; write {info.name}:true or false"
            )
        return ValueFilter(info.name, _boolean(info, raw))
    if info.type in INTEGER_RANGES or info.type in FLOAT_TYPES:
        if raw is not None and RANGE_SEPARATOR not in raw:
            return ValueFilter(info.name, _number(info, raw, exact=True))
        low, high = _range_ends(item, raw)
        return RangeFilter(info.name, _number_or_none(info, low), _number_or_none(info, high))
    if info.type in DATE_TYPES:
        if raw is not None and RANGE_SEPARATOR not in raw:
            value = _date(info, raw)
            # A day, month or year matches all of it (Elasticsearch rounds the ends of a date range so).
            return RangeFilter(info.name, value, value, date_format=DATE_QUERY_FORMAT)
        low, high = _range_ends(item, raw)
        return RangeFilter(
            info.name,
            None if low is None else _date(info, low),
            None if high is None else _date(info, high),
            date_format=DATE_QUERY_FORMAT,
        )
    if info.type == IP_TYPE:
        return ValueFilter(info.name, _ip(info, _whole_value(item)))
    # keyword and the like: any text, matched exactly; `..` has no meaning for them.
    return ValueFilter(info.name, _whole_value(item))


def _whole_value(item: Filter) -> str:
    if isinstance(item, ValueFilter):
        return item.value
    return f"{item.low or ''}{RANGE_SEPARATOR}{item.high or ''}"


def _range_ends(item: Filter, raw: str | None) -> tuple[str | None, str | None]:
    if isinstance(item, RangeFilter):
        return item.low, item.high
    low, _, high = (raw or "").partition(RANGE_SEPARATOR)
    if not low.strip() and not high.strip():
        raise FilterValueError(f"the range for {item.field!r} needs at least one end")
    return low.strip() or None, high.strip() or None


def _boolean(info: FieldInfo, raw: str) -> str:
    if raw.lower() in ("true", "false"):
        return raw.lower()
    raise FilterValueError(f"{info.name!r} is a boolean field; {raw[:60]!r} is not true or false")


def _number_or_none(info: FieldInfo, raw: str | None) -> str | None:
    return None if raw is None else _number(info, raw, exact=False)


def _number(info: FieldInfo, raw: str, *, exact: bool) -> str:
    """A numeric value as Elasticsearch reads it. `exact`: a value (not a range end), which on an integer field
    must be whole (`stock_count:2.5` matches nothing; better said than silently empty)."""
    shape = "a number such as 10 or 9.99, or a range such as 10..20, 10.. or ..20"
    if not _NUMBER.match(raw):
        raise FilterValueError(f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} is not {shape}")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise FilterValueError(f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} is not {shape}") from None
    if info.type in INTEGER_RANGES:
        lowest, highest = INTEGER_RANGES[info.type]
        if exact and number != number.to_integral_value():
            raise FilterValueError(f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} is not a whole number")
        if not lowest <= number <= highest:
            raise FilterValueError(
                f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} is outside its range {lowest}..{highest}"
            )
        return str(int(number)) if exact else _written(info, raw, number)
    largest = _FLOAT_MAX.get(info.type, 1.7976931348623157e308)
    if not math.isfinite(float(number)) or abs(float(number)) > largest:
        raise FilterValueError(f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} is too large for it")
    return _written(info, raw, number)


def _written(info: FieldInfo, raw: str, number: Decimal) -> str:
    try:
        return _plain(number)
    except ValueError as error:
        raise FilterValueError(f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} has {error}") from None


def _plain(number: Decimal) -> str:
    """Without an exponent: `1e3` → `1000`, which every numeric field type parses. ValueError past
    MAX_NUMBER_DIGITS (`1e-999` would be a thousand zeros)."""
    text = format(number, "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    if len(text) > MAX_NUMBER_DIGITS:
        raise ValueError(f"more than {MAX_NUMBER_DIGITS} digits")
    return text


def _date(info: FieldInfo, raw: str) -> str:
    anchor, separator, math_part = raw.partition("||")
    if raw.startswith("now"):
        anchor, math_part, separator = "now", raw.removeprefix("now"), "||"
    valid_anchor = anchor == "now" or bool(_ISO_DATE.match(anchor))
    if anchor != "now" and separator and not _ISO_DATE.match(anchor):
        valid_anchor = False
    if valid_anchor and (not separator or _DATE_MATH.match(math_part)) and _plausible_iso(anchor):
        if info.type == "date_nanos" and anchor != "now":
            moment = _instant(anchor)
            if moment is None or not _NANOS_SPAN[0] <= moment <= _NANOS_SPAN[1]:
                raise FilterValueError(
                    f"{info.name!r} is a date_nanos field; {raw[:60]!r} is outside the dates it holds "
                    "(1970-01-01 to 2262-04-11)"
                )
        return raw
    raise FilterValueError(f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} is not {_DATE_EXAMPLES}")


def _plausible_iso(anchor: str) -> bool:
    """A date that exists (no 2024-02-30), a time of day, an offset under 24 hours: what the pattern lets through but
    Elasticsearch refuses."""
    return anchor == "now" or _instant(anchor) is not None


def _instant(anchor: str) -> datetime | None:
    """The moment an ISO anchor names (its start, for a year or a month), or None if no such moment exists."""
    text = anchor.replace("Z", "+00:00")
    if len(text) == 4:
        text += "-01-01"
    elif len(text) == 7:
        text += "-01"
    if len(text) == 13:  # `2024-01-31T12`: an hour alone, which fromisoformat reads only with minutes
        text += ":00"
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _ip(info: FieldInfo, raw: str) -> str:
    """An address or network, written canonically (`0:0:0:0:0:0:0:1` → `::1`, so that a ticked value matches its
    facet's). IPv4-mapped networks and scope ids (`%eth0`) are refused: Elasticsearch refuses them."""
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network | ipaddress.IPv6Network
    try:
        if "%" in raw:
            raise ValueError("a scope id")
        address = ipaddress.ip_network(raw, strict=False) if "/" in raw else ipaddress.ip_address(raw)
        if "/" in raw and isinstance(address, ipaddress.IPv6Network) and address.network_address.ipv4_mapped:
            raise ValueError("an IPv4-mapped network")
    except ValueError:
        raise FilterValueError(
            f"{info.name!r} is an ip field; {raw[:60]!r} is not an address or a network such as 10.0.0.0/8"
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)  # Elasticsearch stores ::ffff:10.0.0.1 as 10.0.0.1
    return str(address)
