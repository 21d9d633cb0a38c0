from django.apps import AppConfig


class EnrichhubConfig(AppConfig):
    name = "enrichhub"
    verbose_name = "enrichhub"
