"""What a tenant token binds a request to, as the endpoints behind SEARCH_AUTH read it: the token's filters, read
by the index mapping's types as a caller's filters are, for query/filters.py's within_tenant to AND into every
body they send; and the largest page it allows."""

from django.http import HttpRequest

from search_service.credentials import NotAuthenticated
from search_service.keys.auth import KEY_CHALLENGE, authenticated_key
from search_service.mapping.fields import IndexFields
from search_service.parameters import InvalidParameter
from search_service.query.filter_values import type_filters
from search_service.query.filters import Filter, parse_filter
from search_service.settings import ServiceSettings
from search_service.tenants.token import TenantClaims


def tenant_of(request: HttpRequest) -> TenantClaims | None:
    key = authenticated_key(request)
    return None if key is None else key.tenant


def tenant_filters(request: HttpRequest, config: ServiceSettings, fields: IndexFields) -> list[Filter]:
    """The request's tenant filters ([] without a token). A token whose filter the index cannot read (a field no
    longer filterable, a value its type refuses) is refused: 401 `invalid_token`, never a search without it."""
    claims = tenant_of(request)
    if claims is None:
        return []
    try:
        return type_filters([parse_filter(item, config.search_filter_fields) for item in claims.filters], fields)
    except ValueError as error:  # FilterValueError too
        raise NotAuthenticated(
            f"The tenant token's filter cannot be applied to this index: {error}", KEY_CHALLENGE, code="invalid_token"
        ) from None


def check_page_size(request: HttpRequest, size: int, parameter: str = "size") -> None:
    """422 when a page is larger than the token's `max_size` allows."""
    claims = tenant_of(request)
    if claims is not None and claims.max_size is not None and size > claims.max_size:
        raise InvalidParameter(parameter, f"this tenant token allows at most {claims.max_size} results a page")
