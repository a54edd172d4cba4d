"""Search analytics: every search recorded (`record` shapes a row, `recorder` buffers and writes them in batches
off the request path, `middleware` feeds it), and read back (`reports`, aggregated in the database)."""
