"""`manage.py tenant_token PARENT_KEY --filter customer:acme --ttl 3600`: a tenant token, printed alone on the last
line. Made offline, as any JWT library makes one (docs/tenant-tokens.md): the parent key is not looked up, only
checked against the settings' rules, so a token the service would refuse is not made."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from search_service.tenants.token import make_token
from search_service.tenants.verify import token_rules


class Command(BaseCommand):
    help = "Make a tenant token of an API key: every search made with it is bound to its filters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("parent_key", help="the API key (ssk_...) that signs the token; it needs the search scope")
        parser.add_argument(
            "--filter",
            action="append",
            required=True,
            help="repeatable, as /search's `filter`: field:value or field:low..high, on SEARCH_FILTER_FIELDS",
        )
        parser.add_argument("--ttl", type=int, default=3_600, help="seconds until it expires (default 3600)")
        parser.add_argument("--max-size", type=int, help="the largest page the token may ask for")
        parser.add_argument("--rate-limit", help="its own rate limit on top of the parent's, e.g. '10/second'")
        parser.add_argument("--tenant", help="a label for logs and analytics (default: the filters)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = time.time()
        try:
            token = make_token(
                options["parent_key"],
                filters=options["filter"],
                ttl=options["ttl"],
                rules=token_rules(settings.SEARCH),
                now=now,
                max_size=options["max_size"],
                rate_limit=options["rate_limit"],
                label=options["tenant"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        expires = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(now) + options["ttl"]))
        self.stdout.write(f"Tenant token for {', '.join(options['filter'])}, expires {expires}:")
        self.stdout.write(token)
