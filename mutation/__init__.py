"""`make mutation`'s own files: the report (report.py), the plugin its test runs load, the reviewed exclusions."""
