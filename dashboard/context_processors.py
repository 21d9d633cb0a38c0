"""Template context every admin page gets."""

from django.http import HttpRequest

from dashboard.services import database_server_label


def database_server(request: HttpRequest) -> dict:
    # Only staff pages show it; anonymous pages (the login form) say nothing about the server.
    user = getattr(request, "user", None)
    if user is None or not user.is_staff:
        return {}
    return {"database_server": database_server_label()}
