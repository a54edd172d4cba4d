"""The HTTP endpoints, a module each; api.py mounts them. Each view is thin: parse, await, shape."""
