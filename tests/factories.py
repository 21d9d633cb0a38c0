from typing import Any

import factory

from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import job_start
from registry.models import Workflow
from warehouse.workflows import DEMO_WORKFLOWS, DemoWorkflow


class WorkflowFactory(factory.django.DjangoModelFactory):
    """A complete, active workflow over one of the demo warehouse's generic tables."""

    class Meta:
        model = Workflow

    workflow_name = factory.Sequence(lambda n: f"company_signal_{n}")
    vendor = "clay"
    key_type = "company"
    key_column = "domain"
    raw_table = "raw.company_news"
    extracted_table = "extracted.company_news"
    is_active = True


def demo_registered_rows() -> list[Workflow]:
    """The 16 rows the seed's registry held before Phase 1: a name, a description, a vendor."""
    return [Workflow.objects.create(workflow_name=w.name, vendor=w.vendor, description=f"{w.name} enrichment")
            for w in DEMO_WORKFLOWS if w.registered]


def demo_workflow(name: str) -> DemoWorkflow:
    return next(w for w in DEMO_WORKFLOWS if w.name == name)


def staff_user(username: str, *permissions: str):
    """A staff member holding exactly these permissions ("app_label.codename")."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(username=username, password="x-test-only", is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return get_user_model().objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance


def queued_job(**start: Any) -> BatchJob:
    """A job started the way the command line starts one (draft, bounded dry run, confirmation),
    left queued for the test to run with job_run instead of a q2 cluster."""
    return job_start(enqueue=False, **start)
