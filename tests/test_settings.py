"""Settings parsing from the environment: no server needed."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from elasticsearch import Elasticsearch
from elasticsearch.serializer import OrjsonSerializer

from search_service.elastic import client_options
from search_service.settings import ServiceSettings, load_settings

VARIABLES = [
    "ELASTICSEARCH_HOSTS",
    "ELASTICSEARCH_CLOUD_ID",
    "ELASTICSEARCH_INDEX",
    "ELASTICSEARCH_API_KEY",
    "ELASTICSEARCH_USERNAME",
    "ELASTICSEARCH_PASSWORD",
    "ELASTICSEARCH_CA_CERTS",
    "ELASTICSEARCH_VERIFY_CERTS",
    "ELASTICSEARCH_REQUEST_TIMEOUT",
    "ELASTICSEARCH_MAX_RETRIES",
    "ELASTICSEARCH_CONNECTIONS_PER_NODE",
    "SEARCH_FIELDS",
    "SEARCH_MAX_SIZE",
    "SEARCH_SOURCE_FIELDS",
    "SEARCH_QUERY_FIELDS",
    "SEARCH_ALLOW_REGEX",
    "SEARCH_MAX_CLAUSES",
    "SEARCH_MAX_FUZZY_EDITS",
    "SEARCH_MIN_WILDCARD_PREFIX",
    "SEARCH_TIMEOUT",
    "SEARCH_EXPENSIVE_CONCURRENCY",
    "SEARCH_RATE_LIMIT",
    "SEARCH_EXPENSIVE_RATE_LIMIT",
    "SEARCH_REFUSAL_DELAY",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "HEADER_READ_TIMEOUT",
    "MAX_HEADER_BYTES",
    "MAX_CONNECTIONS",
    "SEARCH_REQUIRE_API_KEY",
    "API_KEY_CACHE_SECONDS",
    "API_KEY_LAST_USED_INTERVAL",
    "READY_REQUIRES_API_KEY",
    "DOCS_REQUIRE_API_KEY",
    "CORS_ALLOWED_ORIGINS",
    "SEARCH_ACCESS_LOG",
    "SEARCH_ACCESS_LOG_QUERY_TEXT",
    "SEARCH_METRICS",
    "METRICS_TOKEN",
    "METRICS_PORT",
]


@pytest.fixture
def env(monkeypatch):
    """A clean environment: only what a test sets."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def test_defaults(env):
    config = load_settings()

    assert [str(host) for host in config.elasticsearch_hosts] == ["http://localhost:9200/"]
    assert config.elasticsearch_index == "documents"
    assert config.django_debug is False
    assert config.elasticsearch_api_key is None
    assert config.search_max_size == 100
    assert (config.header_read_timeout, config.max_header_bytes, config.max_connections) == (5.0, 32_768, 2_000)


def test_comma_separated_lists_are_split_and_trimmed(env):
    env.setenv("ELASTICSEARCH_HOSTS", "http://a:9200, https://b:9243")
    env.setenv("SEARCH_FIELDS", "title^3, body ,tags^0.5")
    env.setenv("DJANGO_ALLOWED_HOSTS", "search.example,.internal")
    env.setenv("SEARCH_SOURCE_FIELDS", "title, meta.*")

    config = load_settings()

    assert [str(host) for host in config.elasticsearch_hosts] == ["http://a:9200/", "https://b:9243/"]
    assert config.search_fields == ["title^3", "body", "tags^0.5"]
    assert config.django_allowed_hosts == ["search.example", ".internal"]
    assert config.search_source_fields == ["title", "meta.*"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ELASTICSEARCH_HOSTS", "not a url"),
        ("ELASTICSEARCH_HOSTS", ""),
        ("ELASTICSEARCH_REQUEST_TIMEOUT", "0"),
        ("ELASTICSEARCH_REQUEST_TIMEOUT", "soon"),
        ("ELASTICSEARCH_MAX_RETRIES", "-1"),
        ("ELASTICSEARCH_CONNECTIONS_PER_NODE", "0"),
        ("ELASTICSEARCH_VERIFY_CERTS", "maybe"),
        ("ELASTICSEARCH_CA_CERTS", "/no/such/ca.pem"),
        ("ELASTICSEARCH_CLOUD_ID", "my-deployment"),
        ("ELASTICSEARCH_CLOUD_ID", "my-deployment:not base64!"),
        ("ELASTICSEARCH_CLOUD_ID", "my-deployment:" + base64.b64encode(b"europe-west1.gcp.cloud.es.io:443").decode()),
        (
            "ELASTICSEARCH_CLOUD_ID",
            "my-deployment:" + base64.b64encode(b"europe-west1.gcp.cloud.es.io:https$a$b").decode(),
        ),
        ("SEARCH_FIELDS", "title^x"),
        ("SEARCH_FIELDS", "title body"),
        ("SEARCH_SOURCE_FIELDS", "title body"),
        ("SEARCH_QUERY_FIELDS", ""),
        ("SEARCH_QUERY_FIELDS", "a:b"),
        ("SEARCH_MAX_SIZE", "0"),
        ("SEARCH_MAX_SIZE", "10001"),
        ("DJANGO_DEBUG", "sometimes"),
        ("SEARCH_ALLOW_REGEX", "perhaps"),
        ("SEARCH_MAX_CLAUSES", "0"),
        ("SEARCH_MAX_FUZZY_EDITS", "3"),
        ("SEARCH_MIN_WILDCARD_PREFIX", "0"),
        ("SEARCH_TIMEOUT", "0"),
        ("SEARCH_EXPENSIVE_CONCURRENCY", "0"),
        ("SEARCH_RATE_LIMIT", "lots"),
        ("SEARCH_EXPENSIVE_RATE_LIMIT", "2/fortnight"),
        ("SEARCH_REFUSAL_DELAY", "-1"),
        ("SEARCH_REQUIRE_API_KEY", "maybe"),
        ("API_KEY_CACHE_SECONDS", "-1"),
        ("API_KEY_LAST_USED_INTERVAL", "0"),
        ("CORS_ALLOWED_ORIGINS", "app.example.com"),
        ("CORS_ALLOWED_ORIGINS", "https://app.example.com/"),
        ("CORS_ALLOWED_ORIGINS", "*"),
        ("METRICS_TOKEN", "short"),
        ("METRICS_PORT", "0"),
        ("METRICS_PORT", "70000"),
    ],
)
def test_bad_value_stops_startup_naming_the_variable(env, variable, value):
    env.setenv(variable, value)

    with pytest.raises(ImproperlyConfigured, match=f"^invalid configuration:\n  {variable}: "):
        load_settings()


def test_web_safety_defaults_and_switches(env):
    config = load_settings()

    assert config.django_debug is False
    assert config.search_require_api_key is False  # on in the image (Dockerfile), off for local development
    assert config.cors_allowed_origins == []
    assert (config.search_access_log, config.search_access_log_query_text, config.search_metrics) == (True, False, True)
    env.setenv("CORS_ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000, http://[::1]:8080")
    env.setenv("METRICS_PORT", "")  # as compose passes an unset variable: unset
    config = load_settings()
    assert config.cors_allowed_origins == ["https://app.example.com", "http://localhost:3000", "http://[::1]:8080"]
    assert config.metrics_port is None


def test_allowed_hosts_are_required_unless_debugging(env):
    env.setenv("DJANGO_ALLOWED_HOSTS", "")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS must name"):
        load_settings()
    env.setenv("DJANGO_DEBUG", "true")
    assert load_settings().django_allowed_hosts == []


def test_cost_policy_defaults_are_safe_for_the_open_internet(env):
    config = load_settings()

    assert config.search_allow_regex is False
    assert config.search_timeout < config.elasticsearch_request_timeout
    # Protection is fair admission, on by default; rate limits are policy, off until set.
    assert config.search_admission is True
    assert config.search_rate_limit == ""
    assert config.search_expensive_rate_limit == ""


def test_rate_limits_can_be_set(env):
    env.setenv("SEARCH_RATE_LIMIT", "20/second;600/minute")

    assert load_settings().search_rate_limit == "20/second;600/minute"


def test_the_concurrency_floor_cannot_be_above_the_ceiling(env):
    env.setenv("SEARCH_CONCURRENCY_MIN", "50")
    env.setenv("SEARCH_CONCURRENCY_MAX", "10")

    with pytest.raises(ImproperlyConfigured, match=r"SEARCH_CONCURRENCY_MIN \(50\) is above SEARCH_CONCURRENCY_MAX"):
        load_settings()


def test_two_typos_need_more_letters_than_one(env):
    env.setenv("SEARCH_TYPO_MIN_1", "5")
    env.setenv("SEARCH_TYPO_MIN_2", "5")

    with pytest.raises(ImproperlyConfigured, match=r"SEARCH_TYPO_MIN_2 \(5\) must be above SEARCH_TYPO_MIN_1 \(5\)"):
        load_settings()
    env.setenv("SEARCH_TYPOS", "3")
    with pytest.raises(ImproperlyConfigured, match="SEARCH_TYPOS"):
        load_settings()


def test_sort_indices_are_read_and_checked_against_the_sort_fields(env):
    env.setenv("SEARCH_SORT_INDICES", "docs_popular=-popularity, docs_by_module=module|-popularity")
    assert load_settings().search_sort_indices == {
        "docs_popular": ["-popularity"],
        "docs_by_module": ["module", "-popularity"],
    }
    for written, says in (
        ("docs_cost=cost", "docs_cost sorts on 'cost', which is not in SEARCH_SORT_FIELDS"),
        ("docs_popular", "is not name=sort"),
        ("bad name=popularity", "is not name=sort"),
        ("docs_popular=", "is not name=sort"),
    ):
        env.setenv("SEARCH_SORT_INDICES", written)
        with pytest.raises(ImproperlyConfigured, match="SEARCH_SORT_INDICES") as raised:
            load_settings()
        assert says in str(raised.value)


def test_search_timeout_must_leave_room_for_partial_results(env):
    env.setenv("SEARCH_TIMEOUT", "5")

    with pytest.raises(ImproperlyConfigured, match="SEARCH_TIMEOUT must be below ELASTICSEARCH_REQUEST_TIMEOUT"):
        load_settings()


def test_problems_in_several_variables_are_all_reported(env):
    env.setenv("SEARCH_MAX_SIZE", "0")
    env.setenv("ELASTICSEARCH_MAX_RETRIES", "many")

    with pytest.raises(ImproperlyConfigured) as raised:
        load_settings()

    assert "SEARCH_MAX_SIZE" in str(raised.value)
    assert "ELASTICSEARCH_MAX_RETRIES" in str(raised.value)


# What the Elastic Cloud console shows for a deployment: its name, then base64 of `domain:port$es-uuid$kibana-uuid`.
CLOUD_ID = "my-deployment:" + base64.b64encode(b"europe-west1.gcp.cloud.es.io:443$0123abcd$4567ef").decode()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"ELASTICSEARCH_CLOUD_ID": CLOUD_ID, "ELASTICSEARCH_HOSTS": "https://es.example:9243"},
            "set ELASTICSEARCH_CLOUD_ID or ELASTICSEARCH_HOSTS, not both",
        ),
        ({"ELASTICSEARCH_USERNAME": "elastic"}, "must be set together"),
        ({"ELASTICSEARCH_PASSWORD": "secret"}, "must be set together"),
        (
            {"ELASTICSEARCH_API_KEY": "k", "ELASTICSEARCH_USERNAME": "u", "ELASTICSEARCH_PASSWORD": "p"},
            "not both",
        ),
    ],
)
def test_credentials_must_be_consistent(env, variables, message):
    for variable, value in variables.items():
        env.setenv(variable, value)

    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings()


def test_secrets_stay_out_of_reprs_and_errors(env):
    env.setenv("ELASTICSEARCH_USERNAME", "elastic")
    env.setenv("ELASTICSEARCH_PASSWORD", "hunter2-password")
    env.setenv("DJANGO_SECRET_KEY", "hunter2-secret-key")
    config = load_settings()

    assert "hunter2" not in repr(config)
    assert "hunter2" not in str(config.model_dump())

    env.setenv("ELASTICSEARCH_API_KEY", "hunter2-api-key")
    with pytest.raises(ImproperlyConfigured) as raised:
        load_settings()
    assert "hunter2" not in str(raised.value)


def test_client_options_carry_basic_auth_and_pool_settings(env):
    config = ServiceSettings(
        elasticsearch_hosts="https://es.example:9243",
        elasticsearch_username="svc",
        elasticsearch_password="pw",
        elasticsearch_request_timeout=2.5,
        elasticsearch_max_retries=0,
        elasticsearch_connections_per_node=64,
        elasticsearch_verify_certs=False,
    )

    options = client_options(config)

    assert isinstance(options.pop("serializer"), OrjsonSerializer)
    assert options == {
        "hosts": ["https://es.example:9243/"],
        "basic_auth": ("svc", "pw"),
        "request_timeout": 2.5,
        "max_retries": 0,
        "retry_on_timeout": False,
        "retry_on_status": (),
        "connections_per_node": 64,
        "verify_certs": False,
    }


def test_client_options_carry_api_key_and_ca_certs(env, tmp_path):
    # Elastic Cloud cannot run here, so an API-key configuration is checked up to the client's options.
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    config = ServiceSettings(
        elasticsearch_hosts="https://deployment.es.example.cloud:443",
        elasticsearch_api_key="ZW5jb2RlZDprZXk=",
        elasticsearch_ca_certs=str(ca),
    )

    options = client_options(config)

    assert options["api_key"] == "ZW5jb2RlZDprZXk="
    assert options["ca_certs"] == str(ca)
    assert "basic_auth" not in options


def test_a_cloud_id_stands_in_for_the_default_hosts(env):
    env.setenv("ELASTICSEARCH_CLOUD_ID", f" {CLOUD_ID} ")
    env.setenv("ELASTICSEARCH_HOSTS", "http://localhost:9200")  # the default, as a .env file may spell it out

    assert load_settings().elasticsearch_cloud_id == CLOUD_ID


def test_client_options_carry_a_cloud_id_that_the_client_resolves_to_the_deployment(env):
    # Elastic Cloud cannot run here: the client is built (which dials nothing) and its one node inspected.
    config = ServiceSettings(elasticsearch_cloud_id=CLOUD_ID, elasticsearch_api_key="ZW5jb2RlZDprZXk=")

    options = client_options(config)

    assert options["cloud_id"] == CLOUD_ID
    assert "hosts" not in options
    assert options["api_key"] == "ZW5jb2RlZDprZXk="
    with Elasticsearch(**options) as client:
        nodes = client.transport.node_pool.all()
    assert [node.base_url for node in nodes] == ["https://0123abcd.europe-west1.gcp.cloud.es.io:443"]
