"""Logging for people at a console: a failed q2 task is one line there, its error is in the
admin (Django Q → Failed tasks). q2 puts the whole traceback in the message of its failure line,
and thirty lines of it pushed the demo's login line off the screen."""

import logging

ADMIN_PAGE = "the whole error: admin → Django Q → Failed tasks"


class TaskFailureOneLine(logging.Filter):
    """Keeps q2's failure lines to their first line on the handler it filters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django-q" and record.levelno >= logging.ERROR:
            first = record.getMessage().splitlines()[0] if record.getMessage() else ""
            record.msg, record.args, record.exc_info, record.exc_text = f"{first} ({ADMIN_PAGE})", (), None, None
        return True
