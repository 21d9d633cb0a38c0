#!/usr/bin/env python
"""Django's command-line utility, with database problems reported as one line."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enrichhub.settings")
    from django.core.management import execute_from_command_line

    from enrichhub.errors import exit_on_setup_error

    with exit_on_setup_error():
        # Evaluate settings here: Django itself swallows a settings error while it looks up
        # the command, and then reports any project command as "Unknown command".
        from django.conf import settings

        settings.DATABASES  # noqa: B018 -- the attribute access is the point
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
