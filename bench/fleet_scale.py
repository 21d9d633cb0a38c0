"""The fleet of `make fleet` on the scale-1 demo, against the single-machine path in the same run:
status and run events with two web servers behind PgBouncer (counts from the hot standby) against
one server connected directly; a split coalescing job on two q2 clusters against one; the
standby's lag under that load; and kill tests (a cluster SIGKILLed mid-job, the primary
restarted mid-job) counted in lost and duplicated rows against the uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from bench.coalesce import _reset as coalescing_reset
from bench.environment import PROJECT_ROOT
from bench.runs import _free_port, _wait_until_serving
from bench.status import Load, _wrk
from enrichhub.embedded_db import embedded_server_start, embedded_server_stop
from enrichhub.fleet import Fleet, FleetPorts, fleet_start, fleet_stop

FOLDER = PROJECT_ROOT / "var" / "bench-fleet"
WEB_WORKERS = 2  # per server of the fleet; the single server gets both servers' worth
CLIENTS = 8
EVENTS_PER_REQUEST = 100
SECONDS = 10
SWEEP_WAIT_S = 150  # the minute's sweep, after the runner grace, on the cluster that is left


@dataclass
class Arm:
    name: str
    load: Load
    events_per_request: int = 1

    @property
    def per_second(self) -> float:
        return self.load.requests_per_s * self.events_per_request


def _cpu_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


@contextmanager
def _cpu_share(into: dict, key: str):
    began = _cpu_busy()
    yield
    ended = _cpu_busy()
    into[key] = (ended[0] - began[0]) / max(1, ended[1] - began[1])


def _serve_direct(fleet: Fleet, port: int) -> subprocess.Popen:
    """The single-machine path: one gunicorn on the primary itself, no pooler, no replica, no Redis."""
    env = {key: value for key, value in fleet.env.items()
           if key not in ("ENRICHHUB_DIRECT_DATABASE_URL", "ENRICHHUB_REPLICA_DATABASE_URL", "ENRICHHUB_REDIS_URL")}
    env.update(DATABASE_URL=fleet.primary_url, ENRICHHUB_API_RATE="100000000/m")
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "enrichhub.wsgi", "-b", f"127.0.0.1:{port}",
                             "--workers", str(2 * WEB_WORKERS)], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def process_group_stop(process: subprocess.Popen) -> None:
    """The process and everything it started (its own session)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    process.wait(timeout=60)


def _api_key(fleet: Fleet) -> str:
    done = subprocess.run([sys.executable, "manage.py", "create_api_key", f"bench-fleet-{time.time_ns()}"],
                          cwd=PROJECT_ROOT, env=fleet.env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def _status_bodies(fleet: Fleet) -> list[dict]:
    with psycopg.connect(fleet.primary_url) as conn:
        companies = conn.execute("SELECT domain FROM core.companies ORDER BY md5(id::text) LIMIT 500").fetchall()
        people = conn.execute("SELECT linkedin_url FROM core.people ORDER BY md5(id::text) LIMIT 500").fetchall()
    return [*({"entity_type": "company", "entity_key": d} for (d,) in companies),
            *({"entity_type": "person", "entity_key": u} for (u,) in people)]


def _event_bodies(tag: str, requests: int) -> list[dict]:
    """Bodies of new events only: every request records EVENTS_PER_REQUEST runs."""
    return [{"events": [{"workflow_name": "company_news", "entity_key": f"{tag}-{n}-{i}.bench-fleet.example",
                         "entity_type": "company", "status": "completed", "records_processed": 1,
                         "source": "bench-fleet"} for i in range(EVENTS_PER_REQUEST)]} for n in range(requests)]


def _load(ports: list[int], path: str, key: str, bodies_per_port: list[list[dict]]) -> Load:
    """wrk on each port at once, the clients shared out; throughput summed, latency the worst's."""
    def one(port: int, bodies: list[dict]) -> Load:
        return _wrk(port, path, key, bodies, seconds=SECONDS, connections=CLIENTS // len(ports))

    with ThreadPoolExecutor(len(ports)) as pool:
        loads = list(pool.map(one, ports, bodies_per_port))
    return Load(p50_ms=max(load.p50_ms for load in loads), p99_ms=max(load.p99_ms for load in loads),
                requests_per_s=sum(load.requests_per_s for load in loads),
                requests=sum(load.requests for load in loads))


class LagSampler(threading.Thread):
    """The standby's replay lag, as the primary sees it, five times a second."""

    def __init__(self, primary_url: str) -> None:
        super().__init__(daemon=True)
        self.primary_url, self.samples, self.stopping = primary_url, [], threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.primary_url, autocommit=True) as conn:
            while not self.stopping.wait(0.2):
                row = conn.execute("SELECT coalesce(extract(epoch FROM max(replay_lag)), 0),"
                                   " coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)"
                                   " FROM pg_stat_replication").fetchone()
                self.samples.append((float(row[0]), int(row[1])))

    def worst(self) -> tuple[float, int]:
        self.stopping.set()
        self.join()
        return (max((s for s, _ in self.samples), default=0.0), max((b for _, b in self.samples), default=0))


def _web_arms(fleet: Fleet, web_ports: list[int], lags: dict, cpu: dict) -> list[Arm]:
    key = _api_key(fleet)
    status_bodies = _status_bodies(fleet)
    single_port = _free_port()
    single = _serve_direct(fleet, single_port)
    arms = []
    try:
        _wait_until_serving(single_port)
        for port in (single_port, *web_ports):  # warm workers, plans, connections
            _wrk(port, "/api/enrichment/status", key, status_bodies, seconds=3, connections=2)
        arms.append(Arm("status, one server direct", _load([single_port], "/api/enrichment/status", key,
                                                          [status_bodies])))
        arms.append(Arm("status, two servers through PgBouncer, counts from the standby",
                        _load(web_ports, "/api/enrichment/status", key, [status_bodies] * 2)))
        for name, ports in (("events, one server direct", [single_port]),
                            ("events, two servers through PgBouncer", web_ports)):
            sampler = LagSampler(fleet.primary_url)
            sampler.start()
            tag = uuid.uuid4().hex[:8]
            with _cpu_share(cpu, name):
                load = _load(ports, "/api/enrichment/runs", key,
                             [_event_bodies(f"{tag}-{n}", 3000 // len(ports)) for n in range(len(ports))])
            lags[name] = sampler.worst()
            arms.append(Arm(name, load, EVENTS_PER_REQUEST))
    finally:
        process_group_stop(single)
        with psycopg.connect(fleet.primary_url, autocommit=True) as conn:
            conn.execute("DELETE FROM reference.enrichment_runs WHERE source = 'bench-fleet'")
    return arms


@contextmanager
def _clusters(fleet: Fleet, count: int):
    """`count` q2 clusters of one worker each, listening on Redis before anything is queued."""
    redis.Redis.from_url(fleet.env["ENRICHHUB_REDIS_URL"]).flushdb()  # the demo's queued backfill, old tasks
    logs = [Path(tempfile.mkstemp(prefix=f"cluster{n}-", suffix=".log")[1]) for n in range(count)]
    processes = [subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=PROJECT_ROOT,
                                  env={**fleet.env, "ENRICHHUB_Q_WORKERS": "1"}, stdout=log.open("w"),
                                  stderr=subprocess.STDOUT, start_new_session=True) for log in logs]
    try:
        deadline = time.monotonic() + 90
        while not all("] running." in log.read_text() for log in logs):
            if time.monotonic() > deadline:
                raise RuntimeError("the q2 clusters did not start: " + " ".join(map(str, logs)))
            time.sleep(0.2)
        yield processes
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        for log in logs:
            log.unlink()


def _split_job(fleet: Fleet) -> list[int]:
    """The first coalescing of the demo's unsynced experience, as two parts (odd and even ids)."""
    script = ("from cleanup.jobs.services import job_start\n"
              "jobs = [job_start(kind='coalesce_person_experience', params={'mode': 'reconcile', "
              "'part': f'{k}/2'}, sleep_ms=0) for k in (1, 2)]\n"
              "print(json.dumps([job.pk for job in jobs]))")
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", "import json\n" + script], cwd=PROJECT_ROOT,
                          env=fleet.env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _jobs_state(fleet: Fleet, ids: list[int]) -> list[tuple]:
    with psycopg.connect(fleet.primary_url, autocommit=True) as conn:
        return conn.execute("SELECT status, batches FROM cleanup_batch_jobs WHERE id = ANY(%s) ORDER BY id",
                            [ids]).fetchall()


def _wait_jobs(fleet: Fleet, ids: list[int], done, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if done(_jobs_state(fleet, ids)):
                return
        except psycopg.OperationalError:
            pass  # the primary is restarting
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs {ids} did not get there: {_jobs_state(fleet, ids)}")
        time.sleep(0.2)


def _all_completed(states: list[tuple]) -> bool:
    return all(status == "completed" for status, _ in states)


# The rows the job writes: the newest fifth of the experience, which the reset forgets. Older
# rows may meanwhile be changed by the demo's own schedules (the five-minute coalescing sweep).
_WRITTEN = ("FROM core.person_work_history WHERE source = 'extracted.person_experience'"
            " AND source_record_id > (SELECT count(*) * 0.8 FROM extracted.person_experience)")


def _work_history(fleet: Fleet) -> tuple[int, int, str]:
    """(rows the job wrote, distinct source rows among them, a digest of their values)."""
    with psycopg.connect(fleet.primary_url) as conn:
        return conn.execute(
            "SELECT count(*), count(DISTINCT source_record_id), md5(string_agg(concat_ws('|', source_record_id,"
            " person_id, company_id, title, matched_job_function, matched_seniority, start_date, end_date,"
            " is_current), ',' ORDER BY source_record_id, id)) " + _WRITTEN).fetchone()


def _source_ids(fleet: Fleet) -> set[int]:
    with psycopg.connect(fleet.primary_url) as conn:
        return {row[0] for row in conn.execute("SELECT source_record_id " + _WRITTEN)}


def _reset(fleet: Fleet) -> None:
    with psycopg.connect(fleet.primary_url, autocommit=True) as conn:
        coalescing_reset(conn)


def _split_run(fleet: Fleet, clusters: int, cpu: dict) -> float:
    _reset(fleet)
    with _clusters(fleet, clusters), _cpu_share(cpu, f"coalescing on {clusters}"):
        began = time.monotonic()
        ids = _split_job(fleet)
        _wait_jobs(fleet, ids, _all_completed, seconds=1800)
        return time.monotonic() - began


def _cluster_killed(fleet: Fleet) -> float:
    _reset(fleet)
    with _clusters(fleet, 2) as processes:
        began = time.monotonic()
        ids = _split_job(fleet)
        _wait_jobs(fleet, ids, lambda states: all(status == "running" and batches >= 3 for status, batches in states),
                   seconds=300)
        os.killpg(processes[0].pid, signal.SIGKILL)  # the whole cluster, sentinel and worker
        _wait_jobs(fleet, ids, _all_completed, seconds=1800 + SWEEP_WAIT_S)
        return time.monotonic() - began


def _primary_restarted(fleet: Fleet) -> float:
    _reset(fleet)
    with _clusters(fleet, 2):
        began = time.monotonic()
        ids = _split_job(fleet)
        _wait_jobs(fleet, ids, lambda states: all(status == "running" and batches >= 3 for status, batches in states),
                   seconds=300)
        embedded_server_stop(data_dir=fleet.primary_dir)
        embedded_server_start(data_dir=fleet.primary_dir)
        _wait_jobs(fleet, ids, _all_completed, seconds=1800 + SWEEP_WAIT_S)
        return time.monotonic() - began


def _losses(fleet: Fleet, oracle_ids: set[int], oracle: tuple) -> str:
    rows, distinct, digest = _work_history(fleet)
    ids = _source_ids(fleet)
    same = "identical to" if digest == oracle[2] else "differs from"
    return (f"{len(oracle_ids - ids)} of {len(oracle_ids):,} rows lost, {rows - distinct} duplicated (a unique "
            f"source_record_id forbids it), their values {same} the uninterrupted run's")


def run_scale_out() -> list[str]:
    os.environ["ENRICHHUB_API_RATE"] = "100000000/m"  # the fleet's parts inherit it: measure, not throttle
    ports = FleetPorts(web=[_free_port(), _free_port()], pgbouncer=_free_port(), redis=_free_port())
    fleet = fleet_start(folder=FOLDER, ports=ports, clusters=0, web_workers=WEB_WORKERS, scale=1.0,
                        say=lambda line: print(line, file=sys.stderr))
    lags: dict = {}
    cpu: dict = {}
    try:
        arms = _web_arms(fleet, ports.web, lags, cpu)
        one = _split_run(fleet, 1, cpu)
        two = _split_run(fleet, 2, cpu)
        oracle, oracle_ids = _work_history(fleet), _source_ids(fleet)
        killed = _cluster_killed(fleet)
        killed_losses = _losses(fleet, oracle_ids, oracle)
        restarted = _primary_restarted(fleet)
        restarted_losses = _losses(fleet, oracle_ids, oracle)
    finally:
        fleet_stop(fleet, say=lambda line: print(line, file=sys.stderr))
    by_name = {arm.name: arm for arm in arms}
    status_ratio = (by_name["status, two servers through PgBouncer, counts from the standby"].load.p99_ms
                    / by_name["status, one server direct"].load.p99_ms)
    events_ratio = (by_name["events, two servers through PgBouncer"].per_second
                    / by_name["events, one server direct"].per_second)
    rows = [f"| {arm.name} | {arm.load.p50_ms:.1f} | {arm.load.p99_ms:.1f} | {arm.load.requests_per_s:,.0f} | "
            f"{arm.per_second:,.0f} |" for arm in arms]
    lag_rows = [f"| {name} | {seconds * 1000:.0f} | {size / 1024:,.0f} | {cpu.get(name, 0):.0%} |"
                for name, (seconds, size) in lags.items()]
    return [
        "",
        f"### The fleet on one machine ({os.cpu_count()} cores): `python -m enrichhub.fleet` parts, scale-1 demo",
        "",
        f"- web: the single-machine path is one gunicorn ({2 * WEB_WORKERS} workers) on the primary directly; the "
        f"fleet's is two gunicorns ({WEB_WORKERS} workers each) through PgBouncer, status counts from the hot "
        f"standby, throttles on Redis. wrk with {CLIENTS} connections shared out, {SECONDS} s a row; run events in "
        f"bodies of {EVENTS_PER_REQUEST} new events",
        "",
        "| arm | p50 ms | p99 ms | requests/s | items/s |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"- status p99, fleet against one server direct: {status_ratio:.2f}×; run events a second, two servers "
        f"against one: {events_ratio:.2f}× (goal 1.6× where the servers have cores of their own: here every "
        "server, PgBouncer and both PostgreSQL servers share the same 2)",
        "",
        "| load | standby's worst replay lag ms | worst WAL behind KiB | machine CPU busy |",
        "|---|---:|---:|---:|",
        *lag_rows,
        "",
        f"- coalescing, the demo's first reconciliation split in two parts (`part=1/2`, `2/2`), from queueing to "
        f"the last part's end: one cluster of one worker {one:.1f} s (CPU {cpu['coalescing on 1']:.0%}); two "
        f"clusters of one worker each {two:.1f} s (CPU {cpu['coalescing on 2']:.0%}); ratio {two / one:.2f}× "
        "(goal 0.65× with a machine per cluster)",
        f"- kill test, a cluster SIGKILLed whole after both parts passed 3 batches: finished in {killed:.1f} s "
        f"(the minute's sweep hands the part on after the runner grace); {killed_losses}",
        f"- kill test, the primary restarted (fast shutdown, start) after both parts passed 3 batches: finished in "
        f"{restarted:.1f} s; {restarted_losses}",
    ]
