"""The demo's declarative coalescing: a workflow that reaches core through data, not code."""

from cleanup.coalescing.models import CoalesceMapping

DEMO_MAPPINGS = {
    # The cleaned company name the vendor returns, into the company's core row.
    "company_cleaned_name": {"cleaned_name": "payload.company"},
}


def demo_mappings_ensure() -> int:
    """Create the demo mappings that are missing; returns how many were created."""
    created = 0
    for workflow, columns in DEMO_MAPPINGS.items():
        _, is_new = CoalesceMapping.objects.get_or_create(workflow_id=workflow, defaults={"columns": columns})
        created += is_new
    return created
