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
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$")
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
        return str(int(number)) if exact else _plain(number)
    largest = _FLOAT_MAX.get(info.type, 1.7976931348623157e308)
    if not math.isfinite(float(number)) or abs(float(number)) > largest:
        raise FilterValueError(f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} is too large for it")
    return _plain(number)


def _plain(number: Decimal) -> str:
    """Without an exponent: `1e3` → `1000`, which every numeric field type parses."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(info: FieldInfo, raw: str) -> str:
    anchor, separator, math_part = raw.partition("||")
    if raw.startswith("now"):
        anchor, math_part, separator = "now", raw.removeprefix("now"), "||"
    valid_anchor = anchor == "now" or bool(_ISO_DATE.match(anchor))
    if anchor != "now" and separator and not _ISO_DATE.match(anchor):
        valid_anchor = False
    if valid_anchor and (not separator or _DATE_MATH.match(math_part)) and _plausible_iso(anchor):
        return raw
    raise FilterValueError(f"{info.name!r} is {_a(info.type)} field; {raw[:60]!r} is not {_DATE_EXAMPLES}")


def _plausible_iso(anchor: str) -> bool:
    """Month 1-12, day 1-31, hour 0-23, minutes 0-59: what the pattern lets through but Elasticsearch refuses."""
    if anchor == "now":
        return True
    parts = re.findall(r"\d+", anchor)
    limits = [(0, 9999), (1, 12), (1, 31), (0, 23), (0, 59), (0, 59)]
    return all(low <= int(part) <= high for part, (low, high) in zip(parts, limits, strict=False))


def _ip(info: FieldInfo, raw: str) -> str:
    try:
        if "/" in raw:
            ipaddress.ip_network(raw, strict=False)
        else:
            ipaddress.ip_address(raw)
    except ValueError:
        raise FilterValueError(
            f"{info.name!r} is an ip field; {raw[:60]!r} is not an address or a network such as 10.0.0.0/8"
        ) from None
    return raw
