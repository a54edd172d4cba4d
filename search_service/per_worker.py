"""One object per worker for a configuration, made anew when the configuration object or the running event loop
changes: tests change both, and what holds futures or connections belongs to the loop it was made in."""

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from search_service.settings import ServiceSettings

T = TypeVar("T")


class PerConfigAndLoop(Generic[T]):
    def __init__(self, make: Callable[[ServiceSettings], T]) -> None:
        self._make = make
        self._current: tuple[ServiceSettings, asyncio.AbstractEventLoop | None, T] | None = None

    def __call__(self, config: ServiceSettings) -> T:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        current = self._current
        if current is None or current[0] is not config or current[1] is not loop:
            current = self._current = (config, loop, self._make(config))
        return current[2]

    @property
    def current(self) -> T | None:
        """The one made last, if any, whatever its configuration and loop (for shutdown)."""
        return None if self._current is None else self._current[2]
