import subprocess

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from psycopg import sql

# Fixtures every folder uses: the seeded demo warehouse and run reporting through the API.
pytest_plugins = ["tests.fixtures.warehouse", "tests.fixtures.api", "tests.fixtures.q2"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database gets the warehouse shape on top of enrichhub's migrations.

    The database pytest-django just created is disposable on any server, so the shape DDL that
    a DATABASE_URL server refuses by default is allowed on it.
    """
    from django.conf import settings

    settings.WAREHOUSE_DDL_ALLOWED = True
    with django_db_blocker.unblock():
        call_command("create_warehouse")
        _statement_statistics_enable()
        _autovacuum_yields_at_once()


def _statement_statistics_enable() -> None:
    """The top-statements panel's extension, where the server preloads its library (the embedded
    one does; a DATABASE_URL server may not)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT 'pg_stat_statements' = ANY(string_to_array(
                              replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
                          AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements')""")
        if cursor.fetchone()[0]:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def _autovacuum_yields_at_once() -> None:
    """An ANALYZE that meets autovacuum on its table waits deadlock_timeout (1 s) before
    cancelling it; the demo fixture analyses a hundred tables, which autovacuum, woken by a test
    that committed a warehouse, was working through one by one: 20 s setups. Tests keep
    autovacuum (a rolled-back insert leaves dead rows) and stop waiting for it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return  # a server where the tests are no superuser: they wait, and still pass
        cursor.execute(sql.SQL("ALTER DATABASE {} SET deadlock_timeout = '20ms'").format(
            sql.Identifier(connection.settings_dict["NAME"])).as_string(connection.connection))
        cursor.execute("SET deadlock_timeout = '20ms'")


# Fixtures that start processes: a test using one is a system test without saying so.
PROCESS_FIXTURES = frozenset({"q2_cluster", "browser_page"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by mark
def pytest_collection_modifyitems(items):
    for item in items:
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.system)


@pytest.fixture(autouse=True)
def _processes_only_in_system_tests(request, monkeypatch):
    """A test that starts a process must say so (the `system` mark): `make test-fast` leaves those
    out, and it stays fast only if none slips in unmarked. Every process goes through Popen."""
    if request.node.get_closest_marker("system"):
        return

    def refused(self, args, *rest, **kwargs):
        raise AssertionError(f"this test starts a process ({args!r}): mark it @pytest.mark.system")

    monkeypatch.setattr(subprocess.Popen, "__init__", refused)


@pytest.fixture(autouse=True)
def _fast_password_hashing(request):
    """The production hasher takes a quarter second per password here, and most tests make a
    user: tests that start no process hash with MD5, as Django advises for tests. System tests
    keep the production hasher, since the processes they start check passwords with it."""
    if request.node.get_closest_marker("system"):
        yield
        return
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    # API throttles count in Django's cache; verified keys, status plans, the indexes jobs probe
    # and checked mapping plans live in process caches: a test must not inherit another test's.
    from kernel import process_caches_clear

    cache.clear()
    process_caches_clear()
    yield
    cache.clear()
    process_caches_clear()


@pytest.fixture
def ops(client, db):
    """A superuser, logged in with the test client."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser(username="ops", email="", password="x-test-only")
    client.force_login(user)
    return user


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database a test runs on, for subprocesses that must share it."""
    from urllib.parse import quote

    user = quote(settings_dict["USER"] or "")
    password = quote(settings_dict["PASSWORD"] or "")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict["HOST"] or settings_dict.get("OPTIONS", {}).get("host", "")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgresql://{credentials}{quote(host, safe='')}{port}/{settings_dict['NAME']}"


def pytest_sessionfinish(session, exitstatus):
    """A test run leaves the machine as it found it: an embedded server it started is stopped;
    one that was already running (a demo) is left alone. Under `-n`, the controlling process
    starts the server before its workers and stops it after all of them; a worker never does."""
    import os

    from django.conf import settings

    if hasattr(session.config, "workerinput"):
        return
    if not settings.configured or not getattr(settings, "EMBEDDED_DATABASE", False):
        return
    from django.db import connections

    from enrichhub.embedded_db import data_dir_from, embedded_server_started_here, embedded_server_stop

    data_dir = data_dir_from(os.environ)
    if embedded_server_started_here(data_dir=data_dir):
        connections.close_all()
        embedded_server_stop(data_dir=data_dir)
