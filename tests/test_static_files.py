"""Static files: the assets of the OpenAPI page and of the search page are served by the app itself, as a browser
loads them."""

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from search_service.settings import ServiceSettings

DEFAULT_RATE_LIMIT = ServiceSettings.model_fields["search_rate_limit"].default

CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


class AssetCollector(HTMLParser):
    """Every URL a browser fetches while loading the page: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        rel = set(attributes.get("rel", "").split())
        if tag in ("script", "img") and attributes.get("src"):
            self.urls.append(attributes["src"])
        elif tag == "link" and attributes.get("href") and rel & {"stylesheet", "icon"}:
            self.urls.append(attributes["href"])


PAGES = ["/docs", "/"]


async def page_assets(api, path: str = "/docs") -> list[str]:
    page = await api.get(path)
    assert page.status_code == 200
    collector = AssetCollector()
    collector.feed(page.text)
    return [urljoin(str(page.url), url) for url in collector.urls]


@pytest.mark.parametrize("path", PAGES)
async def test_every_asset_of_a_page_is_served_with_its_content_type(api, path):
    urls = await page_assets(api, path)

    # /docs: Swagger UI's stylesheet, bundle and start-up script, and the icons. /: script, stylesheet, icon.
    assert len(urls) >= 3, urls
    for url in urls:
        response = await api.get(url)
        assert response.status_code == 200, url
        extension = url[url.rindex(".") :]
        assert response.headers["content-type"].split(";")[0] == CONTENT_TYPES[extension], url
        assert response.content, url
        assert "max-age=" in response.headers["cache-control"], url


@pytest.mark.parametrize(("path", "then"), [("/docs", "/openapi.json"), ("/", "/search?q=json&facets=module,kind")])
async def test_a_browser_load_of_a_page_fits_the_default_rate_limit(api, configure_service, path, then):
    # The page, its assets and what its script then fetches, from one client, at once.
    configure_service(search_rate_limit=DEFAULT_RATE_LIMIT)
    urls = [*await page_assets(api, path), then]

    for url in urls:
        response = await api.get(url)
        assert response.status_code == 200, url


async def test_an_unchanged_asset_is_not_sent_again(api):
    url = (await page_assets(api))[0]
    first = await api.get(url)

    again = await api.get(url, headers={"If-None-Match": first.headers["etag"]})

    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/static/ninja/nothing-here.js", "/static/../config/settings.py"])
async def test_what_is_not_a_static_file_is_a_json_404(api, path):
    response = await api.get(path)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


async def test_a_wrong_method_on_a_static_file_is_a_json_405(api):
    url = (await page_assets(api))[0]

    response = await api.request("OPTIONS", url)

    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, HEAD"
