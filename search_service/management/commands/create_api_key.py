"""`manage.py create_api_key NAME --scope search`: a new API key, printed once, alone on the last line."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from search_service.keys.format import LABEL, SCOPES
from search_service.keys.services import ApiKeyError, api_key_create


class Command(BaseCommand):
    help = "Create an API key. The key is printed once, alone on the last line; only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="whose key it is, e.g. 'mobile app'")
        parser.add_argument("--scope", action="append", choices=SCOPES, required=True, help="repeatable: search, admin")
        parser.add_argument(
            "--rate-limit",
            help="this key's own limit, e.g. '100/second;3000/minute'; '' for none; default SEARCH_RATE_LIMIT",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = api_key_create(name=options["name"], scopes=options["scope"], rate_limit=options["rate_limit"])
        except ApiKeyError as error:
            raise CommandError(str(error)) from None
        row = created.row
        limit = "SEARCH_RATE_LIMIT" if row.rate_limit is None else (row.rate_limit or "none")
        self.stdout.write(
            f"Created {LABEL}{row.prefix} {row.name!r}, scopes {', '.join(row.scopes)}, rate limit {limit}. "
            "Store the key now: it is not shown again."
        )
        self.stdout.write(created.key)
