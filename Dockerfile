# syntax=docker/dockerfile:1.7
# Build stage: resolve the locked dependencies into a virtualenv; nothing of this stage but /app/.venv ships.
FROM python:3.11-slim-bookworm AS build
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-install-project

# Runtime stage: the slim Python base, the virtualenv and the application code, run as an unprivileged user.
FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="search-service" \
      org.opencontainers.image.description="Async HTTP search API in front of an Elasticsearch index" \
      org.opencontainers.image.version="0.1.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH \
    PORT=8000 \
    WEB_CONCURRENCY=1
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home app
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY manage.py ./
COPY config ./config
COPY search_service ./search_service
COPY scripts/serve ./scripts/serve
USER 10001:10001
EXPOSE 8000
# Liveness only: /health answers without touching Elasticsearch. Python is used because the slim base has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=2)"]
# uvicorn finishes in-flight requests on SIGTERM, then runs the lifespan shutdown that closes the client.
STOPSIGNAL SIGTERM
CMD ["scripts/serve"]
