"""/documents/{id}'s parameter and answer."""

from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from search_service.query.document import MAX_ID_BYTES


class DocumentPath(Schema):
    doc_id: str = Field(
        min_length=1,
        description=f"The document's id, as a search hit's `id` gives it (at most {MAX_ID_BYTES} bytes of UTF-8); "
        "dots, slashes and any Unicode are part of it, percent-encode `?`, `#` and `%`",
        examples=["json.dumps"],
    )

    @field_validator("doc_id")
    @classmethod
    def _id_within_elasticsearch_limit(cls, doc_id: str) -> str:
        # Counted in bytes, as Elasticsearch counts: 512 two-byte characters are too long.
        if len(doc_id.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
            raise ValueError(f"must be at most {MAX_ID_BYTES} bytes of UTF-8")
        return doc_id


class DocumentResponse(Schema):
    id: str = Field(examples=["json.dumps"])
    index: str = Field(
        description="The index that holds it (ELASTICSEARCH_INDEX may be an alias)", examples=["documents"]
    )
    source: dict[str, Any] = Field(
        description="The document, limited to SEARCH_SOURCE_FIELDS as search hits are",
        examples=[{"module": "json", "name": "dumps", "qualname": "json.dumps", "kind": "function"}],
    )
