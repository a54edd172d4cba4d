"""Settings of the Elasticsearch connection (elastic.py)."""

from pathlib import Path
from typing import Annotated

from elastic_transport.client_utils import parse_cloud_id
from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from search_service.settings.values import split_commas

DEFAULT_HOSTS = [AnyHttpUrl("http://localhost:9200")]


class ConnectionSettings(BaseModel):
    # The Elasticsearch connection (elastic.py).
    elasticsearch_hosts: Annotated[list[AnyHttpUrl], NoDecode] = Field(
        default=DEFAULT_HOSTS,
        min_length=1,
        description="The Elasticsearch nodes' URLs, comma-separated (`https://es1:9200,https://es2:9200`). List "
        "every node: a request whose connection fails is retried on the next one "
        "([failure behaviour](operations.md#failure-behaviour)). Set this or `ELASTICSEARCH_CLOUD_ID`, not both.",
    )
    elasticsearch_cloud_id: str | None = Field(
        default=None,
        description="An Elastic Cloud deployment's Cloud ID (`name:base64…`, shown on the deployment's page in the "
        "console), instead of `ELASTICSEARCH_HOSTS`: the client decodes it to the deployment's HTTPS endpoint on "
        "port 443. Setting it with `ELASTICSEARCH_HOSTS` other than the default stops startup. Read at startup by the "
        "client's own parser, so a malformed id stops startup naming this variable.",
    )
    elasticsearch_index: str = Field(
        default="documents",
        min_length=1,
        description="The index or alias the service searches. `manage.py index` loads each new version of an "
        "index behind this name as an alias ([README](../README.md#your-own-index-in-five-minutes)). While it does "
        "not exist, the service runs and `/ready` answers 503 `index_unavailable`.",
    )
    elasticsearch_api_key: SecretStr | None = Field(
        default=None,
        description="An Elasticsearch API key for the service (the base64 `encoded` value Elasticsearch returns); "
        "give it `read` and `view_index_metadata` on the index and `monitor` on the cluster "
        "([how](operations.md#against-an-existing-cluster-elastic-cloud-or-your-own)). Excludes "
        "`ELASTICSEARCH_USERNAME`/`ELASTICSEARCH_PASSWORD`.",
    )
    elasticsearch_username: str | None = Field(
        default=None,
        description="Basic-auth user, set together with `ELASTICSEARCH_PASSWORD`; excludes `ELASTICSEARCH_API_KEY`.",
    )
    elasticsearch_password: SecretStr | None = Field(
        default=None, description="Basic-auth password, set together with `ELASTICSEARCH_USERNAME`."
    )
    elasticsearch_ca_certs: Path | None = Field(
        default=None,
        description="A CA bundle (PEM file) for nodes whose HTTPS certificates a private CA signed; the file must "
        "exist.",
    )
    elasticsearch_verify_certs: bool = Field(default=True, description="Verify the nodes' TLS certificates.")
    # A timeout is not retried (see elastic.py), so this is also the worst case a caller waits.
    elasticsearch_request_timeout: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Seconds one attempt to reach Elasticsearch may take, kept to the millisecond; then 504 "
        "`elasticsearch_timeout`. A timeout is not retried, so this is also the longest a caller waits on "
        "Elasticsearch. Must be above `SEARCH_TIMEOUT`.",
    )
    elasticsearch_max_retries: int = Field(
        default=1,
        ge=0,
        le=10,
        description="Retries of a request after a connection error, on another node when there is one; never "
        "because of an answer's status, never after a timeout. A refused connection fails in microseconds, so a "
        "retry is cheap.",
    )
    # aiohttp's timeout includes the wait for a pooled connection, so this must cover a worker's concurrency.
    elasticsearch_connections_per_node: int = Field(
        default=128,
        ge=1,
        le=10_000,
        description="Connections to each node, per worker process. Set it to at least the number of searches one "
        "worker must carry at once: a search waiting for a free connection spends its timeout waiting "
        "([why](operations.md#timeouts-retries-and-the-connection-pool)).",
    )

    _split_hosts = field_validator("elasticsearch_hosts", mode="before")(split_commas)

    @field_validator("elasticsearch_cloud_id")
    @classmethod
    def _check_cloud_id(cls, cloud_id: str | None) -> str | None:
        if cloud_id is None:
            return None
        # The client's own parser, so that what passes here is what the client accepts at the first request.
        try:
            address = parse_cloud_id(cloud_id.strip()).es_address
        except ValueError:
            raise ValueError(
                "not an Elastic Cloud ID: copy the deployment's `name:base64` id from its console"
            ) from None
        if address is None:
            raise ValueError("this Elastic Cloud ID names no Elasticsearch address")
        return cloud_id.strip()

    @field_validator("elasticsearch_ca_certs")
    @classmethod
    def _check_ca_certs_exist(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path
