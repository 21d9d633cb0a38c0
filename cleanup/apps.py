from django.apps import AppConfig


class CleanupConfig(AppConfig):
    name = "cleanup"
    verbose_name = "Clean-ups and backfills"

    def ready(self) -> None:
        from cleanup.coalescing.kinds import kinds_register

        kinds_register()
