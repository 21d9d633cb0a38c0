"""Turn configuration and connection failures into one actionable line."""

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

from enrichhub.database import connection_variable

EXIT_SETUP_ERROR = 2


def describe_operational_error(exc: OperationalError, *, environ: Mapping[str, str] = os.environ) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    variable = connection_variable(environ=environ)
    if "unsupported startup parameter" in first_line:
        return (f"cannot connect through {variable}: {first_line}. That is a pooler; jobs, the q2 cluster and "
                "manage.py commands hold sessions and need the server itself: point ENRICHHUB_DIRECT_DATABASE_URL "
                "there, and leave DATABASE_URL on the pooler for the web tier")
    return (
        f"cannot reach the database: {first_line}. Check {variable} (host, port, user, password, "
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
