"""The OpenAPI page (/docs) in Chromium: Swagger UI loads from the app's own static files and lists every operation."""

from playwright.sync_api import expect


def test_the_docs_page_renders_its_operations(page, base_url):
    page.goto(f"{base_url}/docs")

    paths = page.locator(".opblock-summary-path")
    expect(paths.first).to_be_visible()
    shown = {text.replace("\u200b", "") for text in paths.all_inner_texts()}
    assert {"/search", "/suggest", "/documents/{doc_id}", "/health", "/ready"} <= shown
