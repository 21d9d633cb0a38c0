"""A PgBouncer in transaction mode in front of one server, for the tests, the benchmarks and a
fleet on one machine: Debian's package (1.18), configured in a folder of its own."""

import os
import pwd
import shutil
from pathlib import Path

PGBOUNCER = Path("/usr/sbin/pgbouncer")


class PoolerMissing(RuntimeError):
    pass


def pgbouncer_command(*, folder: Path, port: int, server: dict[str, str], pool_size: int, owner_of: Path) -> list[str]:
    """The command that runs a PgBouncer listening on 127.0.0.1:port for `server` (a libpq
    conninfo dict: host, port), any database name passed through, clients trusted. PgBouncer
    refuses to run as root: as root it runs as the owner of `owner_of` (the server's data
    folder, so that it can reach the server's socket)."""
    if not PGBOUNCER.exists():
        raise PoolerMissing("PgBouncer is not installed: `apt-get install pgbouncer` (make test does it)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users.txt").write_text('"postgres" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(f"""[databases]
* = host={server['host']} port={server.get('port') or 5432}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / 'users.txt'}
pool_mode = transaction
admin_users = postgres
default_pool_size = {pool_size}
max_client_conn = 200
logfile = {folder / 'pgbouncer.log'}
pidfile = {folder / 'pgbouncer.pid'}
""")
    folder.chmod(0o777)
    command = [str(PGBOUNCER), str(config)]
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", pwd.getpwuid(owner_of.stat().st_uid).pw_name, "--", *command]
