"""Response rendering: orjson instead of the standard library's json, several times faster on search hits."""

from typing import Any

import orjson
from django.http import HttpRequest
from ninja.renderers import BaseRenderer


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data)
