# Needs BuildKit (`RUN --mount` below): the default builder since Docker Engine 23; on older engines set
# DOCKER_BUILDKIT=1. No `# syntax=` line: the engine's built-in frontend handles everything here, and the
# directive would make every fresh builder pull a frontend image from a registry.
#
# The base is named by tag, so each build takes the newest 3.11 patch release and Debian security fixes. To pin
# it by digest instead (the same base on every build; repeat to update), write the digest into both FROM lines,
# `python:3.11-slim-bookworm@sha256:<digest>`, as this prints it:
#   docker pull python:3.11-slim-bookworm && docker image inspect --format '{{index .RepoDigests 0}}' python:3.11-slim-bookworm

# Build stage: resolve the locked dependencies into a virtualenv; nothing of this stage but /app/.venv ships.
FROM python:3.11-slim-bookworm AS build
RUN pip install --no-cache-dir --root-user-action=ignore uv==0.13.9
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
# A regular (non-system) user with a fixed id, so volumes and policies can name it; no home, no login shell.
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY manage.py ./
COPY config ./config
COPY search_service ./search_service
COPY scripts/serve ./scripts/serve
# The static files (the OpenAPI page's and the search page's), with their gzip variants, into STATIC_ROOT, owned by
# root: read-only.
RUN python manage.py collectstatic --noinput --verbosity 0
# The search analytics database (SQLite, unless DATABASE_URL names another): the one directory the app writes.
# Mount a volume here to keep it across containers; docker-compose.yml does.
# (-p: collectstatic above has made it already, as root, by loading the settings, whose database lives there.)
ENV DATA_DIR=/app/data
RUN mkdir -p /app/data && chown 10001:10001 /app/data
# Production settings: every search, suggestion and document needs an API key (`docker exec <container> python
# manage.py create_api_key NAME --scope search`, stored in the database above). A service that answers anyone is
# a choice an operator makes (SEARCH_REQUIRE_API_KEY=false), not a default it inherits; docker-compose.yml makes
# it for development. (DL3064 reads "KEY" in the name as a secret; this is a switch.)
# hadolint ignore=DL3064
ENV SEARCH_REQUIRE_API_KEY=true
USER 10001:10001
EXPOSE 8000
# Liveness only: /health answers without touching Elasticsearch, and its successes are not access-logged.
# Python because the slim base has no curl; no proxy, even if HTTP_PROXY is set in the container.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as r; r.build_opener(r.ProxyHandler({})).open(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=2)"]
# uvicorn finishes in-flight requests on SIGTERM, then runs the lifespan shutdown that closes the client.
STOPSIGNAL SIGTERM
CMD ["scripts/serve"]
