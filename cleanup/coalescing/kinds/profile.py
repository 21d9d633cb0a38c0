"""Coalesce extracted.person_profile into core.people, core.person_locations and
core.person_job_titles.

People are matched on the normalised profile URL under any spelling core stores; a person
core lacks is added with an id from enrichhub's sequence. A profile's empty fields never
erase what core knows. Its location and title are added once per person and value, the
title mapped like work history's (mapping table, then rules). Modes as for the other
coalescing kinds: sweep from the high-water mark, refresh every row, or exactly some keys.
"""

from cleanup.coalescing.core_keys import core_ids
from cleanup.coalescing.kinds.modes import keys_dry_run, mode_clean, mode_parameter, sweep_start, walk_start
from cleanup.coalescing.sql import experience as experience_sql
from cleanup.coalescing.sql import profile as sql
from cleanup.coalescing.titles import title_match
from cleanup.jobs.kinds.base import Batch, DryRun, JobKind, keys_clean, keys_parameter
from cleanup.jobs.models import BatchJob
from kernel import PERSON, InvalidEntityKey, domain_or_none, key_lookup, normalise_linkedin_url

MODES = ("sweep", "refresh", "keys")


class CoalescePersonProfile(JobKind):
    name = "coalesce_person_profile"
    writes = ("core.people", "core.person_locations", "core.person_job_titles")
    description = "Sync extracted.person_profile into core.people, person_locations and person_job_titles"
    parameters = (mode_parameter(MODES), keys_parameter("profile URLs (mode keys)"))
    target_batch_ms = 150
    max_batch_rows = 2_000

    def clean_params(self, params: dict) -> dict:
        mode = mode_clean(params, MODES)
        if mode == "keys":
            return {"mode": mode, "keys": keys_clean(params.get("keys"), entity_type=PERSON)}
        return {"mode": mode}

    def prepare(self, job: BatchJob) -> None:
        sql.people_id_sequence_align()
        if "after_id" not in job.checkpoint:
            job.checkpoint = {"after_id": walk_start(job, kind=self.name), "until": sql.profile_max_id(),
                              "people_added": 0, "people_updated": 0, "locations_added": 0, "titles_added": 0,
                              "invalid": 0}

    def dry_run(self, job: BatchJob) -> DryRun:
        if job.params.get("mode") == "keys":
            return keys_dry_run(job, what="the profiles of", into="core.people")
        start = sweep_start(job, kind=self.name)
        rows = sql.profile_count_after(after_id=start)
        return DryRun(would_change=rows, details={"start_after_id": start},
                      summary=f"would read {rows:,} extracted profiles after id {start:,} into core.people, "
                              "person_locations and person_job_titles")

    def run_batch(self, job: BatchJob, *, limit: int) -> Batch:
        state = dict(job.checkpoint)
        lookup = None
        if job.params.get("mode") == "keys":
            lookup = key_lookup(table=sql.SOURCE, column="linkedin_url", entity_type=PERSON, keys=job.params["keys"])
        rows = sql.profile_rows(after_id=state["after_id"], limit=limit, lookup=lookup)
        if not rows:
            return Batch(rows=0, checkpoint=state, done=True)
        profiles = {}
        for row in rows:  # in id order: a person's newest profile wins
            profile = _profile(row)
            if profile is None:
                state["invalid"] += 1
            else:
                profiles[profile["linkedin_url"]] = profile
        written = self._write(state, profiles)
        state["after_id"] = rows[-1][0]
        return Batch(rows=written, checkpoint=state)

    def _write(self, state: dict, profiles: dict[str, dict]) -> int:
        ids = core_ids(entity_type=PERSON, keys=set(profiles))
        new_keys = sorted(set(profiles) - ids.keys())
        ids.update(zip(new_keys, sql.people_ids_reserve(len(new_keys)), strict=True))
        mapping = experience_sql.title_mapping()
        people, locations, titles = [], [], []
        for key, profile in profiles.items():
            match = title_match(profile["job_title"], mapping=mapping)
            person = {**profile, "id": ids[key], "matched_job_function": match.job_function,
                      "matched_seniority": match.seniority}
            people.append(person)
            locations.append({"person_id": ids[key], "linkedin_url": key, "city": profile["city"],
                              "country": profile["person_country"]})
            titles.append({"person_id": ids[key], "linkedin_url": key, "raw_title": profile["job_title"],
                           "job_function": match.job_function, "seniority": match.seniority})
        added, updated = sql.people_upsert(rows=people)
        located, titled = sql.locations_add(rows=locations), sql.titles_add(rows=titles)
        state.update(people_added=state["people_added"] + added, people_updated=state["people_updated"] + updated,
                     locations_added=state["locations_added"] + located, titles_added=state["titles_added"] + titled)
        # In the dry run's unit, people: their locations and titles are counted in the checkpoint.
        return added + updated


def _profile(row: tuple) -> dict | None:
    _id, url, full_name, job_title, domain, city, country = row
    try:
        key = normalise_linkedin_url(url)
    except InvalidEntityKey:
        return None
    company = domain_or_none(domain)
    first, _, last = (full_name or "").strip().partition(" ")
    return {"linkedin_url": key, "full_name": full_name, "first_name": first or None, "last_name": last or None,
            "job_title": job_title, "company_domain": company, "person_country": country, "city": city}
