"""A private MariaDB server on 127.0.0.1: its own data directory, no systemd, no
``/etc/mysql`` settings. The tests' and the benchmarks' ISPyB database, and a site
engineer's sandbox.

    server = PrivateMariaDB(Path("/tmp/lims-db"))
    server.start()                 # installs the data directory the first time
    server.url("ispyb")            # mysql+pymysql://root@127.0.0.1:PORT/ispyb
    server.stop()                  # SIGTERM (a clean shutdown); SIGKILL to crash it
    server.start()                 # the same data directory and port, the data kept

Needs Debian's ``mariadb-server`` (``mariadb-install-db`` and ``mariadbd``), which
``scripts/setup.sh`` installs; it starts no system server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pymysql

from mxgui.demo_servers.server_process import end_process, wait_for_server


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _program(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
        if found:
            return found
    raise FileNotFoundError(
        f"{names[0]} not found: install MariaDB (apt-get install mariadb-server; "
        "scripts/setup.sh does it)"
    )


class PrivateMariaDB:
    """A ``mariadbd`` of its own in ``base`` (data, socket, log), on 127.0.0.1:``port``
    (0: a free one), root without a password. Not for production: it favours speed over
    durability (the log is flushed once a second)."""

    def __init__(self, base: Path, port: int = 0) -> None:
        self.base = base
        self.datadir = base / "data"
        self.socket = base / "mariadbd.sock"
        self.log_file = base / "error.log"
        self.port = port or free_tcp_port()
        self.process: subprocess.Popen[bytes] | None = None

    def _as_root(self) -> list[str]:
        # mariadbd refuses to run as root unless told to
        return ["--user=root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []

    def _install(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        command = [
            _program("mariadb-install-db", "mysql_install_db"),
            "--no-defaults",  # first, or /etc/mysql/my.cnf moves the socket to /run/mysqld
            f"--datadir={self.datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            *self._as_root(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"mariadb-install-db failed ({done.returncode}) in {self.datadir}:\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )

    def start(self, timeout: float = 30.0) -> None:
        """Start the server (installing its data directory the first time) and wait
        until it accepts connections; ``RuntimeError`` with its log if it exits."""
        if self.running:
            return
        if not (self.datadir / "mysql").is_dir():
            self._install()
        command = [
            _program("mariadbd", "mysqld"),
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--socket={self.socket}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={self.base / 'mariadbd.pid'}",
            f"--log-error={self.log_file}",
            f"--tmpdir={self.base}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=2",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            *self._as_root(),
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for_server(
                self.process,
                self._answers,
                timeout,
                f"mariadbd on port {self.port}",
                self._log_tail,
            )
        except (RuntimeError, TimeoutError):
            self.process = None
            raise

    def _answers(self) -> bool:
        try:
            self.connect().close()
        except pymysql.err.OperationalError:
            return False
        return True

    def _log_tail(self) -> str:
        if not self.log_file.exists():
            return ""
        return ":\n" + self.log_file.read_text(errors="replace")[-3000:]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """SIGTERM: a clean shutdown; SIGKILL: a crash (InnoDB recovers at the next start)."""
        process, self.process = self.process, None
        end_process(process, sig, timeout)

    def connect(self, database: str | None = None) -> pymysql.connections.Connection:
        """A PyMySQL connection as root (for set-up and checks)."""
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            password="",
            database=database,
            connect_timeout=2,
            autocommit=True,
        )

    def create_database(self, name: str) -> None:
        """``CREATE DATABASE name`` unless it exists."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
        finally:
            connection.close()

    def url(self, database: str = "") -> str:
        """The SQLAlchemy URL of ``database`` on this server, as root."""
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}"
