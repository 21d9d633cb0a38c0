"""Project-level services: the demo's admin account and API key."""

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model


@dataclass(frozen=True)
class AdminAccount:
    username: str
    password: str | None  # None when an existing account's password is not known to us
    created: bool


def admin_account_ensure(*, username: str, password: str | None, password_file: Path) -> AdminAccount:
    """Create the superuser if missing; reuse and report its password when we set it before.

    A generated password is kept in password_file (git-ignored, mode 600) so that the next
    `make demo` can print it again. An explicit password resets the account's password.
    """
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    remembered = password_file.read_text().strip() if password_file.exists() else None
    if user is not None and password is None:
        known = remembered if remembered and user.check_password(remembered) else None
        return AdminAccount(username=username, password=known, created=False)
    chosen = password or remembered or secrets.token_urlsafe(12)
    if user is None:
        user_model.objects.create_superuser(username=username, email="", password=chosen)
    else:
        user.set_password(chosen)
        user.save(update_fields=["password"])
    if password is None:
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(chosen + "\n")
        password_file.chmod(0o600)
    return AdminAccount(username=username, password=chosen, created=user is None)


def demo_api_key_ensure(*, key_file: Path) -> str:
    """The demo's API key: the one kept in key_file while it still works, else a new one."""
    from runs.services import api_key_authenticate, api_key_create

    if key_file.exists():
        remembered = key_file.read_text().strip()
        if api_key_authenticate(plain=remembered):
            return remembered
    _, plain = api_key_create(name=f"demo-{secrets.token_hex(3)}")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(plain + "\n")
    key_file.chmod(0o600)
    return plain
