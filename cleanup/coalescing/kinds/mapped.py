"""Coalescing by declarative mapping (cleanup.coalescing.mapping): one kind serves every simple workflow.

A sweep starts at the workflow's high-water mark (the extracted id the last completed sweep
reached) and fills core from the rows after it; `refresh` walks every row; `keys` takes only
the rows of the given entities (a run reported completed, or a gap being repaired). Within a
batch the newest row of a key wins, and later batches hold newer rows, so core ends with
each key's latest values. Writes are idempotent: an unchanged core row is not touched.
"""

import psycopg
from django.db import IntegrityError, transaction

from cleanup.coalescing.core_keys import core_ids
from cleanup.coalescing.kinds.modes import keys_dry_run, mode_clean, mode_parameter, sweep_start, walk_start
from cleanup.coalescing.mapping import MappingInvalid, MappingPlan, active_mapping_plan, mapped_workflow_names
from cleanup.coalescing.sql import mapped as sql
from cleanup.coalescing.sql.core_keys import CORE_ENTITY_TABLES
from cleanup.jobs.kinds.base import Batch, DryRun, JobKind, JobParamsError, Parameter, keys_clean, keys_parameter
from cleanup.jobs.models import BatchJob
from cleanup.jobs.sql import roles
from kernel import InvalidEntityKey, key_lookup, normalise_entity_key
from registry.scope import warehouse_schemas

MODES = ("sweep", "refresh", "keys")
# Refused rows are counted in full; this many are kept in the checkpoint to look at.
REFUSED_SAMPLES = 20
# Batches reuse the checked plan this long: checking it reads the whole catalog.
PLAN_MAX_AGE_S = 30.0


class CoalesceMapped(JobKind):
    name = "coalesce_mapped"
    description = "Fill a workflow's core table from extracted rows through its declarative coalesce mapping"
    exclusive_param = "workflow"  # one active job per workflow, not per kind
    parameters = (Parameter("workflow", "workflow", type="choice", choices=lambda: mapped_workflow_names(),
                            required=True, help_text="a workflow with an active coalesce mapping"),
                  mode_parameter(MODES), keys_parameter("entity keys (mode keys)"))

    def clean_params(self, params: dict) -> dict:
        workflow = params.get("workflow")
        try:
            plan = active_mapping_plan(str(workflow))
        except MappingInvalid as exc:
            raise JobParamsError(f"workflow: {exc.args[0]}") from None
        mode = mode_clean(params, MODES)
        cleaned = {"workflow": workflow, "mode": mode}
        if mode == "keys":
            cleaned["keys"] = keys_clean(params.get("keys"), entity_type=plan.key_type)
        return cleaned

    def prepare(self, job: BatchJob) -> None:
        # Writes go to a table a registry row names: under a role that can reach no other schema.
        self.write_role_usable = roles.jobs_role_prepare(schemas=warehouse_schemas())
        if "after_id" not in job.checkpoint:
            plan = active_mapping_plan(job.params["workflow"])
            start = walk_start(job, kind=self.name, workflow=job.params["workflow"])
            job.checkpoint = {"after_id": start, "until": sql.extracted_max_id(plan=plan), "written": 0,
                              "invalid": 0}

    def dry_run(self, job: BatchJob) -> DryRun:
        plan = active_mapping_plan(job.params["workflow"])
        target = f"{plan.core_table} ({', '.join(plan.targets)})"
        if job.params.get("mode") == "keys":
            return keys_dry_run(job, what="the extracted rows of", into=target)
        start = sweep_start(job, kind=self.name, workflow=job.params["workflow"])
        rows = sql.extracted_count_after(plan=plan, after_id=start)
        return DryRun(would_change=rows, summary=f"would read {rows:,} rows of {plan.extracted_table} after id "
                                                 f"{start:,} into {target}", details={"start_after_id": start})

    def written_tables(self, job: BatchJob) -> tuple[str, ...]:
        return (active_mapping_plan(job.params["workflow"]).core_table,)

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        plan = active_mapping_plan(job.params["workflow"], max_age_s=PLAN_MAX_AGE_S)
        state = dict(job.checkpoint)
        lookup = None
        if job.params.get("mode") == "keys":
            lookup = key_lookup(table=plan.extracted_table, column=plan.key_column, entity_type=plan.key_type,
                                keys=job.params["keys"])
        rows = sql.extracted_rows(plan=plan, after_id=state["after_id"], limit=limit, lookup=lookup)
        if not rows:
            return Batch(rows=0, checkpoint=state, done=True)
        latest: dict[str, dict] = {}
        for _id, raw_key, *values in rows:
            try:
                key = normalise_entity_key(entity_type=plan.key_type, raw=raw_key)
            except InvalidEntityKey:
                state["invalid"] += 1
                continue
            latest[key] = {plan.core_key_column: key, **dict(zip(plan.targets, values, strict=True))}
        ids = self._core_ids(plan, latest)  # before the role: the key functions live outside its schemas
        role = getattr(self, "write_role_usable", False)
        if role:
            roles.jobs_role_set()  # SET LOCAL: a batch that fails ends it with its transaction
        written, refused = self._write(plan, latest, ids)
        if role:
            roles.jobs_role_reset()  # the checkpoint is saved as the connecting user
        state.update(after_id=rows[-1][0], written=state["written"] + written)
        if refused:
            state["refused"] = state.get("refused", 0) + len(refused)
            state["refused_rows"] = (state.get("refused_rows", []) + refused)[:REFUSED_SAMPLES]
        return Batch(rows=written, checkpoint=state)

    @staticmethod
    def _core_ids(plan: MappingPlan, latest: dict[str, dict]) -> dict[str, int]:
        """Rows of the entity's own core table are found by id under whatever spelling core
        stores their key: an exact key match would miss `Acme.com`."""
        if CORE_ENTITY_TABLES[plan.key_type] != (plan.core_table, plan.core_key_column):
            return {}
        return core_ids(entity_type=plan.key_type, keys=set(latest))

    @staticmethod
    def _write(plan: MappingPlan, latest: dict[str, dict], ids: dict[str, int]) -> tuple[int, list[dict]]:
        found = [{**row, "id": ids[key]} for key, row in latest.items() if key in ids]
        by_key = [row for key, row in latest.items() if key not in ids]
        written_by_id, refused_by_id = core_write_skipping_refused_rows(plan, found, by_id=True)
        written_by_key, refused_by_key = core_write_skipping_refused_rows(plan, by_key)
        return written_by_id + written_by_key, refused_by_id + refused_by_key


def core_write_skipping_refused_rows(plan: MappingPlan, rows: list[dict], *,
                                     by_id: bool = False) -> tuple[int, list[dict]]:
    """Write the rows core accepts; return them with the rows it refused (a NOT NULL or CHECK
    constraint), each with its key and the reason. One bad row no longer fails the job: the
    batch is halved around it, so k bad rows of n cost about k·log2(n) extra statements."""
    try:
        with transaction.atomic():  # a savepoint: the batch's transaction survives a refusal
            return sql.core_write(plan=plan, rows=rows, by_id=by_id), []
    except (IntegrityError, psycopg.errors.IntegrityError) as exc:  # Django's cursors wrap it, server-bound ones not
        if len(rows) == 1:
            reason = str(exc.__cause__ or exc).strip().splitlines()[0]
            return 0, [{"key": rows[0][plan.core_key_column], "reason": reason}]
    middle = len(rows) // 2
    first_written, first_refused = core_write_skipping_refused_rows(plan, rows[:middle], by_id=by_id)
    rest_written, rest_refused = core_write_skipping_refused_rows(plan, rows[middle:], by_id=by_id)
    return first_written + rest_written, first_refused + rest_refused
