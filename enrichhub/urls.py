from django.contrib import admin
from django.templatetags.static import static
from django.urls import path, re_path
from django.views.generic import RedirectView

from dashboard.views import dashboard_refresh_view, dashboard_view, database_view, hidden_leads_csv
from enrichhub.api import api, api_not_found
from planning.views import plan_page

admin.site.site_header = "enrichhub"
admin.site.site_title = "enrichhub"
admin.site.index_title = "Lead warehouse control"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Browsers ask for /favicon.ico on every page that names no icon (the API docs).
    path("favicon.ico", RedirectView.as_view(url=static("enrichhub/favicon.svg"), permanent=True)),
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="dashboard"),
    path("admin/planning/plan/", admin.site.admin_view(plan_page), name="plan"),
    path("admin/dashboard/refresh/", admin.site.admin_view(dashboard_refresh_view), name="dashboard_refresh"),
    path("admin/dashboard/hidden/<str:entity>.csv", admin.site.admin_view(hidden_leads_csv),
         name="dashboard_hidden_csv"),
    path("admin/database/", admin.site.admin_view(database_view), name="database_statements"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    # Under /api/, a path nobody routes is a JSON 404 even with DEBUG on (no list of patterns).
    re_path(r"^api/", api_not_found),
]
