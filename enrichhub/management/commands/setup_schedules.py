from typing import Any

from django.core.management.base import BaseCommand

from enrichhub.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create or update enrichhub's django-q2 schedules (idempotent; see Django Q in the admin)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, created in schedules_ensure():
            self.stdout.write(f"{'created' if created else 'up to date'}: {name}")
