"""docs/configuration.md is generated from ServiceSettings; these fail when the two differ or a setting is
undocumented. No server needed."""

from pathlib import Path

import pytest
from pydantic import Field

from search_service.settings import SETTINGS_GROUPS, ServiceSettings
from search_service.settings_reference import REGENERATE, render_configuration_reference, settings_problems

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"

# The settings that name fields of the index, and the mapping type each description must state.
FIELD_SETTINGS = {
    "search_fields": "`text`",
    "search_query_fields": "`text`",
    "search_source_fields": "present in the mapping",
    "search_filter_fields": "`keyword`, a numeric type, `date`, `boolean` or `ip`",
    "search_facet_fields": "aggregatable",
    "search_sort_fields": "sortable",
    "search_rank_field": "numeric",
    "search_suggest_field": "`keyword` (or `text`)",
}


def test_every_setting_has_a_description_and_a_group():
    problems = settings_problems()
    assert not problems, "settings the reference cannot document:\n  " + "\n  ".join(problems)


def test_docs_configuration_md_is_what_the_settings_generate():
    assert REFERENCE.read_text(encoding="utf-8") == render_configuration_reference(), (
        f"docs/configuration.md differs from search_service/settings/; regenerate it: {REGENERATE}"
    )


def test_a_new_setting_without_description_or_group_is_named_with_the_fix():
    class WithNewSetting(ServiceSettings):
        search_new_thing: int = 3
        search_other_thing: int = Field(default=1, description="Documented, but in no group.")

    problems = settings_problems(WithNewSetting, SETTINGS_GROUPS)

    assert "SEARCH_NEW_THING: no description; give ServiceSettings.search_new_thing a Field(description=...)" in (
        "\n".join(problems)
    )
    assert any(problem.startswith("SEARCH_NEW_THING: in no group; add 'search_new_thing'") for problem in problems)
    assert any(problem.startswith("SEARCH_OTHER_THING: in no group") for problem in problems)
    assert not any(problem.startswith("SEARCH_OTHER_THING: no description") for problem in problems)


def test_a_group_naming_no_setting_is_reported():
    groups = {**SETTINGS_GROUPS, "Gone": ("search_removed",)}
    assert settings_problems(ServiceSettings, groups) == [
        "SETTINGS_GROUPS names 'search_removed', which is not a field of ServiceSettings"
    ]


def test_every_setting_has_its_own_heading_in_its_group():
    reference = render_configuration_reference()
    for group, names in SETTINGS_GROUPS.items():
        section = reference.split(f"\n## {group}\n", 1)[1].split("\n## ", 1)[0]
        for name in names:
            assert f"\n### `{name.upper()}`\n" in section


def test_secrets_defaults_are_not_shown():
    reference = render_configuration_reference()
    default_secret = ServiceSettings.model_fields["django_secret_key"].default.get_secret_value()
    assert default_secret not in reference
    assert "### `DJANGO_SECRET_KEY`\n\n*Secret string. Default: a built-in development value (not shown" in reference


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("elasticsearch_hosts", "*Comma-separated URLs, at least 1 item. Default: `http://localhost:9200`.*"),
        ("elasticsearch_request_timeout", "*Number, more than 0, at most 300. Default: `5`.*"),
        ("search_max_size", "*Integer, from 1 to 10,000. Default: `100`.*"),
        ("search_source_fields", "*Comma-separated list. Default: empty.*"),
        ("analytics_token", "*Secret string, at least 16 characters. Default: unset.*"),
        ("metrics_port", "*Integer, from 1 to 65,535. Default: unset.*"),
        ("search_allow_regex", "*Boolean. Default: `false`.*"),
    ],
)
def test_type_bounds_and_default_come_from_the_field(name, line):
    assert f"### `{name.upper()}`\n\n{line}\n" in render_configuration_reference()


@pytest.mark.parametrize(("name", "mapping_type"), FIELD_SETTINGS.items())
def test_field_settings_state_the_mapping_type_they_need(name, mapping_type):
    description = ServiceSettings.model_fields[name].description or ""
    assert "Mapping" in description
    assert mapping_type in description
