"""The service's own tables: what Elasticsearch does not hold."""

from search_service.models.api_key import ApiKey
from search_service.models.search_record import SearchRecord

__all__ = ["ApiKey", "SearchRecord"]
