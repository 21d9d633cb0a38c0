"""enrichhub's URLs plus the baselines benchmarks compare against (never deployed)."""

from django.urls import path

from bench.naive import naive_status_view, union_status_view
from enrichhub.urls import urlpatterns as enrichhub_urlpatterns

urlpatterns = [*enrichhub_urlpatterns, path("bench/status-naive", naive_status_view),
               path("bench/status-union", union_status_view)]
