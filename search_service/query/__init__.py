"""Queries, from what a caller wrote to what Elasticsearch runs and back: `policy` (parse, check, price and
re-write the query text; `diagnose`, with `grammar_walk` and `syntax_problems`, says what is wrong with
one it cannot parse), `syntax` (escaping), `body` (the `_search` body), `response` (the API's answer);
`suggest` (completions of a prefix) and `document` (one document by id), each its body and its answer."""
