"""The README stays a front door, and the links of the README and docs/ lead somewhere: every relative link to an
existing file, every #anchor to a heading of its page (GitHub's anchors). No server needed."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
README_MAX_LINES = 400

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, where links and headings mean something."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text (links and code marks dropped), lower case, spaces to hyphens, and
    every character that is not a letter, digit, hyphen or underscore removed."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return "".join(char for char in text.lower().replace(" ", "-") if char.isalnum() or char in "-_")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(page.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if match:
            slug = github_slug(match.group(2))
            # A repeated heading gets -1, -2, ... as on GitHub.
            found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
            seen[slug] = seen.get(slug, 0) + 1
    return found


def links(page: Path) -> list[str]:
    # Code spans go first (`[a](b)` in one is text); a link's text may run over two lines.
    prose = "\n".join(_CODE_SPAN.sub("", line) for line in prose_lines(page.read_text(encoding="utf-8")))
    return _LINK.findall(prose)


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: are not checked here
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file {destination.relative_to(REPO)}")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading #{anchor} in {destination.relative_to(REPO)}")
    return broken


def test_readme_is_a_front_door_of_at_most_400_lines():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/ (limit {README_MAX_LINES})"


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(REPO)) for page in PAGES])
def test_every_relative_link_leads_to_a_file_and_heading(page):
    assert links(page), "a page without links: is the link pattern still right?"
    broken = broken_links(page)
    assert not broken, f"{page.relative_to(REPO)} has broken links:\n  " + "\n  ".join(broken)


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Your own index in five minutes", "your-own-index-in-five-minutes"),
        ("With `docker compose up` (development)", "with-docker-compose-up-development"),
        ("Browsers: CORS and security headers", "browsers-cors-and-security-headers"),
        ("5. Faults are the service's, not the caller's", "5-faults-are-the-services-not-the-callers"),
        ("`SEARCH_MAX_SIZE`", "search_max_size"),
        ("Counts only: `size=0`", "counts-only-size0"),
        ("Where it stands (from [results.md](docs/benchmarks/results.md))", "where-it-stands-from-resultsmd"),
    ],
)
def test_anchors_follow_githubs_rules(heading, slug):
    assert github_slug(heading) == slug


def test_a_broken_link_and_a_missing_heading_are_found(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    (tmp_path / "other.md").write_text("# Other\n\n## A section\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#a-section) [self](#page) [gone](missing.md) [wrong](other.md#nothing)\n"
        "[two\nlines](gone.md)\n"
        "```\n[in code](not-checked.md)\n```\n`[in a span](not-checked.md)` [web](https://example.com/x)\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "missing.md: no such file missing.md",
        "other.md#nothing: no heading #nothing in other.md",
        "gone.md: no such file gone.md",
    ]
