"""Gap alerts: opened when a workflow's gap exceeds its registry threshold or keeps growing,
resolved when neither holds any more, never duplicated while open; sent by email and to a Slack-compatible webhook.
A notification that cannot be delivered is retried, then recorded on the alert: alerting
never breaks the gap check."""

import json
import logging
import time
from dataclasses import dataclass, field
from itertools import pairwise

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from cleanup.gaps.checks import Gap
from cleanup.gaps.models import GapAlert, GapSnapshot
from kernel import WebhookFailed, webhook_post
from registry.models import Workflow

WEBHOOK_TIMEOUT_S = 5.0  # in all, per attempt
WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF_S = 0.5
logger = logging.getLogger("enrichhub.alerts")


@dataclass
class AlertChanges:
    opened: list[GapAlert] = field(default_factory=list)
    resolved: list[GapAlert] = field(default_factory=list)


def alerts_evaluate(*, gaps: list[Gap]) -> AlertChanges:
    """Open, update and resolve alerts from a check's gaps; notify what opened or resolved.
    A workflow is alarming while its gap is over its threshold, or (for one that coalesces)
    has grown at each of the last settings.GAP_GROWTH_CHECKS checks."""
    thresholds = dict(Workflow.objects.values_list("workflow_name", "gap_alert_threshold"))
    rows_waiting = {gap.workflow: gap.rows_waiting for gap in gaps}
    changes = AlertChanges()
    for gap in gaps:
        if gap.error is None and gap.workflow in thresholds:
            _evaluate(gap, thresholds[gap.workflow], changes)
    for alert in changes.opened:
        cause = (f"threshold {alert.threshold:,}" if alert.reason == GapAlert.Reason.THRESHOLD
                 else f"it grew at each of the last {settings.GAP_GROWTH_CHECKS} checks")
        waiting = rows_waiting.get(alert.workflow_id)
        rows = f" and {waiting:,} extracted rows that never reached core" if waiting is not None else ""
        _notify(alert, f"Coalescing gap alert: {alert.workflow_id} has {alert.last_gap:,} entities in extracted "
                       f"that core lacks{rows} ({cause}).")
    for alert in changes.resolved:
        _notify(alert, f"Resolved: {alert.workflow_id}'s gap is down to {alert.last_gap:,} and no longer growing.")
    return changes


def _evaluate(gap: Gap, threshold: int | None, changes: AlertChanges) -> None:
    now = timezone.now()
    over = threshold is not None and gap.gap > threshold
    reason = GapAlert.Reason.THRESHOLD if over else GapAlert.Reason.GROWING if _growing(gap) else None
    open_alert = GapAlert.objects.filter(workflow_id=gap.workflow, resolved_at=None).first()
    if reason and open_alert is None:
        try:
            with transaction.atomic():
                changes.opened.append(GapAlert.objects.create(
                    workflow_id=gap.workflow, threshold=threshold, gap_at_open=gap.gap, last_gap=gap.gap,
                    opened_at=now, reason=reason))
        except IntegrityError:
            pass  # another check opened it a moment ago
    elif open_alert is not None:
        open_alert.last_gap = gap.gap
        if reason is None:
            open_alert.resolved_at = now
            changes.resolved.append(open_alert)
        open_alert.save(update_fields=["last_gap", "resolved_at"])


def _growing(gap: Gap) -> bool:
    """Grew at each of the last N checks, in keys or in rows waiting: N + 1 snapshots, each larger
    than the one before. Rows alone can grow while every key is in core (rows of known people
    stuck in extracted). Only for workflows that coalesce: the others' gap is all their data, and
    grows by design."""
    checks = settings.GAP_GROWTH_CHECKS
    if not gap.coalesces_to_core or checks < 1:
        return False
    recent = list(GapSnapshot.objects.filter(workflow_id=gap.workflow).order_by("-checked_at")
                  .values_list("gap", "rows_waiting")[:checks + 1])
    if len(recent) < checks + 1:
        return False
    return any(_rising([row[i] for row in recent]) for i in (0, 1))


def _rising(newest_first: list[int | None]) -> bool:
    return all(newer is not None and older is not None and newer > older
               for newer, older in pairwise(newest_first))


def _notify(alert: GapAlert, text: str) -> None:
    errors = []
    if settings.ALERT_EMAILS:
        try:
            send_mail(subject=text[:120], message=text, from_email=None, recipient_list=settings.ALERT_EMAILS)
        except Exception as exc:  # any mail backend failure is recorded, not raised
            errors.append(f"email: {exc}")
    if settings.ALERT_WEBHOOK_URL:
        error = _webhook_post(settings.ALERT_WEBHOOK_URL, {"text": text})
        if error:
            errors.append(f"webhook: {error}")
    if errors:
        logger.warning("alert %s not fully delivered: %s", alert.pk, "; ".join(errors))
    GapAlert.objects.filter(pk=alert.pk).update(notify_error="; ".join(errors))


def _webhook_post(url: str, payload: dict) -> str | None:
    """POST with retries and backoff; returns the last error (which never holds the URL), or None
    when delivered."""
    error = None
    for attempt in range(WEBHOOK_ATTEMPTS):
        try:
            webhook_post(url, json.dumps(payload).encode(), deadline_s=WEBHOOK_TIMEOUT_S,
                         allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
            return None
        except WebhookFailed as exc:
            error = str(exc)
        if attempt + 1 < WEBHOOK_ATTEMPTS:
            time.sleep(WEBHOOK_BACKOFF_S * 2 ** attempt)
    return error
