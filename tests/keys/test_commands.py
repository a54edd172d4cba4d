"""create_api_key, list_api_keys and revoke_api_key against the real database."""

import io

import pytest
from django.core.management import CommandError, call_command

from search_service.keys.format import hash_key
from search_service.models import ApiKey

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_prints_the_key_alone_on_its_last_line_and_stores_only_its_hash():
    output = run("create_api_key", "mobile app", "--scope", "search", "--scope", "admin", "--rate-limit", "5/second")
    key = output.rstrip("\n").splitlines()[-1]
    row = ApiKey.objects.get()
    assert key.startswith(f"ssk_{row.prefix}_")
    assert (row.name, row.scopes, row.rate_limit, row.revoked) == ("mobile app", ["search", "admin"], "5/second", None)
    assert row.key_hash == hash_key(key)
    assert key not in str(list(ApiKey.objects.values()))


def test_create_refuses_a_bad_rate_limit_or_an_empty_name():
    with pytest.raises(CommandError, match="not a rate limit"):
        run("create_api_key", "x", "--scope", "search", "--rate-limit", "lots")
    with pytest.raises(CommandError, match="name"):
        run("create_api_key", " ", "--scope", "search")
    assert not ApiKey.objects.exists()


def test_list_shows_prefixes_names_and_scopes_never_a_key():
    key = run("create_api_key", "partner", "--scope", "search").splitlines()[-1]
    run("create_api_key", "ops", "--scope", "admin", "--rate-limit", "")
    listing = run("list_api_keys")
    assert key not in listing
    lines = listing.splitlines()
    assert lines[0].split() == ["prefix", "name", "scopes", "rate", "limit", "created", "last", "used", "revoked"]
    assert key[:16] in lines[1]
    assert "partner" in lines[1]
    assert "default" in lines[1]
    assert "ops" in lines[2]
    assert "admin" in lines[2]
    assert "none" in lines[2]


def test_revoke_by_prefix_hides_the_key_from_the_list_unless_all():
    key = run("create_api_key", "old", "--scope", "search").splitlines()[-1]
    prefix = key[:16]  # ssk_ and 12 hex digits, as list_api_keys shows it
    assert "Revoked" in run("revoke_api_key", prefix)
    assert ApiKey.objects.get().revoked is not None
    assert "old" not in run("list_api_keys")
    assert "old" in run("list_api_keys", "--all")
    with pytest.raises(CommandError, match="no API key"):
        run("revoke_api_key", "ssk_000000000000")
    with pytest.raises(CommandError, match="not a key prefix"):
        run("revoke_api_key", "nonsense")
