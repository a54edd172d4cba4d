"""The index's mapping as the source of truth: which fields exist, of which type, and what each may be used for.

- `fields.py`: the mapping (of one index or of every index behind an alias) read into field names and types. Pure.
- `check.py`: the service's field settings checked against those types. Pure.
- `proposal.py`: settings that fit an index, for `manage.py inspect_index`. Pure.
- `loaded.py`: the worker's copy of the fields, read from Elasticsearch and re-read when the index changes. I/O.
"""
