from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from runs.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for the enrichment API; the key is the last line printed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who will use it, e.g. modal-ingest")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        try:
            key, plain = api_key_create(name=name)
        except IntegrityError as exc:
            raise CommandError(f"an API key named {name!r} exists already; pick another name") from exc
        self.stdout.write(f"created API key {key.name!r} ({key.prefix}…); store it now, it is not shown again:")
        self.stdout.write(plain)
