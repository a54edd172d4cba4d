"""`manage.py list_api_keys`: the keys by prefix, with their name, scopes, rate limit and use; never a key."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from search_service.keys.format import LABEL
from search_service.keys.services import api_key_list


def _when(moment: Any) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


class Command(BaseCommand):
    help = "List the API keys (prefix, name, scopes, rate limit, created, last used); --all adds revoked ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="include revoked keys")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = [("prefix", "name", "scopes", "rate limit", "created", "last used", "revoked")]
        for key in api_key_list(include_revoked=options["all"]):
            limit = "default" if key.rate_limit is None else (key.rate_limit or "none")
            rows.append(
                (
                    f"{LABEL}{key.prefix}",
                    key.name,
                    ",".join(key.scopes),
                    limit,
                    _when(key.created),
                    _when(key.last_used),
                    _when(key.revoked),
                )
            )
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
