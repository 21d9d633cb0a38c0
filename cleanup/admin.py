"""Jobs in the admin: start one (after a dry run), watch its progress, pause, resume, cancel."""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from cleanup import services
from cleanup.kinds import KINDS
from cleanup.kinds.base import JobParamsError
from cleanup.models import BatchJob, GapAlert, GapSnapshot


class StartJobForm(forms.Form):
    kind = forms.ChoiceField(choices=[(name, f"{name} — {kind.description}") for name, kind in sorted(KINDS.items())])
    params = forms.CharField(required=False, initial="{}", widget=forms.Textarea(attrs={"rows": 2}),
                             help_text='JSON, e.g. {"job_id": 12} for a restore or {"table": '
                                       '"reference.people_missing_country"}')
    batch_size = forms.IntegerField(min_value=100, max_value=20_000, initial=1000)
    sleep_ms = forms.IntegerField(min_value=0, max_value=10_000, initial=5)

    def clean_params(self) -> dict:
        try:
            params = json.loads(self.cleaned_data["params"] or "{}")
        except ValueError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc}") from exc
        if not isinstance(params, dict):
            raise forms.ValidationError("give an object, like {}")
        return params


@admin.register(BatchJob)
class BatchJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "progress", "rate", "eta_display", "batches", "longest_batch_ms",
                    "started_by", "created_at"]
    list_filter = ["status", "kind"]
    actions = ["pause", "resume", "cancel"]
    readonly_fields = [f.name for f in BatchJob._meta.fields]
    change_list_template = "admin/cleanup/batchjob/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs start through the start view, after a dry run

    def has_change_permission(self, request: HttpRequest, obj: BatchJob | None = None) -> bool:
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: BatchJob | None = None) -> bool:
        return False

    def get_urls(self):
        start = path("start/", self.admin_site.admin_view(self.start_view), name="cleanup_batchjob_start")
        return [start, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        running = BatchJob.objects.filter(status__in=services.ACTIVE).exists()
        return super().changelist_view(request, {**(extra_context or {}), "auto_refresh": running})

    @admin.display(description="progress")
    def progress(self, job: BatchJob) -> str:
        total = f"{job.estimated_total:,}" if job.estimated_total is not None else "?"
        percent = f" ({job.percent_done:.0f}%)" if job.percent_done is not None else ""
        return f"{job.rows_done:,} / {total}{percent}"

    @admin.display(description="rows/s")
    def rate(self, job: BatchJob) -> str:
        return f"{job.rows_per_second:,.0f}" if job.rows_per_second else "—"

    @admin.display(description="ETA")
    def eta_display(self, job: BatchJob) -> str:
        return str(job.eta) if job.eta else "—"

    def start_view(self, request: HttpRequest) -> HttpResponse:
        form = StartJobForm(request.POST or None)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": "Start a job"}
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if "confirm" in request.POST:
                    job = services.job_create(kind=data["kind"], params=data["params"], batch_size=data["batch_size"],
                                              sleep_ms=data["sleep_ms"], user=request.user)
                    services.job_enqueue(job=job)
                    self.message_user(request, f"Job #{job.pk} started: {job.dry_run_report['summary']}")
                    return HttpResponseRedirect(reverse("admin:cleanup_batchjob_change", args=[job.pk]))
                context["preview"] = services.job_preview(kind=data["kind"], params=data["params"])
            except (JobParamsError, services.JobRefused) as exc:
                form.add_error(None, str(exc))
        return TemplateResponse(request, "admin/cleanup/batchjob/start.html", context)

    @admin.action(description="Pause selected jobs (between batches)")
    def pause(self, request: HttpRequest, queryset: QuerySet[BatchJob]) -> None:
        self._apply(request, queryset, services.job_pause, "paused")

    @admin.action(description="Resume selected jobs from their checkpoint")
    def resume(self, request: HttpRequest, queryset: QuerySet[BatchJob]) -> None:
        self._apply(request, queryset, services.job_resume, "resumed")

    @admin.action(description="Cancel selected jobs (what is done stays done, and archived)")
    def cancel(self, request: HttpRequest, queryset: QuerySet[BatchJob]) -> None:
        self._apply(request, queryset, services.job_cancel, "cancelled")

    def _apply(self, request: HttpRequest, queryset: QuerySet[BatchJob], change, verb: str) -> None:
        done = [job.pk for job in queryset if change(job=job)]
        skipped = queryset.exclude(pk__in=done).count()
        self.message_user(request, f"{len(done)} jobs {verb}.")
        if skipped:
            self.message_user(request, f"{skipped} jobs were not in a state that allows it.", level=messages.WARNING)


@admin.register(GapSnapshot)
class GapSnapshotAdmin(admin.ModelAdmin):
    """The history of coalescing gaps, one row per workflow and check (manage.py check_gaps)."""

    list_display = ["workflow", "checked_at", "coalesces_to_core", "keys_in_extracted", "keys_in_core", "gap",
                    "invalid_keys", "seconds"]
    list_filter = ["coalesces_to_core", "workflow"]
    date_hierarchy = "checked_at"
    list_select_related = ["workflow"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: GapSnapshot | None = None) -> bool:
        return False


@admin.register(GapAlert)
class GapAlertAdmin(admin.ModelAdmin):
    list_display = ["workflow", "opened_at", "resolved_at", "threshold", "gap_at_open", "last_gap", "notify_error"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "workflow"]
    list_select_related = ["workflow"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: GapAlert | None = None) -> bool:
        return False
