"""Fixtures for the browser tests: the app as the image runs it (uvicorn, DEBUG off) on a loopback port, against
a temporary index on the real node, and Debian's Chromium driven by Playwright.

Playwright cannot download its own browsers here (no internet), so it drives /usr/bin/chromium, which .ci/run
installs from Debian's packages. The fixtures are package-scoped: one browser and one server for these tests,
gone before any other test runs (Playwright's synchronous API keeps an event loop of its own).
"""

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from search_service.demo import DEMO_MAPPING
from tests.conftest import FIXTURE_DOCUMENTS, REPO, free_port, serve_environment, temporary_index
from tests.test_serve import image_command, wait_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # tests run as root in containers, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",  # no traffic but to the app under test
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000  # for each wait on the page; a search here takes milliseconds

# A document whose every text field carries markup and script: the page must show it as text and run none of it.
HOSTILE_DOCUMENT: dict[str, Any] = {
    "_id": "hostile.<b>bold</b>",
    "module": "hostile<img src=x onerror=window.pwned=1>",
    "name": "<b>bold</b>",
    "qualname": "hostile.<b>bold</b>",
    "kind": "<i>kind</i>",
    "signature": "(<script>window.pwned=2</script>)",
    "summary": "Injects <script>window.pwned=3</script> into the page.",
    "docstring": 'Injects <script>window.pwned=3</script> and <img src=x onerror="window.pwned=4"> into the page.',
}
BROWSER_DOCUMENTS = [*FIXTURE_DOCUMENTS, HOSTILE_DOCUMENT]


@contextmanager
def serve_app(index: str, log_path: Path, **environment: str) -> Iterator[str]:
    """The image's CMD on a free loopback port, searching `index`; yields its base URL. The log goes to a file:
    a pipe nobody reads would fill up and stall the server."""
    port = free_port()
    env = serve_environment(index, port, **environment)
    with log_path.open("w") as log:
        process = subprocess.Popen(image_command(), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(f"{base_url}/health").status_code == 200
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="package")
def browser_index(elasticsearch_url: str) -> Iterator[str]:
    with temporary_index("browser", DEMO_MAPPING, BROWSER_DOCUMENTS) as name:
        yield name


@pytest.fixture(scope="package")
def base_url(browser_index: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_app(browser_index, tmp_path_factory.mktemp("app") / "app.log") as url:
        yield url


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Chromium with a new, empty profile (user-data dir) of its own."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path_factory.mktemp("chromium-profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1200, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser: BrowserContext, base_url: str) -> Iterator[Page]:
    """A new tab. Afterwards: no script error happened, and nothing was fetched from anywhere but the app."""
    tab = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("request", lambda request: requests.append(request.url))
    yield tab
    tab.close()
    assert errors == []
    assert [url for url in requests if not url.startswith((base_url + "/", "data:"))] == []
