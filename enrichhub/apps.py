from django.apps import AppConfig


class EnrichhubConfig(AppConfig):
    name = "enrichhub"
    verbose_name = "enrichhub"

    def ready(self) -> None:
        from enrichhub import checks  # noqa: F401 (registers the database server check)
