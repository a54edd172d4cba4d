"""How a load generator written here counts an answer: `200`, or its status and the service's error code."""

import httpx


def outcome_of(answer: httpx.Response) -> str:
    """`200`, or the status and the service's error code (`429 rate_limited`)."""
    if answer.status_code == 200:
        return "200"
    try:
        code = answer.json().get("error", "")
    except ValueError:
        code = ""
    return f"{answer.status_code} {code}".strip()
