"""The demo documents never carry the loading process's own state: its environment, its paths."""

import os
import sys
import warnings
from typing import Any

import pytest

from search_service import demo

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # cgi is deprecated, and still indexed by the demo
    import cgi as cgi_module


HOME_FILE = os.path.expanduser("~") + "/x"  # a default that names this machine


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    """The whole standard library, as load_demo indexes it (a few seconds)."""
    return {document["_id"]: document for document in demo.stdlib_documents()}


def test_a_default_that_is_the_environment_reads_as_an_ellipsis():
    assert demo._signature(cgi_module.parse).startswith("(fp=None, environ=…, keep_blank_values=0")


def test_defaults_naming_this_machine_or_a_secret_are_redacted_and_ordinary_ones_kept(monkeypatch):
    monkeypatch.setenv("DEMO_TEST_TOKEN", "s3cr3t-t0ken-value")

    def sample(
        path=sys.executable,
        token="s3cr3t-t0ken-value",
        encoding="utf-8",
        limit=3,
        table=tuple(range(100)),
        *,
        home=HOME_FILE,
    ):
        """A sample."""

    assert demo._signature(sample) == "(path=…, token=…, encoding='utf-8', limit=3, table=…, *, home=…)"


def test_no_demo_document_carries_an_environment_value_or_a_local_path(documents):
    assert len(documents) > 5000
    secrets = [value for value in os.environ.values() if len(value) >= demo.MIN_ENVIRONMENT_VALUE]
    local = [sys.prefix, sys.base_prefix, os.getcwd()]
    leaks = [
        document["_id"]
        for document in documents.values()
        if "environ(" in document["signature"]
        or any(secret in document["signature"] for secret in secrets)
        or any(path in document["signature"] for path in local)
    ]
    assert leaks == []


@pytest.mark.parametrize("name", ["cgi.parse", "cgi.FieldStorage", "platform.architecture"])
def test_the_documents_once_leaking_are_still_indexed(documents, name):
    assert "…" in documents[name]["signature"]
