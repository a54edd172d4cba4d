"""Part 5: what admission itself costs per request, in process: its entry point entered and left N times in one
event loop. Run as its own process (`python benchmarks/fairness/cost.py N`), so that whatever the entry point
needs (Django's settings, the service's environment) stays out of the benchmark's; prints one JSON line.

The entry point is looked up when it runs, not imported by name: admission is being rewritten (issue 19), so a
renamed or re-shaped function is reported as skipped, with why, instead of breaking the benchmark."""

import asyncio
import importlib
import inspect
import json
import os
import sys
import time
from contextlib import asynccontextmanager
from typing import Any

ENTRY_POINTS = ("admit",)  # in search_service.admission, the first one found
CALLERS = [f"10.9.{i // 250}.{i % 250 + 1}" for i in range(100)]


def _arguments(function: Any, config: Any) -> tuple[dict[str, Any], str | None]:
    """Keyword arguments for a cheap, ordinary search, by parameter name; or why they cannot be made."""
    from search_service.query.policy import QueryCost

    made: dict[str, Any] = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name in ("config", "settings"):
            made[name] = config
        elif name in ("client", "caller", "identity", "key", "who"):
            made[name] = CALLERS[0]
        elif name == "expensive":
            made[name] = False
        elif name == "cost":
            made[name] = QueryCost() if "QueryCost" in str(parameter.annotation) else 1
        elif parameter.default is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            return made, f"no value known for its required parameter `{name}`"
    return made, None


@asynccontextmanager
async def _nothing() -> Any:
    yield


async def _time(enter: Any, arguments: dict[str, Any], n: int) -> float:
    caller_parameter = next((k for k in ("client", "caller", "identity", "key", "who") if k in arguments), None)
    began = time.perf_counter()
    for i in range(n):
        if caller_parameter:
            arguments[caller_parameter] = CALLERS[i % len(CALLERS)]
        entered = enter(**arguments)
        if inspect.isawaitable(entered) and not hasattr(entered, "__aenter__"):
            entered = await entered
        if hasattr(entered, "__aenter__"):
            async with entered:
                pass
    return (time.perf_counter() - began) / n * 1e6


def measure(n: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    admission = importlib.import_module("search_service.admission")
    name = next((name for name in ENTRY_POINTS if callable(getattr(admission, name, None))), None)
    if name is None:
        exported = ", ".join(getattr(admission, "__all__", [])) or "nothing"
        return {"skipped": f"search_service.admission has no {' or '.join(ENTRY_POINTS)} (it exports {exported})"}
    enter = getattr(admission, name)
    signature = f"{name}{inspect.signature(enter)}"
    arguments, missing = _arguments(enter, settings.SEARCH)
    if missing:
        return {"skipped": f"`{signature}`: {missing}", "entry": signature}
    try:
        for _warm_up in range(2):
            baseline = asyncio.run(_time(lambda **_: _nothing(), {}, n))
            per_request = asyncio.run(_time(enter, arguments, n))
    except Exception as error:  # the tolerant part: say what failed instead of failing the run
        return {"skipped": f"`{signature}` raised {type(error).__name__}: {error}", "entry": signature}
    return {"entry": signature, "arguments": sorted(arguments), "n": n, "us": per_request, "empty_us": baseline}


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    print(json.dumps(measure(int(sys.argv[1]))))
