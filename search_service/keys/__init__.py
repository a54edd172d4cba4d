"""API keys: their format (`format`), their lookup with an in-process cache (`store`), `last_used` kept off the
request path (`last_used`), what management commands do with them (`services`), and ninja's auth (`auth`)."""
