"""Response rendering: orjson instead of the standard library's json, several times faster on search hits."""

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja.renderers import BaseRenderer


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data)


def render_json(data: Any, status: int = 200) -> HttpResponse:
    """A JSON response rendered as the API renders, for views that return an HttpResponse themselves."""
    return HttpResponse(orjson.dumps(data), status=status, content_type=OrjsonRenderer.media_type)
