"""Loading documents into a new version of an index and moving its alias onto it (`manage.py index`, `load_demo`).

`source` reads input into rows, `definition` decides what the new index is created with, `versions` names the
versions and picks the old ones to delete, `loader` does the I/O, `report` says what happened.
"""
