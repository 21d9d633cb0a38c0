"""The seed's clean-ups three ways on the scale-1 demo data, in one run: the seed's own SQL
plan (LIMIT batches without ORDER BY, at default settings and with synchronize_seqscans off,
which stands in for a large buffer pool), one single statement doing the same work, and
the engine. Then a concurrent writer's latency while job 1 runs each way."""

import random
import re
import statistics
import threading
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from bench.environment import bench_database_uri, ensure_demo_data, manage

WITHOUT_LOCATION = sql.SQL("c.discovery_location IS NULL AND c.salesnav_location IS NULL")
UNREFERENCED = sql.SQL("NOT EXISTS (SELECT 1 FROM core.person_work_history w WHERE w.company_id = c.id)")
NORMALISED = sql.SQL(r"lower(regexp_replace(e.domain, '^(https?://)?(www\.)?([^/?#:]+).*$', '\3', 'i'))")
_SEQSCAN_SYNC = "SELECT set_config('synchronize_seqscans', %s, false)"
WRITER_IDLE_SECONDS = 5
THROTTLES_MS = (0, 5, 20)


@dataclass
class Timing:
    seconds: float
    rows: int
    longest_batch_ms: float | None = None
    note: str = ""


def _conn() -> psycopg.Connection:
    return psycopg.connect(bench_database_uri(), autocommit=True)


def _save_state(conn: psycopg.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS public.bench_saved_companies, public.bench_saved_snapshot")
    conn.execute(sql.SQL("CREATE TABLE public.bench_saved_companies AS SELECT c.* FROM core.companies c"
                         " WHERE {without_location}").format(without_location=WITHOUT_LOCATION))
    conn.execute("CREATE TABLE public.bench_saved_snapshot AS SELECT * FROM core.companies_missing_location")
    conn.execute("CREATE TABLE IF NOT EXISTS public.bench_started (at timestamptz)")


def _reset(conn: psycopg.Connection, since: float) -> None:
    """Put the warehouse back as it was before a run."""
    conn.execute("INSERT INTO core.companies SELECT * FROM public.bench_saved_companies ON CONFLICT DO NOTHING")
    conn.execute("INSERT INTO core.companies_missing_location SELECT * FROM public.bench_saved_snapshot"
                 " ON CONFLICT DO NOTHING")
    conn.execute("DELETE FROM core.company_funding WHERE created_at >= to_timestamp(%s)", [since])
    conn.execute("DELETE FROM core.person_tenure WHERE updated_at >= to_timestamp(%s)", [since])
    for table in ("archive.core_companies", "archive.core_companies_missing_location"):
        if _exists(conn, table):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(*table.split("."))))
    conn.execute("DROP TABLE IF EXISTS public.funding_backfill")
    conn.execute("VACUUM ANALYZE core.companies, core.company_funding, core.person_tenure")


def _exists(conn: psycopg.Connection, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]


def _timed(action) -> tuple[float, object]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


# ---------------------------------------------------------------- the seed's plans
def _seed_delete(conn: psycopg.Connection, sync_scans: bool) -> Timing:
    """The seed's loop of DELETE ... WHERE id IN (SELECT ... LIMIT 100), on the live predicate
    (on the snapshot table it repeats the same ids and stops after two batches, see note)."""
    conn.execute(_SEQSCAN_SYNC, ["on" if sync_scans else "off"])
    batch = sql.SQL("DELETE FROM core.companies WHERE id IN (SELECT c.id FROM core.companies c WHERE "
                    "{without_location} AND {unreferenced} LIMIT 100)").format(
        without_location=WITHOUT_LOCATION, unreferenced=UNREFERENCED).as_string(conn)
    total, longest, began = 0, 0.0, time.perf_counter()
    while True:
        t0 = time.perf_counter()
        deleted = conn.execute(batch).rowcount
        longest = max(longest, (time.perf_counter() - t0) * 1000)
        if not deleted:
            break
        total += deleted
    conn.execute("RESET synchronize_seqscans")
    return Timing(time.perf_counter() - began, total, longest)


def _seed_delete_from_snapshot(conn: psycopg.Connection) -> int:
    """The seed's SQL as written, looped until it deletes nothing; returns rows deleted."""
    total = 0
    while True:
        deleted = conn.execute("DELETE FROM core.companies WHERE id IN (SELECT id FROM core.companies_missing_location"
                               " WHERE discovery_location IS NULL AND salesnav_location IS NULL LIMIT 100)"
                               " AND id NOT IN (SELECT company_id FROM core.person_work_history"
                               " WHERE company_id IS NOT NULL)").rowcount
        if not deleted:
            return total
        total += deleted


def _seed_funding(conn: psycopg.Connection, sync_scans: bool) -> Timing:
    conn.execute(_SEQSCAN_SYNC, ["on" if sync_scans else "off"])
    began = time.perf_counter()
    conn.execute("""CREATE TABLE public.funding_backfill AS
        SELECT DISTINCT ON (e.domain) e.domain, e.total_funding_amount_range_usd AS raw_funding_range
        FROM extracted.company_discovery e LEFT JOIN core.company_funding cf ON cf.domain = e.domain
        WHERE e.total_funding_amount_range_usd IS NOT NULL AND cf.domain IS NULL""")
    staged = conn.execute("SELECT count(*) FROM public.funding_backfill").fetchone()[0]
    total, offset, longest = 0, 0, 0.0
    while True:
        t0 = time.perf_counter()
        added = conn.execute("""INSERT INTO core.company_funding (domain, raw_funding_range, source)
            SELECT domain, raw_funding_range, 'extracted.company_discovery' FROM public.funding_backfill
            LIMIT 5000 OFFSET %s ON CONFLICT DO NOTHING""", [offset]).rowcount
        longest = max(longest, (time.perf_counter() - t0) * 1000)
        offset += 5000
        total += added
        if offset >= staged:
            break
    conn.execute("DROP TABLE public.funding_backfill")
    conn.execute("RESET synchronize_seqscans")
    return Timing(time.perf_counter() - began, total, longest,
                  note=f"{staged - total:,} staged rows never inserted" if total < staged else "")


def _seed_tenure(conn: psycopg.Connection, sync_scans: bool) -> Timing:
    """The seed gives no SQL here; its batching style (LIMIT 5000 OFFSET k, no ORDER BY)."""
    conn.execute(_SEQSCAN_SYNC, ["on" if sync_scans else "off"])
    total, offset, longest, began = 0, 0, 0.0, time.perf_counter()
    while True:
        t0 = time.perf_counter()
        added = conn.execute("""INSERT INTO core.person_tenure (person_id, linkedin_url, job_start_date, source)
            SELECT DISTINCT ON (s.person_id) s.person_id, s.linkedin_url, s.job_start_date, s.source
            FROM core.person_job_start_dates s
            WHERE NOT EXISTS (SELECT 1 FROM core.person_tenure t WHERE t.person_id = s.person_id)
            LIMIT 5000 OFFSET %s ON CONFLICT DO NOTHING""", [offset]).rowcount
        longest = max(longest, (time.perf_counter() - t0) * 1000)
        offset += 5000
        total += added
        if not added:
            break
    conn.execute("RESET synchronize_seqscans")
    return Timing(time.perf_counter() - began, total, longest)


# ---------------------------------------------------------------- one statement each
# The archive tables are migrated models: their columns are named, not taken in table order.
_COMPANY_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, (
    "id", "domain", "company_name", "cleaned_name", "company_country", "discovery_location", "salesnav_location",
    "industry", "employee_count", "linkedin_url", "created_at", "updated_at")))
_SNAPSHOT_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, (
    "id", "domain", "company_name", "discovery_location", "salesnav_location", "flagged_at")))
def _single_delete(conn: psycopg.Connection) -> Timing:
    seconds, rows = _timed(lambda: conn.execute(sql.SQL("""
        WITH gone AS (DELETE FROM core.companies c WHERE {without_location} AND {unreferenced} RETURNING c.*),
             kept AS (INSERT INTO archive.core_companies ({companies}, archive_job_id)
                      SELECT {companies}, 0 FROM gone RETURNING id),
             snap AS (DELETE FROM core.companies_missing_location m USING gone WHERE m.id = gone.id RETURNING m.*),
             snap_kept AS (INSERT INTO archive.core_companies_missing_location ({snapshot}, archive_job_id)
                           SELECT {snapshot}, 0 FROM snap)
        SELECT count(*) FROM kept""").format(companies=_COMPANY_COLUMNS, snapshot=_SNAPSHOT_COLUMNS,
                                             without_location=WITHOUT_LOCATION,
                                             unreferenced=UNREFERENCED)).fetchone()[0])
    return Timing(seconds, rows, seconds * 1000)


def _single_funding(conn: psycopg.Connection) -> Timing:
    seconds, rows = _timed(lambda: conn.execute(sql.SQL("""
        INSERT INTO core.company_funding (domain, raw_funding_range, source)
        SELECT DISTINCT ON ({normalised}) {normalised}, e.total_funding_amount_range_usd,
               'extracted.company_discovery'
        FROM extracted.company_discovery e WHERE e.total_funding_amount_range_usd IS NOT NULL
        ORDER BY {normalised}, e.created_at DESC, e.id DESC
        ON CONFLICT (domain) DO NOTHING""").format(normalised=NORMALISED)).rowcount)
    return Timing(seconds, rows, seconds * 1000)


def _single_tenure(conn: psycopg.Connection) -> Timing:
    seconds, rows = _timed(lambda: conn.execute("""
        INSERT INTO core.person_tenure (person_id, linkedin_url, job_start_date, source)
        SELECT DISTINCT ON (s.person_id) s.person_id, s.linkedin_url, s.job_start_date, s.source
        FROM core.person_job_start_dates s
        WHERE NOT EXISTS (SELECT 1 FROM core.person_tenure t WHERE t.person_id = s.person_id)
        ORDER BY s.person_id, s.job_start_date DESC, s.source ON CONFLICT DO NOTHING""").rowcount)
    return Timing(seconds, rows, seconds * 1000)


# ---------------------------------------------------------------- the engine
def _engine(kind: str, sleep_ms: int = 0) -> Timing:
    """The job's own start-to-finish time, from its started_at to its finished_at."""
    return _engine_timings(kind, sleep_ms)[0]


def _engine_timings(kind: str, sleep_ms: int = 0) -> tuple[Timing, Timing]:
    """(the job alone, the whole `run_job` command as an operator runs it: Python start-up,
    the dry run that job creation performs, the job and the tables' vacuum afterwards)."""
    began = time.perf_counter()
    out = manage("run_job", kind, "--sleep-ms", str(sleep_ms)).stdout
    whole_seconds = time.perf_counter() - began
    match = re.search(r"job #(\d+) completed: ([\d,]+) rows in (\d+) batches, longest batch (\d+) ms", out)
    with _conn() as conn:
        seconds = conn.execute("SELECT extract(epoch FROM finished_at - started_at) FROM cleanup_batch_jobs"
                               " WHERE id = %s", [int(match[1])]).fetchone()[0]
    rows = int(match[2].replace(",", ""))
    return (Timing(float(seconds), rows, float(match[4]), note=f"{match[3]} batches"),
            Timing(whole_seconds, rows, float(match[4]), note="start-up + dry run + job + vacuum"))


# ---------------------------------------------------------------- a concurrent writer
class Writer(threading.Thread):
    """Updates random core.companies rows back to back and records each update's latency."""

    def __init__(self, ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.ids, self.latencies, self.stop = ids, [], threading.Event()

    def run(self) -> None:
        rng = random.Random(7)
        with _conn() as conn:
            while not self.stop.is_set():
                began = time.perf_counter()
                conn.execute("UPDATE core.companies SET updated_at = now() WHERE id = %s", [rng.choice(self.ids)])
                self.latencies.append((time.perf_counter() - began) * 1000)
                time.sleep(0.002)

    def summary(self) -> str:
        values = sorted(self.latencies)
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        return f"{statistics.median(values):.2f} | {p99:.2f} | {values[-1]:.1f} | {len(values):,}"


def _with_writer(ids: list[int], action) -> tuple[str, object]:
    writer = Writer(ids)
    writer.start()
    time.sleep(0.2)
    result = action()
    writer.stop.set()
    writer.join()
    return writer.summary(), result


def run() -> str:
    ensure_demo_data()
    since = time.time()
    with _conn() as conn:
        _save_state(conn)
        ids = [row[0] for row in conn.execute("SELECT id FROM core.companies").fetchall()]
        snapshot_rows = _seed_delete_from_snapshot(conn)
        _reset(conn, since)
        results: dict[str, dict[str, Timing]] = {}
        plans = [("delete_companies_missing_location", _seed_delete, _single_delete),
                 ("funding_backfill", _seed_funding, _single_funding),
                 ("tenure_backfill", _seed_tenure, _single_tenure)]
        for kind, seed_plan, single in plans:
            runs = {}
            for label, action in [("seed plan", lambda plan=seed_plan: plan(conn, True)),
                                  ("seed plan, synchronize_seqscans off", lambda plan=seed_plan: plan(conn, False)),
                                  ("one statement", lambda plan=single: plan(conn))]:
                runs[label] = action()
                _reset(conn, since)
            runs["engine"], runs["engine, whole run_job command"] = _engine_timings(kind)
            _reset(conn, since)
            results[kind] = runs
        idle = Writer(ids)
        idle.start()
        time.sleep(WRITER_IDLE_SECONDS)
        idle.stop.set()
        idle.join()
        concurrent = [("idle", idle.summary(), None)]
        summary, timing = _with_writer(ids, lambda: _single_delete(conn))
        concurrent.append(("one statement", summary, timing))
        _reset(conn, since)
        for throttle in THROTTLES_MS:
            summary, timing = _with_writer(ids, lambda t=throttle: _engine("delete_companies_missing_location", t))
            concurrent.append((f"engine, {throttle} ms between batches", summary, timing))
            _reset(conn, since)
        conn.execute("DROP TABLE public.bench_saved_companies, public.bench_saved_snapshot, public.bench_started")
    return _report(results, concurrent, snapshot_rows)


def _report(results: dict, concurrent: list, snapshot_rows: int) -> str:
    lines = ["- command: `make bench BENCH=jobs` on the scale-1 demo data; the engine at its defaults "
             "(batch size 1,000 adapting to ~50 ms batches), timed from the job's started_at to finished_at, "
             "and as the whole `manage.py run_job` command (its dry run included); the data is put back "
             "between runs", ""]
    for kind, runs in results.items():
        single = runs["one statement"].seconds
        lines += [f"**{kind}**", "", "| plan | seconds | rows | rows/s | × one statement | longest batch ms | |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for label, timing in runs.items():
            longest = f"{timing.longest_batch_ms:,.0f}" if timing.longest_batch_ms is not None else "—"
            lines.append(f"| {label} | {timing.seconds:.2f} | {timing.rows:,} | {timing.rows / timing.seconds:,.0f} | "
                         f"{timing.seconds / single:.2f} | {longest} | {timing.note} |")
        lines.append("")
    lines += [f"The seed's delete as written, on the `core.companies_missing_location` snapshot, stopped after "
              f"deleting {snapshot_rows:,} rows: its subquery keeps returning ids already deleted.", "",
              "**A writer updating random core.companies rows while job 1 runs** (latency of each UPDATE)", "",
              "| during | writer p50 ms | p99 ms | max ms | updates | job seconds |", "|---|---:|---:|---:|---:|---:|"]
    for label, summary, timing in concurrent:
        lines.append(f"| {label} | {summary} | {f'{timing.seconds:.2f}' if timing else '—'} |")
    lines += ["", "Goals: engine within 1.5× one statement unthrottled; no batch over 100 ms; at the default "
              "throttle (5 ms) the writer's p99 under 2× idle and its worst wait under 50 ms."]
    return "\n".join(lines)


# ---------------------------------------------------------------- the delete job against link rates
LINK_PERCENTS = (10, 30)


def run_link_rates() -> str:
    """The delete job and one DELETE with 10% and 30% of work history linked to companies, spread
    over the whole id range: the shape that made an unbounded anti-join quadratic."""
    ensure_demo_data()
    since = time.time()
    rows = []
    with _conn() as conn:
        _save_state(conn)
        conn.execute("DROP TABLE IF EXISTS public.bench_saved_links")
        conn.execute("CREATE TABLE public.bench_saved_links AS SELECT id, company_id FROM core.person_work_history"
                     " WHERE company_id IS NOT NULL")
        try:
            for percent in LINK_PERCENTS:
                _links_set(conn, percent)
                single = _single_delete(conn)
                _reset(conn, since)
                job, whole = _engine_timings("delete_companies_missing_location")
                _reset(conn, since)
                rows.append(f"| {percent}% | {single.seconds:.2f} | {job.seconds:.2f} | "
                            f"{job.seconds / single.seconds:.2f} | {whole.seconds / single.seconds:.2f} | "
                            f"{job.longest_batch_ms:,.0f} | {job.rows:,} |")
        finally:
            _links_restore(conn)
            conn.execute("DROP TABLE public.bench_saved_links, public.bench_saved_companies, "
                         "public.bench_saved_snapshot, public.bench_started")
    return "\n".join([
        "- command: `make bench BENCH=delete_links` on the scale-1 demo data: work history linked to companies "
        "at each rate (every n-th row, companies spread over the whole id range), then one DELETE and the job "
        "(alone, and as the whole `run_job` command); links and companies are put back afterwards",
        "",
        "| history linked | one DELETE s | job s | job × one DELETE | whole command × | longest batch ms | rows |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Goal: within 1.5× of one statement at either link rate, longest batch under 100 ms.",
    ])


def _links_set(conn: psycopg.Connection, percent: int) -> None:
    conn.execute("UPDATE core.person_work_history SET company_id = NULL WHERE company_id IS NOT NULL")
    conn.execute("""
        WITH companies AS (SELECT array_agg(id ORDER BY id) AS ids FROM core.companies)
        UPDATE core.person_work_history w SET company_id = companies.ids[1 + (w.id * 7919) %% cardinality(ids)]
        FROM companies WHERE w.id %% 100 < %s""", [percent])
    conn.execute("VACUUM ANALYZE core.person_work_history")


def _links_restore(conn: psycopg.Connection) -> None:
    conn.execute("UPDATE core.person_work_history SET company_id = NULL WHERE company_id IS NOT NULL")
    conn.execute("UPDATE core.person_work_history w SET company_id = s.company_id FROM public.bench_saved_links s"
                 " WHERE s.id = w.id")
    conn.execute("VACUUM ANALYZE core.person_work_history")
