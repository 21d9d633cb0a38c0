"""How many examples a property test tries: all of them under `make test` (and so in CI), a
quarter under `make test-fast`, which sets ENRICHHUB_TEST_FAST=1 for a quick loop while working."""

import os


def examples(full: int) -> int:
    if os.environ.get("ENRICHHUB_TEST_FAST") == "1":
        return max(10, full // 4)
    return full
