"""The configuration reference, docs/configuration.md, written from ServiceSettings: names, types, defaults, bounds
and descriptions come from the model, so the page cannot drift from the code (tests/test_configuration_reference.py).

    uv run python -m search_service.settings_reference docs/configuration.md    (or: make docs)

A new setting needs a `Field(description=...)` and its name in a section of `SETTINGS_GROUPS`
(search_service/settings/__init__.py); without either, `settings_problems()` names it and the reference is not
written. Pure: reads the class, never the environment.
"""

import sys
import textwrap
import types
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import AnyUrl, BaseModel, SecretStr
from pydantic.fields import FieldInfo

from search_service.settings import SETTINGS_GROUPS, ServiceSettings

_WIDTH = 116  # the page's lines, as the rest of docs/
REGENERATE = "uv run python -m search_service.settings_reference docs/configuration.md  (or: make docs)"

_HEADER = """\
<!-- Generated from search_service/settings/ by search_service/settings_reference.py: do not edit here.
     Change the settings' descriptions (or the intro in settings_reference.py), then run `make docs`. -->

# Configuration

Everything the service reads is an environment variable, read once at startup into one typed object,
`ServiceSettings` in [search_service/settings/](../search_service/settings/__init__.py) (field `search_max_size` is the
variable `SEARCH_MAX_SIZE`; names are case-insensitive). This page is generated from that class.

- **A bad value stops startup** with one line per problem naming the variable, never echoing the value (it may be
  a secret), e.g. `ELASTICSEARCH_REQUEST_TIMEOUT: Input should be greater than 0`. Secrets are never logged or
  shown in reprs.
- **Lists** are comma-separated (`SEARCH_FACET_FIELDS=brand,category`); an empty value is an empty list.
  **Booleans** are `true` or `false` (`1`/`0`, `yes`/`no` and `on`/`off` work too). An empty `DATABASE_URL`,
  `ANALYTICS_TOKEN`, `METRICS_TOKEN` or `METRICS_PORT` counts as unset (Compose passes unset variables as empty).
- **Checks across variables**: `ELASTICSEARCH_CLOUD_ID` or `ELASTICSEARCH_HOSTS`, not both;
  `ELASTICSEARCH_USERNAME` and `ELASTICSEARCH_PASSWORD` together, and not with `ELASTICSEARCH_API_KEY`;
  `DJANGO_ALLOWED_HOSTS` not empty unless `DJANGO_DEBUG` is on; `SEARCH_TIMEOUT` below
  `ELASTICSEARCH_REQUEST_TIMEOUT`.
- **Fields of the index**: the settings that name fields say which Elasticsearch mapping type each field needs.
  The service checks them against the index's mapping when it starts, and a field that does not fit stops
  `scripts/serve` with one line naming the variable, the field, its mapped type and what it must be.
  `manage.py inspect_index` prints a block of these settings that fits your index
  ([Your own index in five minutes](../README.md#your-own-index-in-five-minutes)). The defaults suit the demo
  index.
- **Where to set them**: the environment of the process or container. `docker compose up` passes only a few
  variables from `.env`; the others go in a `docker-compose.override.yml`
  ([With docker compose up](operations.md#with-docker-compose-up-development)). The start command's own
  variables (`PORT`, `HOST`, `WEB_CONCURRENCY`, `FORWARDED_ALLOW_IPS`, `GRACEFUL_SHUTDOWN_TIMEOUT`,
  `PROMETHEUS_MULTIPROC_DIR`) are not settings of the service: [The image](operations.md#the-image).
- Per worker process means per uvicorn worker: with `WEB_CONCURRENCY=N`, N of each.
"""


def settings_problems(
    model: type[BaseModel] = ServiceSettings, groups: Mapping[str, Sequence[str]] = SETTINGS_GROUPS
) -> list[str]:
    """What keeps the reference from being complete, one line each naming the variable and the fix: a field without
    a description or a group, a group naming no field. Empty when every setting is documented."""
    fields = model.model_fields
    grouped = [name for names in groups.values() for name in names]
    problems = []
    for name, field in fields.items():
        variable = name.upper()
        if not (field.description or "").strip():
            problems.append(
                f"{variable}: no description; give ServiceSettings.{name} a Field(description=...) saying what it "
                "does, its unit and what an empty value means"
            )
        if name not in grouped:
            problems.append(
                f"{variable}: in no group; add {name!r} to a section of SETTINGS_GROUPS in settings/__init__.py"
            )
    for name in grouped:
        if name not in fields:
            problems.append(f"SETTINGS_GROUPS names {name!r}, which is not a field of ServiceSettings")
        elif grouped.count(name) > 1:
            problems.append(f"SETTINGS_GROUPS names {name!r} more than once")
    return sorted(set(problems))


def render_configuration_reference() -> str:
    """docs/configuration.md as it should be. ValueError when a setting lacks a description or a group."""
    problems = settings_problems()
    if problems:
        raise ValueError("the settings are not all documented:\n  " + "\n  ".join(problems))
    parts = [_HEADER]
    parts.append(
        "".join(
            f"- [{group}](#{_slug(group)}): " + ", ".join(f"[`{name.upper()}`](#{name})" for name in names) + "\n"
            for group, names in SETTINGS_GROUPS.items()
        )
    )
    for group, names in SETTINGS_GROUPS.items():
        parts.append(f"## {group}\n")
        for name in names:
            parts.append(_render_field(name, ServiceSettings.model_fields[name]))
    return "\n".join(parts)


def _render_field(name: str, field: FieldInfo) -> str:
    facts = _describe_type(field.annotation)
    bounds = _describe_bounds(field)
    if bounds:
        facts += f", {bounds}"
    description = textwrap.fill(
        " ".join((field.description or "").split()), width=_WIDTH, break_long_words=False, break_on_hyphens=False
    )
    facts = f"{facts[:1].upper()}{facts[1:]}. Default: {_describe_default(field)}."
    return f"### `{name.upper()}`\n\n*{facts}*\n\n{description}\n"


def _describe_type(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        # `X | None`: optional, which the default (unset) says.
        return " or ".join(_describe_type(arg) for arg in args if arg is not type(None))
    if origin is list:
        item = args[0] if args else str
        return "comma-separated URLs" if _is_url(item) else "comma-separated list"
    if origin is Literal:
        return "one of " + ", ".join(f"`{arg}`" for arg in args)
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
        for kind, words in _TYPE_WORDS:
            if issubclass(annotation, kind):
                return words
        if _is_url(annotation):
            return "URL"
    return str(annotation)  # a type this table does not know yet: at least its name


# In order: bool before int (bool is an int).
_TYPE_WORDS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (SecretStr, "secret string"),
    (str, "string"),
    (Path, "file path"),
)


def _is_url(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, AnyUrl)


def _describe_bounds(field: FieldInfo) -> str:
    lower = upper = length = ""
    for constraint in field.metadata:
        if isinstance(constraint, annotated_types.Ge):
            lower = f"at least {_number(constraint.ge)}"
        elif isinstance(constraint, annotated_types.Gt):
            lower = f"more than {_number(constraint.gt)}"
        elif isinstance(constraint, annotated_types.Le):
            upper = f"at most {_number(constraint.le)}"
        elif isinstance(constraint, annotated_types.Lt):
            upper = f"less than {_number(constraint.lt)}"
        elif isinstance(constraint, annotated_types.MinLen):
            length = f"at least {_count(constraint.min_length, field)}"
        elif isinstance(constraint, annotated_types.MaxLen):
            length = (length + ", " if length else "") + f"at most {_count(constraint.max_length, field)}"
    if lower.startswith("at least") and upper.startswith("at most"):
        return f"from {lower.removeprefix('at least ')} to {upper.removeprefix('at most ')}"
    return ", ".join(part for part in (lower, upper, length) if part)


def _count(length: int, field: FieldInfo) -> str:
    unit = "item" if get_origin(field.annotation) is list else "character"
    return f"{_number(length)} {unit}{'' if length == 1 else 's'}"


def _describe_default(field: FieldInfo) -> str:
    if field.is_required():
        return "none, required"
    value = field.get_default(call_default_factory=True, validated_data={})
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "a built-in development value (not shown; set your own)"
    if isinstance(value, list):
        return f"`{','.join(_plain(item) for item in value)}`" if value else "empty"
    if value == "":
        return "empty"
    return f"`{_plain(value)}`"


def _plain(value: object) -> str:
    """A value as one would write it in the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, AnyUrl) and value.path == "/" and not value.query:
        return str(value).removesuffix("/")
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, spaces to hyphens, punctuation but - and _ dropped."""
    return "".join(char for char in heading.lower().replace(" ", "-") if char.isalnum() or char in "-_")


def main(argv: list[str]) -> int:
    try:
        text = render_configuration_reference()
    except ValueError as error:
        print(f"docs/configuration.md not written: {error}", file=sys.stderr)
        return 1
    if len(argv) > 1:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
