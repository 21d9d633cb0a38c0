"""`make fleet`: enrichhub as it runs past one machine, on this one, each part its own server.

    clients --> web 1, web 2 (gunicorn) --> PgBouncer (transaction mode) --> primary
                     |      \\--- counts, dashboard -----------------------> hot standby
                     '-- Redis (cache, throttles, key trust) <-- q2 cluster 1, 2 --> primary

The primary is the embedded server; the standby is made from it with pg_basebackup and streams
from it. Run as `python -m enrichhub.fleet`; Ctrl-C (or SIGTERM) stops every part. No Django
settings are loaded here: each part reads its own from the environment this module gives it.
"""

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from enrichhub.database import SEARCH_PATH
from enrichhub.embedded_db import (
    PROJECT_DIR,
    DatabaseSetupError,
    embedded_server_start,
    embedded_server_stop,
    embedded_standby_start,
)
from enrichhub.pgbouncer import PoolerMissing, pgbouncer_command

REDIS_SERVER = Path("/usr/bin/redis-server")
# Set by the fleet for its parts; anything else of the caller's environment passes through.
FLEET_VARIABLES = ("DATABASE_URL", "ENRICHHUB_DIRECT_DATABASE_URL", "ENRICHHUB_REPLICA_DATABASE_URL",
                   "ENRICHHUB_REDIS_URL", "ENRICHHUB_VAR_DIR", "ENRICHHUB_DATA_DIR", "ENRICHHUB_PROCESS", "SECRET_KEY")
STOP_GRACE_SECONDS = 20
READY_TIMEOUT_SECONDS = 90


class FleetError(RuntimeError):
    """A part could not be started; the message says which and what to do."""


@dataclass
class FleetPorts:
    web: list[int]
    pgbouncer: int
    redis: int


@dataclass
class Part:
    name: str
    address: str
    process: subprocess.Popen | None = None
    reported_exit: bool = False


@dataclass
class Fleet:
    """The running parts, and the environment a process of the fleet is started with."""

    folder: Path
    primary_url: str = ""
    standby_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)

    @property
    def primary_dir(self) -> Path:
        return self.folder / "primary"

    @property
    def standby_dir(self) -> Path:
        return self.folder / "standby"


def fleet_start(*, folder: Path, ports: FleetPorts, clusters: int, web_workers: int, scale: float,
                say: Callable[[str], None] = print) -> Fleet:
    """Start every part; on failure, stop what was started and raise FleetError."""
    fleet = Fleet(folder=folder.resolve())
    try:
        _start(fleet, ports=ports, clusters=clusters, web_workers=web_workers, scale=scale, say=say)
    except BaseException:
        fleet_stop(fleet, say=say)
        raise
    return fleet


def _start(fleet: Fleet, *, ports: FleetPorts, clusters: int, web_workers: int, scale: float,
           say: Callable[[str], None]) -> None:
    for port in (*ports.web, ports.pgbouncer, ports.redis):
        _port_free(port)
    fleet.folder.mkdir(parents=True, exist_ok=True)
    (fleet.folder / "logs").mkdir(exist_ok=True)
    fleet.primary_url = embedded_server_start(data_dir=fleet.primary_dir)
    fleet.parts.append(Part("primary", _socket_of(fleet.primary_url)))
    say(f"primary   {_socket_of(fleet.primary_url)}")
    redis_url = f"redis://127.0.0.1:{ports.redis}/0"
    _spawn(fleet, Part("redis", redis_url), [str(_required(REDIS_SERVER, "redis-server")), "--port",
                                             str(ports.redis), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no"])
    _wait_for_port(ports.redis, fleet, "redis")
    pooled_url = f"postgresql://postgres@127.0.0.1:{ports.pgbouncer}/enrichhub"
    fleet.env = _fleet_environment(fleet, pooled_url=pooled_url, redis_url=redis_url)
    say("preparing the database (migrations, demo data, admin, API key)…")
    _manage(fleet, "demo", "--prepare-only", "--scale", str(scale), log="prepare")
    _pooled_role_settings(fleet.primary_url)
    fleet.standby_url = embedded_standby_start(primary_data_dir=fleet.primary_dir, data_dir=fleet.standby_dir)
    fleet.parts.append(Part("standby", _socket_of(fleet.standby_url)))
    fleet.env["ENRICHHUB_REPLICA_DATABASE_URL"] = fleet.standby_url
    try:
        bouncer = pgbouncer_command(folder=fleet.folder / "pgbouncer", port=ports.pgbouncer,
                                    server={key: str(value) for key, value in
                                            psycopg.conninfo.conninfo_to_dict(fleet.primary_url).items()}, pool_size=20,
                                    owner_of=fleet.primary_dir)
    except PoolerMissing as exc:
        raise FleetError(str(exc)) from exc
    _spawn(fleet, Part("pgbouncer", pooled_url), bouncer)
    _wait_for_port(ports.pgbouncer, fleet, "pgbouncer")
    for number in range(1, clusters + 1):
        _spawn(fleet, Part(f"cluster {number}", "q2 on " + redis_url),
               [sys.executable, "manage.py", "qcluster"], log=f"cluster{number}")
    for number, port in enumerate(ports.web, start=1):
        _spawn(fleet, Part(f"web {number}", f"http://127.0.0.1:{port}"),
               [sys.executable, "-m", "gunicorn", "enrichhub.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", str(web_workers)], log=f"web{number}")
    for port in ports.web:
        _wait_for_port(port, fleet, f"web on {port}")
    _environment_file_write(fleet)


def _environment_file_write(fleet: Fleet) -> None:
    """fleet.env: `set -a; . var/fleet/fleet.env` points manage.py of a shell at the fleet."""
    lines = [f"{name}='{fleet.env[name]}'" for name in FLEET_VARIABLES if name in fleet.env]
    path = fleet.folder / "fleet.env"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # it holds the secret key


def fleet_stop(fleet: Fleet, *, say: Callable[[str], None] = print) -> None:
    """Web servers and clusters first (clusters finish their task), then the rest."""
    started = [part for part in fleet.parts if part.process is not None]
    for part in reversed(started):
        # The leader only: a second signal to qcluster's workers cuts its orderly stop short.
        assert part.process is not None
        part.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for part in reversed(started):
        assert part.process is not None
        try:
            part.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{part.name} did not stop within {STOP_GRACE_SECONDS} s; killed")
        _signal_group(part, signal.SIGKILL)
        part.process.wait()
    for data_dir in (fleet.standby_dir, fleet.primary_dir):
        try:
            embedded_server_stop(data_dir=data_dir)
        except DatabaseSetupError as exc:
            say(str(exc))


def fleet_watch(fleet: Fleet, *, say: Callable[[str], None] = print) -> None:
    """Until interrupted: say once when a part exits (the others keep serving)."""
    while True:
        for part in fleet.parts:
            if part.process is not None and not part.reported_exit and part.process.poll() is not None:
                part.reported_exit = True
                say(f"{part.name} exited with status {part.process.returncode}; the other parts keep running "
                    f"(log: {fleet.folder / 'logs'})")
        time.sleep(0.5)


def _fleet_environment(fleet: Fleet, *, pooled_url: str, redis_url: str) -> dict[str, str]:
    """What every process of the fleet is started with. The web tier reaches the primary through
    PgBouncer; everything else directly (enrichhub/database.py decides by process)."""
    secret_file = fleet.folder / "secret-key.txt"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
    env = {key: value for key, value in os.environ.items() if key not in FLEET_VARIABLES}
    return {**env, "DATABASE_URL": pooled_url, "ENRICHHUB_DIRECT_DATABASE_URL": fleet.primary_url,
            "ENRICHHUB_REDIS_URL": redis_url, "SECRET_KEY": secret_file.read_text().strip(),
            "ENRICHHUB_VAR_DIR": str(fleet.folder / "var"), "ENRICHHUB_ALLOW_WAREHOUSE_DDL": "1",
            "PYTHONUNBUFFERED": "1"}


def _pooled_role_settings(primary_url: str) -> None:
    """Behind the pooler no startup options reach the server: the role carries the search path
    (what `manage.py check --deploy` asks for)."""
    with psycopg.connect(primary_url, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE postgres IN DATABASE enrichhub SET search_path = {SEARCH_PATH}")


def _manage(fleet: Fleet, *command: str, log: str) -> None:
    log_path = fleet.folder / "logs" / f"{log}.log"
    with log_path.open("w") as out:
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=PROJECT_DIR, env=fleet.env,
                              stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if done.returncode:
        tail = log_path.read_text().strip().splitlines()[-5:]
        raise FleetError(f"manage.py {' '.join(command)} failed:\n  " + "\n  ".join(tail))


def _spawn(fleet: Fleet, part: Part, command: list[str], *, log: str | None = None) -> None:
    log_path = fleet.folder / "logs" / f"{log or part.name}.log"
    with log_path.open("w") as out:
        # A session of its own: the terminal's Ctrl-C reaches only the launcher, which stops
        # each part in order; a group signal reaches qcluster's workers too.
        part.process = subprocess.Popen(command, cwd=PROJECT_DIR, env=fleet.env or None, stdout=out,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    fleet.parts.append(part)


def _signal_group(part: Part, signum: int) -> None:
    assert part.process is not None
    try:
        os.killpg(part.process.pid, signum)
    except ProcessLookupError:
        pass


def _wait_for_port(port: int, fleet: Fleet, name: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            exited = [part for part in fleet.parts if part.process is not None and part.process.poll() is not None]
            if exited or time.monotonic() > deadline:
                what = f"{exited[0].name} exited" if exited else f"nothing listens on {port} yet"
                raise FleetError(f"{name} did not come up ({what}); see {fleet.folder / 'logs'}") from None
            time.sleep(0.2)


def _port_free(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise FleetError(f"port {port} is taken: stop what listens there, or choose other ports "
                             "(python -m enrichhub.fleet --help)") from None


def _required(path: Path, package: str) -> Path:
    if not path.exists():
        raise FleetError(f"{path} is missing: `apt-get install {package}` (make fleet does it)")
    return path


def _socket_of(url: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(url).get("host") or url)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m enrichhub.fleet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=PROJECT_DIR / "var" / "fleet",
                        help="where the servers keep their data and logs (default var/fleet)")
    parser.add_argument("--web-ports", default="8101,8102", help="one web server per port (default 8101,8102)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per web server")
    parser.add_argument("--clusters", type=int, default=2, help="q2 clusters (default 2)")
    parser.add_argument("--pgbouncer-port", type=int, default=6433)
    parser.add_argument("--redis-port", type=int, default=6380)
    parser.add_argument("--scale", type=float, default=1.0, help="demo data against the seed's counts; 0 for none")
    args = parser.parse_args(argv)
    try:
        web_ports = [int(port) for port in args.web_ports.split(",") if port.strip()]
    except ValueError:
        parser.error(f"--web-ports {args.web_ports!r} is not a comma-separated list of ports")
    ports = FleetPorts(web=web_ports, pgbouncer=args.pgbouncer_port, redis=args.redis_port)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        fleet = fleet_start(folder=args.folder, ports=ports, clusters=args.clusters, web_workers=args.web_workers,
                            scale=args.scale)
    except (FleetError, DatabaseSetupError) as exc:
        print(f"enrichhub fleet: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130  # fleet_start stopped what it had started
    print("\nenrichhub fleet is up:")
    for part in fleet.parts:
        print(f"  {part.name:<10} {part.address}")
    print(f"  admin: http://127.0.0.1:{web_ports[0]}/admin/ (password in {fleet.folder / 'var'}), "
          f"logs in {fleet.folder / 'logs'}")
    print(f"  manage.py on the fleet: set -a; . {fleet.folder / 'fleet.env'}; set +a")
    print("Ctrl-C stops them all.", flush=True)
    try:
        fleet_watch(fleet)
    except KeyboardInterrupt:
        pass
    # A second Ctrl-C must not cut the orderly stop short and leave servers behind.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"stopping the fleet (running tasks get up to {STOP_GRACE_SECONDS} s)…", flush=True)
    fleet_stop(fleet)
    print("fleet stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
