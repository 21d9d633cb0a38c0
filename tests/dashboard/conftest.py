from tests.cleanup.conftest import committed_demo, demo  # noqa: F401 (fixtures shared with the cleanup tests)
