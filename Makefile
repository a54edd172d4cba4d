# The project's commands. Each is a thin alias for a script, so CI and people run the same thing.
.PHONY: install test failover lint mutation docs dev elasticsearch-start elasticsearch-stop demo-data bench image

ELASTIC_PASSWORD ?= changeme
# The local node from scripts/elasticsearch runs with security on; these are its development credentials.
DEV_ENV = ELASTICSEARCH_HOSTS=http://127.0.0.1:9200 ELASTICSEARCH_USERNAME=elastic ELASTICSEARCH_PASSWORD=$(ELASTIC_PASSWORD)

install:
	uv sync --frozen

test:
	scripts/test

# The kill test on a 3-node cluster it starts on ports 9260-9262 (about two minutes); prints what it measured.
failover:
	uv run pytest -m cluster -s

lint:
	uv run ruff check . && uv run ruff format --check . && uv run mypy .

# Mutation testing of the query policy and admission (about 11 minutes): prints the share of mutants the tests catch,
# per module, and fails when one is under 90% (docs/development.md, "Mutation testing").
mutation:
	scripts/mutation

# docs/configuration.md, generated from the settings' descriptions (tests/test_configuration_reference.py fails
# until it is regenerated after a setting changes).
docs:
	uv run python -m search_service.settings_reference docs/configuration.md

elasticsearch-start:
	scripts/elasticsearch start

elasticsearch-stop:
	scripts/elasticsearch stop

demo-data: install elasticsearch-start
	$(DEV_ENV) uv run python manage.py load_demo

# Local Elasticsearch + demo data + the service and its search page on http://127.0.0.1:8000 (Ctrl-C stops the
# service). `make dev SEARCH_PAGE=false` leaves only the API. The service writes its own access log (JSON lines).
SEARCH_PAGE ?= true
dev: demo-data
	$(DEV_ENV) SEARCH_PAGE=$(SEARCH_PAGE) uv run uvicorn config.asgi:application --host 127.0.0.1 --port 8000 --no-access-log

# Benchmarks (about 37 minutes): writes docs/benchmarks/results.md, benchmarks.png and a report per scenario.
# BENCH_ARGS=--seconds 5 for a quick look; BENCH_ARGS="--only attack" (or features, toggles, instantsearch, fairness,
# indexing, relevance) for one scenario.
bench:
	scripts/install-bench-tools
	uv sync --frozen --group bench
	uv run --frozen --group bench python benchmarks/run.py $(BENCH_ARGS)

# The image, tagged as docker-compose.yml and docs/operations.md name it (the project's version). BuildKit is required
# (`RUN --mount`): the default since Docker Engine 23, switched on here for older ones.
# DOCKER_BUILD_FLAGS passes more options to `docker build` (e.g. --pull).
IMAGE = search-service:$(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
image:
	DOCKER_BUILDKIT=1 docker build $(DOCKER_BUILD_FLAGS) --tag $(IMAGE) .
