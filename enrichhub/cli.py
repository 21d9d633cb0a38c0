"""Console scripts for use outside a checkout of enrichhub (the ingest repo's pre-commit)."""

import os
import sys
import tempfile
from pathlib import Path

from enrichhub.errors import EXIT_SETUP_ERROR, exit_on_setup_error


def registry_audit() -> None:
    """`enrichhub-registry-audit [--check] PATH...` against the registry in DATABASE_URL."""
    if not os.environ.get("DATABASE_URL", "").strip():
        print("enrichhub: error: set DATABASE_URL to the warehouse that holds the workflow registry",
              file=sys.stderr)
        sys.exit(EXIT_SETUP_ERROR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enrichhub.settings")
    # Installed as a package there is no project folder to keep local state in.
    os.environ.setdefault("ENRICHHUB_VAR_DIR", str(Path(tempfile.gettempdir()) / "enrichhub"))
    with exit_on_setup_error():
        import django
        from django.core.management import call_command

        django.setup()
        call_command("registry_audit", *sys.argv[1:])
