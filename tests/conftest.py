import pytest
from django.core.cache import cache
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database gets the warehouse shape on top of enrichhub's migrations."""
    with django_db_blocker.unblock():
        call_command("create_warehouse")


@pytest.fixture(autouse=True)
def _fresh_cache():
    # API throttles count in the cache; a test must not inherit another test's budget.
    cache.clear()
    yield
    cache.clear()
