"""Run inside the benchmark's environment (`python -m bench.dashboard_probe`): time dashboard
page views in-process, which is the server's own time, and print them as JSON."""

import json
import os
import statistics
import time

VIEWS = 30


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enrichhub.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench-dashboard",
                                                     defaults={"is_staff": True, "is_superuser": True})
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    results = {}
    for label, query in (("all workflows", ""), ("people, vendor clay", "?entity_type=person&vendor=clay")):
        client.get(f"/admin/dashboard/{query}")  # warm: templates compiled, connection open
        times = []
        for _ in range(VIEWS):
            began = time.perf_counter()
            response = client.get(f"/admin/dashboard/{query}")
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        times.sort()
        results[label] = {"p50_ms": statistics.median(times), "p95_ms": times[int(len(times) * 0.95) - 1],
                          "bytes": len(response.content)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
