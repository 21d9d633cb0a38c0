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
    # API throttles count in the cache; verified keys, the indexes jobs probe and checked mapping
    # plans live in process caches: a test must not inherit another test's.
    from cleanup.mapping import _recent_plans
    from runs.indexes import _key_function_indexes_cache
    from runs.services import api_key_cache_clear

    cache.clear()
    api_key_cache_clear()
    _key_function_indexes_cache.clear()
    _recent_plans.clear()
    yield
    cache.clear()
    api_key_cache_clear()


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database a test runs on, for subprocesses that must share it."""
    from urllib.parse import quote

    user = quote(settings_dict["USER"] or "")
    password = quote(settings_dict["PASSWORD"] or "")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    socket_dir = settings_dict.get("OPTIONS", {}).get("host")
    if socket_dir:
        return f"postgresql://{credentials}/{settings_dict['NAME']}?host={quote(socket_dir)}"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgresql://{credentials}{settings_dict['HOST']}{port}/{settings_dict['NAME']}"
