"""Turn configuration and connection failures into one actionable line."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

EXIT_SETUP_ERROR = 2


def describe_operational_error(exc: OperationalError) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"cannot reach the database: {first_line}. Check DATABASE_URL (host, port, user, password, "
        "database) or unset it to use the embedded server"
    )


@contextmanager
def exit_on_setup_error() -> Iterator[None]:
    try:
        yield
    except ImproperlyConfigured as exc:
        _die(str(exc))
    except OperationalError as exc:
        _die(describe_operational_error(exc))


def _die(message: str) -> None:
    print(f"enrichhub: error: {message}", file=sys.stderr)
    sys.exit(EXIT_SETUP_ERROR)
