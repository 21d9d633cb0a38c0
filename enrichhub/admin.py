"""django-q2's screens, made safe for staff, and enrichhub's own schedule screen.

django-q2's Schedule form takes any dotted path and its "Resubmit" action re-queues any task for
whoever may view tasks. Here: people make schedules on enrichhub's screen only, from the entry
points the cluster runs (kernel.entry_points), with typed arguments, as themselves; django-q2's
schedules, tasks and queue are read-only but for superusers, and resubmitting is for superusers
and for entry points only. The cluster refuses anything else anyway (enrichhub.entry_points).
"""

import pydoc
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_q import admin as q2_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from django_q.tasks import async_task

from enrichhub.entry_points import entry_point_for_path, schedulable_entry_points, task_check
from enrichhub.models import OwnedSchedule
from enrichhub.owned_schedules import owned_schedule_check, owned_schedule_save
from kernel import EntryPointRefused

for model in (Schedule, Success, Failure, OrmQ):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def _superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


@admin.action(description="Resubmit selected tasks to the queue (enrichhub entry points only)",
              permissions=["resubmit"])
def entry_point_tasks_resubmit(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    queued, refused = 0, []
    for task in queryset:
        try:
            task_check(func=pydoc.locate(task.func), func_path=task.func, args=task.args or (),
                       kwargs=task.kwargs or {})
        except EntryPointRefused as exc:
            refused.append(str(exc))
            continue
        # No hook: q2 would call it, unchecked, in its monitor.
        async_task(task.func, *(task.args or ()), group=task.group, cluster=task.cluster, **(task.kwargs or {}))
        queued += 1
    if queued:
        model_admin.message_user(request, f"{queued} task(s) queued again.", messages.SUCCESS)
    for reason in refused:
        model_admin.message_user(request, f"Not resubmitted: {reason}", messages.ERROR)


class _ReadOnlyForStaff:
    """Staff with the view permission see; only superusers change or delete."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)

    def has_resubmit_permission(self, request: HttpRequest) -> bool:
        return _superuser(request)


@admin.register(Success)
class SuccessfulTaskAdmin(_ReadOnlyForStaff, q2_admin.TaskAdmin):
    actions = [entry_point_tasks_resubmit]


@admin.register(Failure)
class FailedTaskAdmin(_ReadOnlyForStaff, q2_admin.FailAdmin):
    actions = [entry_point_tasks_resubmit]


@admin.register(Schedule)
class InstalledScheduleAdmin(_ReadOnlyForStaff, q2_admin.ScheduleAdmin):
    """The schedules enrichhub installs (setup_schedules) and those people made, as the cluster
    reads them. What runs is not editable here: a superuser may pause (repeats 0) or reschedule."""

    readonly_fields = ["func", "hook", "args", "kwargs", "cluster", "task", "intended_date_kwarg"]


@admin.register(OrmQ)
class QueuedTaskAdmin(_ReadOnlyForStaff, q2_admin.QueueAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)  # queued payloads hold the arguments of every task


class OwnedScheduleForm(forms.ModelForm):
    name = forms.CharField(max_length=100)
    entry_point = forms.ChoiceField(choices=())
    arguments = forms.JSONField(required=False, initial=dict, help_text=(
        'keyword arguments as a JSON object, e.g. {"kind": "tenure_backfill"}; each is checked against '
        "the type the function declares"))
    schedule_type = forms.ChoiceField(choices=Schedule.TYPE, initial=Schedule.DAILY)
    minutes = forms.IntegerField(required=False, min_value=1, help_text="for the Minutes type")
    cron = forms.CharField(required=False, help_text="for the Cron type, e.g. 0 3 * * *")
    next_run = forms.DateTimeField(required=False, help_text="the first run; empty: now")
    repeats = forms.IntegerField(initial=-1, help_text="-1: for ever; 0: paused")

    user: Any = None

    class Meta:
        model = OwnedSchedule
        fields = ["entry_point", "arguments"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(entry.paths[0], f"{entry.label} ({entry.paths[0]})") for entry in schedulable_entry_points()]
        cast(forms.ChoiceField, self.fields["entry_point"]).choices = choices
        if self.instance.pk:
            schedule = self.instance.schedule
            for name in ("name", "schedule_type", "minutes", "cron", "next_run", "repeats"):
                self.initial[name] = getattr(schedule, name)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        arguments = cleaned.get("arguments") or {}
        if not isinstance(arguments, dict):
            self.add_error("arguments", "a JSON object of keyword arguments, e.g. {}")
            return cleaned
        if path := cleaned.get("entry_point"):
            try:
                entry = entry_point_for_path(path)
                owned_schedule_check(entry=entry, user=self.user, arguments=arguments)
            except EntryPointRefused as exc:
                self.add_error("arguments" if "argument" in str(exc) else "entry_point", str(exc))
        kind = cleaned.get("schedule_type")
        if kind == Schedule.MINUTES and not cleaned.get("minutes"):
            self.add_error("minutes", "the Minutes type needs the minutes between runs")
        if kind == Schedule.CRON and not cleaned.get("cron"):
            self.add_error("cron", "the Cron type needs a cron expression")
        cleaned["arguments"] = arguments
        return cleaned


@admin.register(OwnedSchedule)
class OwnedScheduleAdmin(admin.ModelAdmin):
    form = OwnedScheduleForm
    list_display = ["__str__", "entry_point", "arguments", "owner", "schedule_type", "next_run", "saved_at"]
    list_select_related = ["schedule", "owner"]
    fields = ["name", "entry_point", "arguments", "schedule_type", "minutes", "cron", "next_run", "repeats"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})  # the form's checks need who asks

    @admin.display(description="type")
    def schedule_type(self, obj: OwnedSchedule) -> str:
        return obj.schedule.get_schedule_type_display()

    @admin.display(description="next run")
    def next_run(self, obj: OwnedSchedule) -> Any:
        return obj.schedule.next_run

    def save_model(self, request: HttpRequest, obj: OwnedSchedule, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = owned_schedule_save(
            owned=OwnedSchedule.objects.get(pk=obj.pk) if change else None, entry_point=data["entry_point"],
            arguments=data["arguments"], user=request.user, name=data["name"], schedule_type=data["schedule_type"],
            minutes=data.get("minutes"), cron=data.get("cron"), next_run=data.get("next_run"),
            repeats=data["repeats"])
        obj.pk, obj.schedule = saved.pk, saved.schedule

    def delete_model(self, request: HttpRequest, obj: OwnedSchedule) -> None:
        Schedule.objects.filter(pk=obj.schedule_id).delete()  # takes the owned row with it

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        Schedule.objects.filter(owned__in=queryset).delete()
