import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from enrichhub.services import admin_account_ensure


class Command(BaseCommand):
    help = "Create the admin superuser if missing and print its credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        account = admin_account_ensure(
            username=settings.ADMIN_USERNAME,
            password=os.environ.get("ENRICHHUB_ADMIN_PASSWORD") or None,
            password_file=settings.ADMIN_PASSWORD_FILE,
        )
        verb = "created" if account.created else "exists"
        password = account.password or "(unchanged; set ENRICHHUB_ADMIN_PASSWORD to reset it)"
        self.stdout.write(f"admin user {verb}: username {account.username}  password {password}")
