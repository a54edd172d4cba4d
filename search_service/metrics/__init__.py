"""Prometheus metrics: the series (`series`), the middleware that times every request (`middleware`), and the
exposition, in one process or summed over uvicorn's workers (`exposition`). The Elasticsearch client's node
times its calls (elastic.py); /metrics is endpoints/metrics.py."""
