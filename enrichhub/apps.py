from django.apps import AppConfig


class EnrichhubConfig(AppConfig):
    name = "enrichhub"
    verbose_name = "enrichhub"

    def ready(self) -> None:
        from django_q.signals import pre_enqueue, pre_execute

        from enrichhub import checks  # noqa: F401 (registers the database server check)
        from enrichhub.entry_points import hook_drop, task_guard

        # The cluster runs enrichhub's entry points only, however a task reached the queue.
        pre_execute.connect(task_guard, dispatch_uid="enrichhub-entry-points")
        pre_enqueue.connect(hook_drop, dispatch_uid="enrichhub-no-hooks")
