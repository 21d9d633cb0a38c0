#!/usr/bin/env python
"""Django's command-line utility, with database problems reported as one line."""

import gc
import os
import sys


def main() -> None:
    # Start-up allocates a few hundred thousand objects that live as long as the process;
    # collecting them over and over while they are created buys nothing (a fifth of the
    # start-up time here). They are frozen out of later collections once loaded.
    gc.disable()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enrichhub.settings")
    if sys.argv[1:2] == ["runserver"]:
        from enrichhub.database import PROCESS_VARIABLE, WEB_PROCESS

        os.environ.setdefault(PROCESS_VARIABLE, WEB_PROCESS)  # serves the web tier, as gunicorn does
    from django.core.management import execute_from_command_line

    from enrichhub.errors import exit_on_setup_error

    with exit_on_setup_error():
        # Evaluate settings here: Django itself swallows a settings error while it looks up
        # the command, and then reports any project command as "Unknown command".
        from django.conf import settings

        settings.DATABASES  # noqa: B018 -- the attribute access is the point
        _setup_then_collect_again()
        execute_from_command_line(sys.argv)


def _setup_then_collect_again() -> None:
    import django

    try:
        django.setup()
    finally:
        gc.freeze()
        gc.enable()


if __name__ == "__main__":
    main()
