"""The Algolia search protocol, the subset InstantSearch.js and React InstantSearch use, over the configured index:
its parameters (params.py), filters (filters.py), the `_msearch` bodies (body.py) and the answers (response.py,
highlight.py). Pure: the endpoints are in endpoints/instantsearch.py. See docs/instantsearch.md."""
