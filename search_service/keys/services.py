"""What the management commands do with keys (create, list, revoke), as plain functions of the ORM (sync: they
run in commands, never on the request path)."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from search_service.keys.format import SCOPES, check_rate_limit, generate_key, parse_prefix
from search_service.models import ApiKey

# A new prefix collides with an existing one with a chance of keys / 2**48; retrying a few times is plenty.
CREATE_ATTEMPTS = 5


class ApiKeyError(Exception):
    """A request a command cannot carry out; its message says why."""


@dataclass(frozen=True)
class CreatedKey:
    row: ApiKey
    key: str  # the only time the whole key exists outside its holder


def api_key_create(*, name: str, scopes: list[str], rate_limit: str | None = None) -> CreatedKey:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        got = ", ".join(unknown) or "none"
        raise ApiKeyError(f"scopes must be among {', '.join(SCOPES)} (at least one); got {got}")
    if not name.strip():
        raise ApiKeyError("the name must not be empty")
    try:
        limit = None if rate_limit is None else check_rate_limit(rate_limit)
    except ValueError as error:
        raise ApiKeyError(str(error)) from None
    for _ in range(CREATE_ATTEMPTS):
        new = generate_key()
        try:
            with transaction.atomic():
                row = ApiKey.objects.create(
                    name=name.strip(),
                    prefix=new.prefix,
                    key_hash=new.key_hash,
                    scopes=sorted(set(scopes), key=SCOPES.index),
                    rate_limit=limit,
                )
        except IntegrityError:
            continue  # the prefix is taken
        return CreatedKey(row=row, key=new.key)
    raise ApiKeyError("no free prefix found; try again")


def api_key_list(*, include_revoked: bool = False) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.order_by("created", "id")
    return keys if include_revoked else keys.filter(revoked__isnull=True)


def api_key_revoke(*, prefix: str) -> ApiKey:
    """Revoke the key with this prefix (`ssk_…` or the 12 hex digits); revoking it again changes nothing."""
    parsed = parse_prefix(prefix)
    if parsed is None:
        raise ApiKeyError(f"{prefix!r} is not a key prefix: 12 hex digits, as list_api_keys shows them")
    try:
        row = ApiKey.objects.get(prefix=parsed)
    except ApiKey.DoesNotExist:
        raise ApiKeyError(f"no API key has the prefix {parsed}") from None
    if row.revoked is None:
        row.revoked = timezone.now()
        row.save(update_fields=["revoked"])
    return row
