"""Jobs in the admin: start one (after a dry run), watch its progress, pause, resume, cancel; gaps,
their missing keys and repair; alerts; coalesce mappings; unmapped job titles."""

import csv
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from cleanup.coalescing.mapping import mapping_problems
from cleanup.coalescing.models import CoalesceMapping
from cleanup.coalescing.reported_runs import NoCoalescer, coalesce_keys_start
from cleanup.coalescing.titles import unmapped_titles_list
from cleanup.gaps.checks import gap_missing_keys
from cleanup.gaps.models import GapAlert, GapSnapshot
from cleanup.jobs import services
from cleanup.jobs.kinds import KINDS
from cleanup.jobs.kinds.base import JobParamsError
from cleanup.jobs.models import BatchJob
from registry.models import Workflow


class CoalesceMappingForm(forms.ModelForm):
    class Meta:
        model = CoalesceMapping
        fields = ["workflow", "columns", "create_missing", "is_active"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            mapping = self.instance
            for field, value in cleaned.items():
                setattr(mapping, field, value)
            for field, problems in mapping_problems(mapping).items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, problem)
        return cleaned


def _kind_choices() -> list[tuple[str, str]]:
    # Read when a form is made: the admin loads before every room has registered its kinds.
    return [(name, f"{name} — {kind.description}") for name, kind in sorted(KINDS.items())]


class StartJobForm(forms.Form):
    kind = forms.ChoiceField(choices=_kind_choices)
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
    list_display = ["id", "kind", "state", "progress", "rate", "eta_display", "batches", "longest_batch_ms",
                    "started_by", "created_at"]
    list_filter = ["status", "kind"]
    actions = ["pause", "resume", "resume_interrupted", "cancel"]
    readonly_fields = ["state", *(f.name for f in BatchJob._meta.fields), "changed_by_people"]
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

    @admin.display(description="state", ordering="status")
    def state(self, job: BatchJob) -> str:
        silent = services.job_interruption(job=job)
        if silent is None:
            return job.status
        return format_html('<strong class="interrupted" style="color: var(--error-fg)">interrupted</strong>: '
                           "its runner went silent {} s ago; resume it from its checkpoint",
                           f"{silent.total_seconds():.0f}")

    @admin.display(description="paused, resumed, cancelled by")
    def changed_by_people(self, job: BatchJob) -> str:
        entries = LogEntry.objects.filter(content_type__app_label="cleanup", content_type__model="batchjob",
                                          object_id=str(job.pk)).select_related("user").order_by("action_time")
        lines = [f"{entry.action_time:%Y-%m-%d %H:%M:%S} {entry.user}: {entry.change_message}" for entry in entries]
        return "\n".join(lines) or "—"

    def has_start_job_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.START_PERMISSION)

    def has_change_job_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.CHANGE_PERMISSION)

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_start_job_permission(request):
            raise PermissionDenied("starting jobs needs the 'add batch job' permission")
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

    @admin.action(description="Pause selected jobs (between batches)", permissions=["change_job"])
    def pause(self, request: HttpRequest, queryset: QuerySet[BatchJob]) -> None:
        self._apply(request, queryset, services.job_pause, "paused")

    @admin.action(description="Resume selected jobs from their checkpoint", permissions=["change_job"])
    def resume(self, request: HttpRequest, queryset: QuerySet[BatchJob]) -> None:
        self._apply(request, queryset, services.job_resume, "resumed")

    @admin.action(description="Resume selected interrupted jobs (their runner died) from their checkpoint",
                  permissions=["change_job"])
    def resume_interrupted(self, request: HttpRequest, queryset: QuerySet[BatchJob]) -> None:
        self._apply(request, queryset, services.job_resume_interrupted, "resumed after an interruption")

    @admin.action(description="Cancel selected jobs (what is done stays done, and archived)",
                  permissions=["change_job"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[BatchJob]) -> None:
        self._apply(request, queryset, services.job_cancel, "cancelled")

    def _apply(self, request: HttpRequest, queryset: QuerySet[BatchJob], change, verb: str) -> None:
        done, refused = [], []
        for job in queryset:
            try:
                if change(job=job, user=request.user):
                    done.append(job.pk)
                    self.log_change(request, job, verb)
            except services.JobRefused as exc:
                refused.append(str(exc))
        skipped = queryset.exclude(pk__in=done).count() - len(refused)
        self.message_user(request, f"{len(done)} jobs {verb}.")
        for reason in refused:
            self.message_user(request, f"Refused: {reason}", level=messages.ERROR)
        if skipped:
            self.message_user(request, f"{skipped} jobs were not in a state that allows it.", level=messages.WARNING)


@admin.register(GapSnapshot)
class GapSnapshotAdmin(admin.ModelAdmin):
    """The history of coalescing gaps, one row per workflow and check (manage.py check_gaps),
    the keys behind a gap, and its repair."""

    list_display = ["workflow", "checked_at", "coalesces_to_core", "keys_in_extracted", "keys_in_core", "gap_link",
                    "invalid_keys", "seconds"]
    list_filter = ["coalesces_to_core", "workflow"]
    date_hierarchy = "checked_at"
    list_select_related = ["workflow"]
    actions = ["coalesce_missing"]
    change_list_template = "admin/cleanup/gapsnapshot/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: GapSnapshot | None = None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("missing/<str:workflow>/", view(self.missing_view), name="cleanup_gapsnapshot_missing"),
                path("unmapped-titles/", view(self.unmapped_titles_view), name="cleanup_unmapped_titles"),
                *super().get_urls()]

    @admin.display(description="gap", ordering="gap")
    def gap_link(self, snapshot: GapSnapshot) -> str:
        url = reverse("admin:cleanup_gapsnapshot_missing", args=[snapshot.workflow_id])
        return format_html('<a href="{}" title="the keys missing from core now">{}</a>', url, f"{snapshot.gap:,}")

    def has_start_job_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.START_PERMISSION)

    @admin.action(description="Coalesce the keys missing from core (one job per selected workflow)",
                  permissions=["start_job"])
    def coalesce_missing(self, request: HttpRequest, queryset: QuerySet[GapSnapshot]) -> None:
        for workflow in sorted(set(queryset.values_list("workflow_id", flat=True))):
            self._repair(request, workflow)

    def _repair(self, request: HttpRequest, workflow: str) -> None:
        keys = gap_missing_keys(workflow_name=workflow)
        if not keys:
            self.message_user(request, f"{workflow}: nothing is missing from core now.")
            return
        try:
            job = coalesce_keys_start(workflow, keys=keys, user=request.user)
        except (NoCoalescer, JobParamsError, services.JobRefused) as exc:
            self.message_user(request, f"{workflow}: {exc}", level=messages.ERROR)
            return
        self.message_user(request, f"{workflow}: job #{job.pk} started — {job.dry_run_report['summary']}")

    def missing_view(self, request: HttpRequest, workflow: str) -> HttpResponse:
        if not Workflow.objects.filter(workflow_name=workflow).exists():
            raise Http404(f"no workflow {workflow!r} in the registry")
        if request.method == "POST":
            if not self.has_start_job_permission(request):
                raise PermissionDenied
            self._repair(request, workflow)
            return HttpResponseRedirect(request.path)
        keys = gap_missing_keys(workflow_name=workflow)
        if request.GET.get("format") == "csv":
            return _csv_response(f"{workflow}-missing-keys.csv", ["entity_key"], ([key] for key in keys))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "workflow": workflow,
                   "keys": keys[:MISSING_KEYS_SHOWN], "total": len(keys), "shown": MISSING_KEYS_SHOWN,
                   "title": f"{workflow}: keys in extracted that core lacks"}
        return TemplateResponse(request, "admin/cleanup/gapsnapshot/missing.html", context)

    def unmapped_titles_view(self, request: HttpRequest) -> HttpResponse:
        titles = unmapped_titles_list()
        if request.GET.get("format") == "csv":
            rows = ([t.raw_title, t.rows, t.suggested_function or "", t.suggested_seniority] for t in titles)
            return _csv_response("unmapped-titles.csv", ["raw_title", "rows", "suggested_function",
                                                         "suggested_seniority"], rows)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "titles": titles[:500],
                   "total": len(titles), "title": "Job titles the mapping table lacks"}
        return TemplateResponse(request, "admin/cleanup/gapsnapshot/unmapped_titles.html", context)


MISSING_KEYS_SHOWN = 500


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


@admin.register(CoalesceMapping)
class CoalesceMappingAdmin(admin.ModelAdmin):
    """Declarative coalescing: checked against the live catalog when saved."""

    form = CoalesceMappingForm
    list_display = ["workflow", "columns", "create_missing", "is_active", "updated_at"]
    list_filter = ["is_active", "create_missing"]


@admin.register(GapAlert)
class GapAlertAdmin(admin.ModelAdmin):
    list_display = ["workflow", "reason", "opened_at", "resolved_at", "threshold", "gap_at_open", "last_gap",
                    "notify_error"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "reason", "workflow"]
    list_select_related = ["workflow"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: GapAlert | None = None) -> bool:
        return False
