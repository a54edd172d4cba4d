"""JSON answers for what happens outside the API's routes (unknown paths, crashes Django catches)."""

from django.http import HttpRequest, JsonResponse


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse({"error": "not_found", "detail": f"No such endpoint: {request.path}"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"error": "internal_error", "detail": "An unexpected error occurred"}, status=500)
