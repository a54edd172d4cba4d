"""A cached answer as an HTTP response: its ETag, how long others may keep it, and 304 to a caller who has it."""

import time

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from search_service.answer_cache.entry import Entry, cache_control, matches_etag

JSON = "application/json"


def cached_response(request: HttpRequest, entry: Entry, *, private: bool) -> HttpResponse:
    if matches_etag(request.headers.get("If-None-Match"), entry.etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(entry.body, content_type=JSON)
    response["ETag"] = entry.etag
    response["Cache-Control"] = cache_control(entry.max_age(time.time()), private=private)
    return response
