import pytest
from django.contrib.auth import get_user_model

from enrichhub.services import admin_account_ensure


@pytest.mark.django_db
def test_it_creates_a_superuser_and_remembers_the_generated_password(tmp_path):
    password_file = tmp_path / "admin-password.txt"
    account = admin_account_ensure(username="ops", password=None, password_file=password_file)
    user = get_user_model().objects.get(username="ops")
    assert account.created and user.is_superuser
    assert user.check_password(account.password)
    assert password_file.read_text().strip() == account.password
    assert password_file.stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_a_second_call_reports_the_same_password_without_changing_it(tmp_path):
    password_file = tmp_path / "admin-password.txt"
    first = admin_account_ensure(username="ops", password=None, password_file=password_file)
    second = admin_account_ensure(username="ops", password=None, password_file=password_file)
    assert not second.created and second.password == first.password


@pytest.mark.django_db
def test_an_explicit_password_resets_the_account(tmp_path):
    password_file = tmp_path / "admin-password.txt"
    admin_account_ensure(username="ops", password=None, password_file=password_file)
    admin_account_ensure(username="ops", password="correct horse battery", password_file=password_file)
    assert get_user_model().objects.get(username="ops").check_password("correct horse battery")


@pytest.mark.django_db
def test_an_unknown_password_is_not_invented(tmp_path):
    get_user_model().objects.create_superuser(username="ops", email="", password="set elsewhere")
    account = admin_account_ensure(username="ops", password=None, password_file=tmp_path / "none.txt")
    assert account.password is None and not account.created


@pytest.mark.django_db
def test_the_admin_login_works_for_the_demo_account(client, tmp_path):
    account = admin_account_ensure(username="ops", password=None, password_file=tmp_path / "pw.txt")
    response = client.post("/admin/login/?next=/admin/", {"username": "ops", "password": account.password})
    assert response.status_code == 302 and response.url == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"Lead warehouse control" in index.content
    assert b"Companies" in index.content
