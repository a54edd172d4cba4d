"""`manage.py revoke_api_key PREFIX`: the key stops working within API_KEY_CACHE_SECONDS on every worker."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from search_service.keys.format import LABEL
from search_service.keys.services import ApiKeyError, api_key_revoke


class Command(BaseCommand):
    help = "Revoke the API key with this prefix (as list_api_keys shows it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="e.g. ssk_0123456789ab")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            row = api_key_revoke(prefix=options["prefix"])
        except ApiKeyError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Revoked {LABEL}{row.prefix} {row.name!r} at {row.revoked:%Y-%m-%d %H:%M:%S} UTC; workers that verified "
            f"it in the last {settings.SEARCH.api_key_cache_seconds:g} s may accept it until their cache entry expires."
        )
