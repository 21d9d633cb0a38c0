from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from enrichhub.api import api

admin.site.site_header = "enrichhub"
admin.site.site_title = "enrichhub"
admin.site.index_title = "Lead warehouse control"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
