"""Which PostgreSQL the admin runs on, and the superusers' page of top statements."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

DATABASE_PAGE = "/admin/database/"


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="dba", password="x-test-only")


def _server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        major, minor = divmod(cursor.fetchone()[0], 10_000)
    return f"PostgreSQL {major}.{minor}"


def test_the_admin_home_says_which_postgresql_it_runs_on(client, superuser):
    client.force_login(superuser)
    page = client.get("/admin/").content.decode()
    assert _server_version() in page and DATABASE_PAGE in page


def test_a_superuser_sees_the_statements_that_took_the_most_time(client, superuser):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_statements_reset()")  # the whole suite's statements would crowd it out
        for _ in range(3):
            cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE %s", ["enrichhub_probe_%"])
    client.force_login(superuser)
    response = client.get(DATABASE_PAGE)
    assert response.status_code == 200
    statements = response.context["overview"]["statements"]
    probe = [s for s in statements if "enrichhub_probe" in s["query"] or "relname LIKE $1" in s["query"]]
    assert probe and probe[0]["calls"] >= 3 and probe[0]["total_ms"] >= probe[0]["mean_ms"]
    totals = [s["total_ms"] for s in statements]
    assert totals == sorted(totals, reverse=True)
    assert _server_version() in response.content.decode()


def test_staff_without_superuser_rights_cannot_read_other_users_sql(client, db):
    staff = get_user_model().objects.create_user(username="ops", password="x-test-only", is_staff=True)
    client.force_login(staff)
    assert client.get(DATABASE_PAGE).status_code == 403
    assert DATABASE_PAGE not in client.get("/admin/").content.decode()


def test_without_the_extension_the_page_says_how_to_turn_statistics_on(client, superuser):
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION pg_stat_statements")  # undone with the test's transaction
    client.force_login(superuser)
    response = client.get(DATABASE_PAGE)
    assert response.status_code == 200 and response.context["overview"]["statements_ready"] is False
    assert "shared_preload_libraries" in response.content.decode()
