"""The Python and JavaScript of docs/tenant-tokens.md, run as written: the tokens they make are tokens the
service reads, bound to the filters they were given."""

import re
import subprocess
from pathlib import Path

import pytest

from search_service.keys.format import generate_key
from search_service.tenants.token import TokenInvalid, TokenRules, read_token
from tests.conftest import REPO

DOC = REPO / "docs" / "tenant-tokens.md"
RULES = TokenRules(filter_fields=["customer", "status"], max_filters=4, max_ttl=86_400, max_page_size=100)
FILTERS = ["customer:acme", "status:published"]


def snippet(language: str) -> str:
    [code] = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    return str(code)


def test_the_python_snippet_makes_a_token_the_service_reads() -> None:
    namespace: dict[str, object] = {}
    exec(snippet("python"), namespace)
    parent = generate_key()
    token = namespace["tenant_token"](parent.key, FILTERS, ttl=600)  # type: ignore[operator]
    claims = read_token(token, parent.key_hash, RULES)
    assert claims.filters == tuple(FILTERS)
    assert claims.parent_prefix == parent.prefix
    with pytest.raises(TokenInvalid):  # signed with that key, not another
        read_token(token, generate_key().key_hash, RULES)


def test_the_javascript_snippet_makes_a_token_the_service_reads(tmp_path: Path) -> None:
    parent = generate_key()
    module = tmp_path / "token.mjs"
    module.write_text(
        snippet("js") + f"\nconsole.log(tenantToken({parent.key!r}, {FILTERS!r}, 600));\n".replace("'", '"')
    )
    made = subprocess.run(["node", str(module)], capture_output=True, text=True, check=True, timeout=60)
    claims = read_token(made.stdout.strip(), parent.key_hash, RULES)
    assert claims.filters == tuple(FILTERS)
    assert claims.parent_prefix == parent.prefix
