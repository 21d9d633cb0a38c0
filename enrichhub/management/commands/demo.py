import os
import signal
import subprocess
import sys
import time
from typing import Any, TextIO, cast

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_q.tasks import async_chain
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cleanup.coalescing.demo import demo_mappings_ensure, title_classification_run
from cleanup.models import GapSnapshot
from cleanup.tasks import gaps_check_task
from dashboard.demo import demo_spend_record
from enrichhub.embedded_db import (
    DatabaseSetupError,
    data_dir_from,
    embedded_server_pid,
    embedded_server_start,
    embedded_server_stop,
)
from enrichhub.schedules import SCHEDULES
from enrichhub.services import demo_api_key_ensure
from registry.models import Workflow
from warehouse.demo.seed import demo_seed, demo_table_count
from warehouse.services import demo_data_present

STOP_GRACE_SECONDS = 20
# A server that fails to start again is retried this often, not on every look.
RESTART_INTERVAL_SECONDS = 5


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (systemd, docker stop) and SIGHUP (terminal closed) shut down like Ctrl-C."""
    raise KeyboardInterrupt


def _terminate_with_parent() -> None:
    """In the child, before exec: SIGTERM when the demo dies, even by SIGKILL (Linux only), so a
    killed demo never leaves a web server and a q2 cluster running under init."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _command_of(child: subprocess.Popen) -> list[str]:
    return cast(list[str], child.args)[2:]  # after the interpreter and manage.py


def _kill_session(child: subprocess.Popen) -> None:
    """Kill whatever is left of a child's session: qcluster's workers outlive a killed parent."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


class Command(BaseCommand):
    help = "Prepare the database and demo data, then run the q2 cluster and web server until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default=os.environ.get("ENRICHHUB_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--scale", type=float, default=float(os.environ.get("ENRICHHUB_DEMO_SCALE", "1")),
                            help="size of the demo data against the seed's counts; 0 seeds none")
        parser.add_argument("--prepare-only", action="store_true",
                            help="prepare the database, demo data, admin and API key, then exit (make fleet "
                                 "starts its own servers)")

    def handle(self, *args: Any, addr: str, scale: float, prepare_only: bool, **options: Any) -> None:
        # Launched in the background, a shell hands its children SIGINT already ignored; Ctrl-C
        # (or `kill -INT`) must stop the demo however it was started.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if scale < 0:
            raise CommandError(f"--scale {scale} is negative; use 0 for no demo data")
        self._prepare(scale)
        if prepare_only:
            return
        # --insecure: the development server serves the admin's static files with DEBUG off too.
        children = [self._spawn("qcluster"), self._spawn("runserver", addr, "--noreload", "--insecure")]
        self.stdout.write(self.style.SUCCESS(f"enrichhub is up: http://{addr}/admin/  API docs http://{addr}/api/docs"))
        self.stdout.write("This is Django's development server, for trying enrichhub; production runs gunicorn "
                          "(docs/scaling.md).")
        self.stdout.write("Ctrl-C stops the web server, the q2 cluster and the embedded database.")
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGHUP, _interrupt)
        try:
            failed = self._wait_for_first_exit(children)
        except KeyboardInterrupt:
            failed = None
        self._stop(children)
        if failed is not None:
            raise CommandError(f"'{' '.join(_command_of(failed))}' exited with status {failed.returncode}")

    def _prepare(self, scale: float) -> None:
        """One line per stage here; what the stages print goes to the setup log."""
        log_path = settings.VAR_DIR / "demo-setup.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w") as log:
            self._prepare_logged(scale, log)
        self.stdout.write(f"setup details: {log_path}")

    def _prepare_logged(self, scale: float, log: TextIO) -> None:
        demo_warehouse = settings.WAREHOUSE_DDL_ALLOWED
        if demo_warehouse:
            # The shape first, as in a real warehouse: migrations then adopt the existing registry.
            call_command("create_warehouse", stdout=log)
        else:
            self.stdout.write("DATABASE_URL is a real warehouse: demo shape and data left alone")
        call_command("migrate", interactive=False, verbosity=1, stdout=log)
        call_command("setup_schedules", stdout=log)
        self.stdout.write(f"database migrated; {len(SCHEDULES)} schedules in place")
        if demo_warehouse and scale > 0 and not demo_data_present():
            self._seed(scale, log)
            # The seed is the TODO's starting point (16 of 53 registered); the demo shows the
            # system after Phase 1, with runs backfilled from history by the q2 cluster.
            call_command("complete_demo_registry", stdout=log)
            demo_mappings_ensure()
            self.stdout.write(f"registry: all {Workflow.objects.count()} demo workflows registered")
            call_command("registry_indexes", create=True, stdout=log)
            self.stdout.write("key indexes built for every registered key column")
            demo_spend_record()
            self._first_figures(log)
        elif demo_warehouse and scale > 0:
            self.stdout.write("demo data already present; left as it is")
            demo_mappings_ensure()  # mappings added since the data was seeded
            if not GapSnapshot.objects.exists():
                self._first_figures(log)
        call_command("ensure_admin")
        key = demo_api_key_ensure(key_file=settings.DEMO_API_KEY_FILE)
        self.stdout.write(f"API key for the demo: {key}")

    def _seed(self, scale: float, log: TextIO) -> None:
        console = Console(file=cast(TextIO, self.stdout._out))
        columns = [TextColumn("demo data"), BarColumn(), MofNCompleteColumn(), TextColumn("tables"),
                   TimeElapsedColumn()]
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("seed", total=demo_table_count())

            def seeded(table: str, rows: int, seconds: float) -> None:
                log.write(f"  {table:<48} {rows:>10,} rows  {seconds:6.2f}s\n")
                bar.advance(task)

            report = demo_seed(scale=scale, progress=seeded)
        rows = sum(report.rows_by_table.values())
        self.stdout.write(f"demo data: {rows:,} rows in {len(report.rows_by_table)} tables at scale {scale} "
                          f"({report.seconds:.0f} s)")

    def _first_figures(self, log: TextIO) -> None:
        """Gap pages and the dashboard have figures from the first minute, not after the hourly
        check; once the q2 cluster has backfilled the runs, the dashboard is computed again."""
        summary = gaps_check_task()
        titles = title_classification_run()
        self.stdout.write(f"job titles classified: people hidden for a title field {titles['hidden_before']:,} -> "
                          f"{titles['hidden_after']:,}")
        call_command("refresh_dashboard", stdout=log)
        self.stdout.write(f"first gap check of {summary['workflows']} workflows and dashboard figures computed")
        async_chain([("runs.tasks.runs_backfill_task", (None,)), ("dashboard.tasks.dashboard_refresh_task",),
                     # The fill rates are measured on the hidden-leads count: it comes first.
                     ("planning.tasks.hidden_leads_count_task",), ("planning.tasks.figures_refresh_task",)])
        self.stdout.write("run backfill queued on the q2 cluster; the dashboard and the workflows' fill rates are "
                          "refreshed when it is done")

    def _spawn(self, *command: str) -> subprocess.Popen:
        # A session of its own keeps the terminal's Ctrl-C away from the child: it gets exactly
        # one SIGTERM from us. A second signal interrupts qcluster's own orderly shutdown.
        return subprocess.Popen([sys.executable, "manage.py", *command], cwd=settings.BASE_DIR,
                                start_new_session=True, preexec_fn=_terminate_with_parent)

    def _wait_for_first_exit(self, children: list[subprocess.Popen]) -> subprocess.Popen:
        """Until the web server exits; a q2 cluster that dies is started again, as the database is."""
        while True:
            for index, child in enumerate(children):
                if child.poll() is None:
                    continue
                if _command_of(child) != ["qcluster"]:
                    return child
                children[index] = self._cluster_restarted(child)
            if settings.EMBEDDED_DATABASE:
                self._restart_database_if_gone()
            time.sleep(0.5)

    def _cluster_restarted(self, dead: subprocess.Popen) -> subprocess.Popen:
        """Jobs it was running continue from their checkpoint (the resume-interrupted schedule)."""
        _kill_session(dead)  # its workers may outlive it
        wait = getattr(self, "_next_cluster_start", 0.0) - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # a cluster that dies at once is not restarted in a tight loop
        self._next_cluster_start = time.monotonic() + RESTART_INTERVAL_SECONDS
        self.stdout.write(self.style.WARNING(f"the q2 cluster stopped (exit {dead.returncode}); restarting it"))
        return self._spawn("qcluster")

    def _restart_database_if_gone(self) -> None:
        """The web server answers 503 while the embedded server is down; bring it back."""
        data_dir = data_dir_from(os.environ)
        if embedded_server_pid(data_dir=data_dir) is not None:
            return
        if time.monotonic() < getattr(self, "_next_restart", 0.0):
            return
        self._next_restart = time.monotonic() + RESTART_INTERVAL_SECONDS
        self.stdout.write(self.style.WARNING("the embedded PostgreSQL stopped; restarting it"))
        try:
            embedded_server_start(data_dir=data_dir)
        except DatabaseSetupError as exc:
            self.stderr.write(f"could not restart it yet: {exc}")
            return
        self.stdout.write("the embedded PostgreSQL is back")

    def _stop(self, children: list[subprocess.Popen]) -> None:
        self.stdout.write("stopping…")
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # qcluster lets running tasks finish
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _kill_session(child)
        if settings.EMBEDDED_DATABASE:
            embedded_server_stop(data_dir=data_dir_from(os.environ))
            self.stdout.write("embedded database stopped")
