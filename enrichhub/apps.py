from django.apps import AppConfig


class EnrichhubConfig(AppConfig):
    name = "enrichhub"
    verbose_name = "enrichhub"

    def ready(self) -> None:
        from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute

        from enrichhub import checks  # noqa: F401 (registers the database server check)
        from enrichhub.entry_points import hook_drop, task_guard
        from enrichhub.task_records import task_finished, task_started

        # The cluster runs enrichhub's entry points only, however a task reached the queue.
        pre_execute.connect(task_guard, dispatch_uid="enrichhub-entry-points")
        pre_enqueue.connect(hook_drop, dispatch_uid="enrichhub-no-hooks")
        # A task cut off at the time limit saves no result: its start, noted here, tells.
        pre_execute.connect(task_started, dispatch_uid="enrichhub-task-started")
        post_execute_in_worker.connect(task_finished, dispatch_uid="enrichhub-task-finished")
