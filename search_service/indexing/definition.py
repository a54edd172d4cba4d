"""What the new index is created with: a mapping file's contents, or what the current index has, and the settings
the loader adds. Pure."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from search_service.indexing.errors import DefinitionError

# The keys a mappings object may have at its top (Elasticsearch's root object mapper); anything else at the top of
# a mapping file is a mistake worth naming rather than sending.
MAPPING_KEYS = frozenset(
    {
        "properties",
        "dynamic",
        "dynamic_templates",
        "date_detection",
        "dynamic_date_formats",
        "numeric_detection",
        "runtime",
        "_source",
        "_routing",
        "_meta",
        "_field_names",
        "_data_stream_timestamp",
        "enabled",
        "subobjects",
    }
)
DEFINITION_KEYS = frozenset({"mappings", "settings"})

# What a reload copies from the index the alias points at: the settings that shape the data and its analysis. Not
# the ones Elasticsearch writes itself (uuid, creation_date, version, provided_name, routing and resize state),
# which it refuses on a create.
COPIED_SETTINGS = (
    "index.number_of_shards",
    "index.number_of_replicas",
    "index.auto_expand_replicas",
    "index.refresh_interval",
    "index.analysis.",
    "index.similarity.",
    "index.mapping.",
    "index.max_",
    "index.sort.",
    "index.codec",
)
REPLICA_SETTINGS = ("index.number_of_replicas", "index.auto_expand_replicas")
# Without a word on replicas: none on a single node (where a replica can never be placed and the index would stay
# yellow), one as soon as there is a second node (what Elasticsearch's own default gives a cluster).
DEFAULT_REPLICAS = {"index.auto_expand_replicas": "0-1"}
REFRESH = "index.refresh_interval"


@dataclass(frozen=True)
class IndexDefinition:
    mappings: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # flat: {"index.number_of_shards": 1, ...}


def parse_definition(text: bytes | str) -> IndexDefinition:
    """A mapping file: `{"mappings": ..., "settings": ...}` (either may be missing), or a mappings object alone
    (`{"properties": ...}`). Which one it is follows from its top-level keys, which the two forms never share."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise DefinitionError(f"the mapping file is not JSON ({error})") from None
    if not isinstance(value, dict) or not value:
        raise DefinitionError('the mapping file must hold a JSON object: {"properties": ...} or {"mappings": ...}')
    keys = set(value)
    if keys <= DEFINITION_KEYS:
        mappings, settings = value.get("mappings", {}), value.get("settings", {})
        if not isinstance(mappings, dict) or not isinstance(settings, dict):
            raise DefinitionError("the mapping file's `mappings` and `settings` must be JSON objects")
        return IndexDefinition(mappings, flatten_settings(settings))
    if keys <= MAPPING_KEYS:
        return IndexDefinition(value, {})
    unknown = ", ".join(sorted(keys - MAPPING_KEYS - DEFINITION_KEYS)) or "mappings or settings beside mapping keys"
    raise DefinitionError(
        f'the mapping file holds neither {{"mappings": ..., "settings": ...}} nor a mappings object '
        f'({{"properties": ...}}): unexpected {unknown}'
    )


def flatten_settings(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Index settings as flat keys under `index.`, however they were written: {"number_of_shards": 1},
    {"index": {"number_of_shards": 1}} and {"index.number_of_shards": 1} are all one setting to Elasticsearch,
    and the loader must see whether replicas or the refresh interval were given in any of those spellings."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_settings(value, f"{name}."))
        else:
            flat[name if name.startswith("index.") else f"index.{name}"] = value
    return flat


def copied_definition(mappings: dict[str, Any], flat_settings: Mapping[str, Any]) -> IndexDefinition:
    """What a reload keeps of the index it replaces: its mappings and the settings in COPIED_SETTINGS."""
    kept = {key: value for key, value in flat_settings.items() if key.startswith(COPIED_SETTINGS)}
    return IndexDefinition(mappings, kept)


def creation_settings(definition: IndexDefinition) -> dict[str, Any]:
    """The settings the new index is created with: the definition's, replicas by DEFAULT_REPLICAS unless it names
    them, and no refresh while loading (each refresh writes a segment that merges then rewrite: a bulk load with
    refreshes off is markedly faster, and nobody searches the new index before the swap)."""
    settings = dict(definition.settings)
    if not any(key in settings for key in REPLICA_SETTINGS):
        settings |= DEFAULT_REPLICAS
    settings[REFRESH] = "-1"
    return settings


def refresh_after_load(definition: IndexDefinition) -> Any:
    """The refresh interval to put back once loaded: the definition's, or None, which restores the default."""
    return definition.settings.get(REFRESH)
