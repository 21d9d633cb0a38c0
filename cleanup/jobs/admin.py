"""Jobs in the admin: start one (after a dry run), watch its progress, pause, resume, cancel."""

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from cleanup.jobs import services
from cleanup.jobs.kinds import KINDS
from cleanup.jobs.kinds.base import JobKind, JobParamsError, Parameter
from cleanup.jobs.models import BatchJob
from cleanup.jobs.sql.reference_tables import RETIRABLE
from kernel import count_text


def _restored_by(job: BatchJob) -> str | None:
    """The kind that undoes this job, if its kind can be undone."""
    return getattr(KINDS.get(job.kind), "restored_by", None)


def _table(mapping: dict) -> str:
    """A JSON object as a two-column table people read, numbers with separators."""
    if not mapping:
        return "—"
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>",
                            ((name.replace("_", " "), _cell(value)) for name, value in mapping.items()))
    return format_html('<table class="job-figures">{}</table>', rows)


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "—"}[value]
    if isinstance(value, int | float):
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    if isinstance(value, list):
        shown = ", ".join(str(item) for item in value[:10])
        return f"{len(value):,}: {shown}" + (", …" if len(value) > 10 else "")
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _short(value: object, limit: int = 40) -> str:
    if isinstance(value, list):
        return f"{len(value):,} {'item' if len(value) == 1 else 'items'}"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


class StartJobForm(forms.Form):
    """A kind's parameters as fields of their own, then how fast it may go."""

    batch_size = forms.IntegerField(min_value=100, max_value=20_000, initial=1000,
                                    help_text="the rows of the first batch; the engine then sizes batches by time")
    sleep_ms = forms.IntegerField(min_value=0, max_value=10_000, initial=5, label="pause between batches (ms)")

    def __init__(self, *args: Any, kind: JobKind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        for parameter in kind.parameters:
            self.fields[parameter.name] = _parameter_field(parameter)
        self.order_fields([parameter.name for parameter in kind.parameters])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                cleaned["params"] = self.kind.clean_params(self.params())
            except JobParamsError as exc:
                named = str(exc).split(":")[0].split(" ")[0].split("[")[0]
                self.add_error(named if named in self.fields else None, str(exc))
        return cleaned

    def params(self) -> dict:
        """The parameters given, as the kind reads them: empty fields left out."""
        given = {}
        for parameter in self.kind.parameters:
            value = self.cleaned_data.get(parameter.name)
            if value in (None, "", []):
                continue
            given[parameter.name] = value
        return given


def _parameter_field(parameter: Parameter) -> forms.Field:
    common: dict[str, Any] = {"label": parameter.label, "help_text": parameter.help_text,
                              "required": parameter.required}
    if parameter.type == "choice":
        values = list(parameter.choices() if parameter.choices else ())
        blank = [] if parameter.required else [("", "—")]
        return forms.ChoiceField(choices=blank + [(value, value) for value in values], **common)
    if parameter.type == "job":
        return forms.IntegerField(min_value=1, **common)
    if parameter.type == "keys":
        return KeysField(**common)
    return forms.CharField(**common)


class KeysField(forms.CharField):
    """Entity keys one a line (commas too); the kind normalises and checks each."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [key for line in text.replace(",", "\n").splitlines() if (key := line.strip())]


def _initial_params(query: QueryDict, kind: JobKind) -> dict:
    """Fields a link fills in (a job page's restore button, a refusal's next step)."""
    return {parameter.name: query[parameter.name] for parameter in kind.parameters if parameter.name in query}


@admin.register(BatchJob)
class BatchJobAdmin(admin.ModelAdmin):
    # Rate and ETA sit under the progress while a job runs, and the batches on its page: the list
    # fits 1440 px with the sidebar and the filters open.
    list_display = ["id", "kind", "parameters", "state", "progress", "created"]
    list_filter = ["status", "kind"]
    actions = ["pause", "resume", "resume_interrupted", "cancel", "draft_restore"]
    # A job's page only shows it: what it was asked, what its dry run found, where it is, and how
    # to undo it. Pausing, resuming and cancelling are the list's actions.
    fieldsets = [
        (None, {"fields": ["state", "kind", "parameters_table", "progress", "restore"]}),
        ("Dry run", {"fields": ["dry_run_table"]}),
        ("Where it is", {"fields": ["batches", "longest_batch_ms", "batch_size", "sleep_ms", "checkpoint_table",
                                    "last_error"]}),
        ("Who and when", {"fields": ["started_by", "created_at", "started_at", "finished_at", "changed_by_people"]}),
    ]
    readonly_fields = ["state", "kind", "parameters_table", "progress", "restore", "dry_run_table", "batches",
                       "longest_batch_ms", "batch_size", "sleep_ms", "checkpoint_table", "last_error", "started_by",
                       "created_at", "started_at", "finished_at", "changed_by_people"]
    change_list_template = "admin/cleanup/batchjob/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs start through the start view, after a dry run

    def has_change_permission(self, request: HttpRequest, obj: BatchJob | None = None) -> bool:
        return False  # a job changes through its actions; its page has no form to save

    def has_delete_permission(self, request: HttpRequest, obj: BatchJob | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        start = path("start/", self.admin_site.admin_view(self.start_view), name="cleanup_batchjob_start")
        draft = path("start/<int:job_id>/", self.admin_site.admin_view(self.draft_view), name="cleanup_batchjob_draft")
        return [start, draft, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        running = BatchJob.objects.filter(status__in=services.ACTIVE).exists()
        return super().changelist_view(request, {**(extra_context or {}), "auto_refresh": running})

    @admin.display(description="progress")
    def progress(self, job: BatchJob) -> str:
        if job.status != BatchJob.Status.RUNNING or not job.rows_per_second:
            return job.progress_text
        eta = f", about {job.eta} left" if job.eta else ""
        return format_html("{}<br><span class=\"quiet\">{} rows/s{}</span>", job.progress_text,
                           f"{job.rows_per_second:,.0f}", eta)

    @admin.display(description="parameters")
    def parameters(self, job: BatchJob) -> str:
        """What tells three jobs of one kind apart (their workflow, part, table, keys). Long names
        may break after an underscore, so the list stays within the screen."""
        if not job.params:
            return "—"
        parts = [escape(f"{name}={_short(value)}").replace("_", "_<wbr>") for name, value in sorted(job.params.items())]
        return mark_safe(", ".join(parts))  # each part was escaped above

    @admin.display(description="created", ordering="created_at")
    def created(self, job: BatchJob) -> str:
        when = formats.date_format(timezone.localtime(job.created_at), "DATETIME_FORMAT")
        return f"{when} by {job.started_by}" if job.started_by else when

    @admin.display(description="state", ordering="status")
    def state(self, job: BatchJob) -> str:
        if job.status == BatchJob.Status.DRAFT:
            return format_html('<a href="{}">draft</a>: {}', reverse("admin:cleanup_batchjob_draft", args=[job.pk]),
                               "dry run in, waiting for a confirmation" if job.dry_run_report else "dry run counting")
        silent = services.job_interruption(job=job)
        if silent is None:
            return job.status
        return format_html('<strong class="interrupted" style="color: var(--error-fg)">interrupted</strong>: '
                           "its runner went silent {} s ago; resume it from its checkpoint",
                           f"{silent.total_seconds():.0f}")

    @admin.display(description="parameters")
    def parameters_table(self, job: BatchJob) -> str:
        return _table(job.params)

    @admin.display(description="what it found")
    def dry_run_table(self, job: BatchJob) -> str:
        report = dict(job.dry_run_report or {})
        details = report.pop("details", None) or {}
        links = report.pop("links", None) or []
        table = _table({**report, **details})
        if not links:
            return table
        items = format_html_join("", '<li><a href="{}">{}</a></li>', ((link["url"], link["label"]) for link in links))
        return format_html("{}<ul>{}</ul>", table, items)

    @admin.display(description="checkpoint")
    def checkpoint_table(self, job: BatchJob) -> str:
        return _table(job.checkpoint)

    @admin.display(description="undo")
    def restore(self, job: BatchJob) -> str:
        restored_by = _restored_by(job)
        if restored_by is None:
            return "—"
        if not job.rows_done:
            return "nothing to restore: the job changed no rows"
        start = reverse("admin:cleanup_batchjob_start")
        query = urlencode({"kind": restored_by, "job_id": job.pk})
        return format_html('<a class="button" href="{}?{}">Restore what this job did</a> (a {} job, dry-run first)',
                           start, query, restored_by)

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
        """Choose a kind, then its form; sending it drafts the job and hands its dry run to the q2 cluster."""
        if not self.has_start_job_permission(request):
            raise PermissionDenied("starting jobs needs the 'add batch job' permission")
        kind = KINDS.get(request.POST.get("kind") or request.GET.get("kind") or "")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Start a job",
                   "kinds": sorted(KINDS.values(), key=lambda each: each.name), "kind": kind,
                   "retirable_tables": sorted(RETIRABLE)}
        if kind is None:
            return TemplateResponse(request, "admin/cleanup/batchjob/start.html", context)
        form = StartJobForm(request.POST or None, kind=kind, initial=_initial_params(request.GET, kind))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    job = services.job_draft(kind=kind.name, params=data["params"], batch_size=data["batch_size"],
                                             sleep_ms=data["sleep_ms"], user=request.user)
                return HttpResponseRedirect(reverse("admin:cleanup_batchjob_draft", args=[job.pk]))
            except (JobParamsError, services.JobRefused) as exc:
                form.add_error(None, str(exc))
        context.update(form=form, title=f"Start a job: {kind.name}")
        return TemplateResponse(request, "admin/cleanup/batchjob/start.html", context)

    def draft_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """A drafted job: its dry run once the q2 cluster has it (the page refreshes until then),
        then the button that starts it, or the one that discards it."""
        if not self.has_start_job_permission(request):
            raise PermissionDenied("starting jobs needs the 'add batch job' permission")
        job = get_object_or_404(BatchJob, pk=job_id)
        if job.status != BatchJob.Status.DRAFT:
            return HttpResponseRedirect(reverse("admin:cleanup_batchjob_change", args=[job.pk]))
        error = None
        if request.method == "POST":
            try:
                if "discard" in request.POST:
                    services.job_cancel(job=job, user=request.user)
                    self.message_user(request, f"Draft job #{job.pk} discarded; nothing ran.")
                    return HttpResponseRedirect(reverse("admin:cleanup_batchjob_start"))
                job = services.job_confirm(job=job, user=request.user)
                self.message_user(request, f"Job #{job.pk} started: {(job.dry_run_report or {})['summary']}")
                return HttpResponseRedirect(reverse("admin:cleanup_batchjob_change", args=[job.pk]))
            except services.JobRefused as exc:
                error = str(exc)
        report = job.dry_run_report
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "job": job, "report": report,
                   "error": error, "waiting": report is None, "title": f"Start {job.kind} (draft #{job.pk})",
                   "params": _table(job.params)}
        return TemplateResponse(request, "admin/cleanup/batchjob/draft.html", context)

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

    @admin.action(description="Draft a restore of what the selected jobs deleted or dropped", permissions=["start_job"])
    def draft_restore(self, request: HttpRequest, queryset: QuerySet[BatchJob]) -> HttpResponse | None:
        drafts = []
        for job in queryset:
            restored_by = _restored_by(job)
            if restored_by is None:
                self.message_user(request, f"{job}: {job.kind} has nothing to restore", messages.WARNING)
                continue
            try:
                drafts.append(services.job_draft(kind=restored_by, params={"job_id": job.pk}, user=request.user))
            except (JobParamsError, services.JobRefused) as exc:
                self.message_user(request, f"{job}: {exc}", messages.ERROR)
        if len(drafts) == 1:  # straight to its dry run
            return HttpResponseRedirect(reverse("admin:cleanup_batchjob_draft", args=[drafts[0].pk]))
        for draft in drafts:
            self.message_user(request, format_html('Drafted <a href="{}">{}</a>; confirm it after its dry run.',
                                                   reverse("admin:cleanup_batchjob_draft", args=[draft.pk]), draft))
        return None

    def _apply(self, request: HttpRequest, queryset: QuerySet[BatchJob], change: Callable[..., bool],
               verb: str) -> None:
        done, refused = [], []
        for job in queryset:
            try:
                if change(job=job, user=request.user):
                    done.append(job.pk)
                    self.log_change(request, job, verb)
            except services.JobRefused as exc:
                refused.append(str(exc))
        skipped = queryset.exclude(pk__in=done).count() - len(refused)
        self.message_user(request, f"{count_text(len(done), 'job')} {verb}.")
        for reason in refused:
            self.message_user(request, f"Refused: {reason}", level=messages.ERROR)
        if skipped:
            self.message_user(request, f"{count_text(skipped, 'job')} not in a state that allows it.",
                          level=messages.WARNING)
