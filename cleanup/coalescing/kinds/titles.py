"""Fill core.people's matched_job_function and matched_seniority from the job titles, for the
people the dashboard hides because one of them is missing (the seed's Notes: a lead missing
either is hidden). The mapping table answers first, the classifier for the titles it lacks.
Only missing fields are filled; the job records how many people were hidden for a title field
before and after, which the dashboard shows."""

from cleanup.coalescing.selectors import TITLE_CLASSIFICATION_KIND
from cleanup.coalescing.sql import experience as mapping_sql
from cleanup.coalescing.sql import titles as sql
from cleanup.coalescing.titles import title_match
from cleanup.jobs.kinds.base import Batch, DryRun, JobKind
from cleanup.jobs.models import BatchJob


class ClassifyPeopleTitles(JobKind):
    name = TITLE_CLASSIFICATION_KIND
    writes = ("core.people",)
    description = "Fill missing matched_job_function / matched_seniority of core.people from their job titles"
    max_batch_rows = 5_000

    def prepare(self, job: BatchJob) -> None:
        if "after_id" not in job.checkpoint:
            job.checkpoint = {"after_id": 0, "hidden_before": sql.hidden_for_title(), "read": 0, "filled": 0,
                              "by_rule": 0}

    def dry_run(self, job: BatchJob) -> DryRun:
        hidden = sql.hidden_for_title()
        return DryRun(would_change=hidden, details={"hidden_for_title": hidden},
                      summary=f"{hidden:,} people are hidden for a missing matched_job_function or matched_seniority;"
                              " would fill the missing field wherever the mapping table or the classifier reads "
                              "the title (filled values are never overwritten)")

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        state = dict(job.checkpoint)
        rows = sql.untitled_batch(after_id=state["after_id"], limit=limit)
        if not rows:
            return Batch(rows=0, checkpoint=state, done=True)
        mapping = mapping_sql.title_mapping()
        matches = {}
        for person_id, title in rows:
            match = title_match(title, mapping=mapping)
            state["by_rule"] += match.by_rule
            matches[person_id] = (match.job_function, match.seniority)
        filled = sql.title_fields_fill(rows=[(person_id, *fields) for person_id, fields in matches.items()])
        state.update(after_id=rows[-1][0], read=state["read"] + len(rows), filled=state["filled"] + filled)
        return Batch(rows=filled, checkpoint=state)

    def finish(self, job: BatchJob) -> None:
        job.checkpoint = {**job.checkpoint, "hidden_after": sql.hidden_for_title()}
