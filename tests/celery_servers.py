"""A real Redis and real Celery workers for the distributed (``ewoksjob``) tests.

A test module gets them with ``pytest_plugins = ("celery_servers",)``:

- ``redis_server``: a private ``redis-server`` on 127.0.0.1 and a free port (one per test
  session, nothing saved to disk), stopped at the end;
- ``celery_worker``: one ewoksjob worker (``celery -A ewoksjob.apps.ewoks worker``) per
  test module, on a queue of its own, configured to that Redis as broker and result
  backend through ewoksjob's configuration file (``EWOKS_CONFIG_URI``), with the
  repository and ``workflows/`` on its ``PYTHONPATH``; started, waited for (a ping it
  answers) and stopped at the end of the module;
- ``celery_worker_factory``: starts more workers (``factory(queue=...)``), for a test that
  kills one (:meth:`CeleryWorker.kill`); each is stopped at the end of the test.

scripts/setup.sh installs ``redis-server`` and the ``distributed`` extra together, so
(:func:`installation_problem`): one of them without the other is a broken setup and the
tests fail naming what is missing (``.ci/run`` runs setup.sh, and sets no ``CI``); with
neither (a checkout set up before the engine existed) they are skipped with the
reason, except under ``CI``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from control_servers import free_port

ROOT = Path(__file__).resolve().parents[1]
#: what a worker imports besides ewoksjob's tasks: the task of mxgui's ewoksjob engine
WORKER_INCLUDES = ("mxgui.core.workflow.ewoksjob_task",)
#: the worker's PYTHONPATH: the repository, its workflows and the tests' workflows
WORKER_PATHS = (ROOT, ROOT / "workflows", ROOT / "tests" / "data" / "workflows")
#: seconds a server or worker has to be ready
START_TIMEOUT = 60.0


#: the Python packages of the extra ``distributed`` the tests need
DISTRIBUTED_MODULES = ("celery", "ewoksjob", "ewoks", "redis")


def installation_problem(
    redis_server: str | None, missing_modules: list[str], ci: bool
) -> tuple[str, str]:
    """``("", "")`` when all is installed, else ``("skip" or "fail", reason)``: a part
    missing next to the other (setup.sh installs both) or anything missing under CI
    fails; nothing installed at all skips."""
    missing = [f"the Python package {name} (extra 'distributed')" for name in missing_modules]
    if redis_server is None:
        missing.insert(0, "redis-server (Debian package redis-server)")
    if not missing:
        return "", ""
    reason = f"not installed: {', '.join(missing)} (scripts/setup.sh installs them)"
    if ci:
        return "fail", f"{reason}: CI must have them"
    half_installed = redis_server is not None or len(missing_modules) < len(DISTRIBUTED_MODULES)
    if half_installed:
        return "fail", f"{reason}: setup.sh installs all of them, so its run was broken"
    return "skip", reason


def _missing_modules() -> list[str]:
    missing = []
    for module in DISTRIBUTED_MODULES:
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    return missing


class RedisServer:
    """``redis-server`` on ``127.0.0.1:port``, in memory only (no RDB, no AOF)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        """``redis://127.0.0.1:PORT/DB``."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = START_TIMEOUT) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed (scripts/setup.sh installs it)")
        log = open(self.directory / "redis.log", "wb")  # noqa: SIM115 (the server's)
        argv = [executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self._answers_ping():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server not ready in {timeout} s: {self.log_text()}")
            time.sleep(0.05)

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def log_text(self) -> str:
        return (self.directory / "redis.log").read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def client_app(redis: RedisServer) -> Any:
    """A Celery app (the client side) on ``redis`` as broker (db 0) and backend (db 1)."""
    from celery import Celery

    return Celery("mxgui-tests", broker=redis.url(0), backend=redis.url(1))


class CeleryWorker:
    """An ewoksjob worker process (prefork, ``concurrency`` pool processes) on queue
    ``queue``, loading ``includes`` besides ewoksjob's tasks.

    The worker runs in a process group of its own, so :meth:`kill` (SIGKILL to the
    group) takes its pool process too: a lost machine, as far as the GUI can tell.
    """

    def __init__(
        self,
        redis: RedisServer,
        directory: Path,
        queue: str,
        concurrency: int = 1,
        includes: tuple[str, ...] = WORKER_INCLUDES,
    ) -> None:
        self.redis = redis
        self.directory = directory
        self.queue = queue
        self.concurrency = concurrency
        self.includes = includes
        self.name = f"{queue}@127.0.0.1"
        self.config = directory / f"ewoks_config_{queue}.py"
        self.log_path = directory / f"worker_{queue}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        self.config.write_text(
            "# written by tests/celery_servers.py\n"
            f"broker_url = {self.redis.url(0)!r}\n"
            f"result_backend = {self.redis.url(1)!r}\n"
            "broker_connection_retry_on_startup = True\n"
        )
        paths = [str(path) for path in WORKER_PATHS]
        if os.environ.get("PYTHONPATH"):
            paths.append(os.environ["PYTHONPATH"])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(paths),
            "CELERY_LOADER": "ewoksjob.config.EwoksLoader",
            "EWOKS_CONFIG_URI": str(self.config),
        }
        argv = [sys.executable, "-m", "celery", "-A", "ewoksjob.apps.ewoks", "worker"]
        argv += ["-P", "prefork", "-c", str(self.concurrency), "-Q", self.queue, "-n", self.name]
        argv += ["--without-gossip", "--without-mingle", "-l", "INFO"]
        for module in self.includes:
            argv += ["-I", module]
        log = open(self.log_path, "wb")  # noqa: SIM115 (the worker's)
        self.process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.directory,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        app = client_app(self.redis)
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the Celery worker exited: {self.log_text()}")
                if app.control.ping(destination=[self.name], timeout=0.5):
                    return
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"Celery worker not ready in {timeout} s: {self.log_text()}")
        finally:
            app.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the worker and its pool process (no warm or cold shutdown)."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM (warm shutdown), SIGKILL to the group after 10 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._signal_group(signal.SIGKILL)  # pool processes left behind go too
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def _signal_group(self, sig: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass


def descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (children, their children...), from ``/proc``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # it has just gone
        parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        todo += children
    return found


def _require_distributed() -> None:
    """Skip or fail the test (:func:`installation_problem`) unless all is installed."""
    verdict, reason = installation_problem(
        shutil.which("redis-server"), _missing_modules(), bool(os.environ.get("CI"))
    )
    if verdict == "fail":
        pytest.fail(reason)
    if verdict == "skip":
        pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private Redis on 127.0.0.1 for this test session."""
    _require_distributed()
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def new_queue() -> str:
    """A queue name nobody else uses."""
    return f"mxgui-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def celery_worker(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """One worker for the test module, on a queue of its own."""
    worker = CeleryWorker(redis_server, tmp_path_factory.mktemp("celery"), new_queue())
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def celery_worker_factory(
    redis_server: RedisServer, tmp_path: Path
) -> Iterator[Callable[..., CeleryWorker]]:
    """``factory(queue=None, concurrency=1, includes=WORKER_INCLUDES)``: a started worker
    (on a new queue unless given; ``concurrency`` pool processes), stopped after the test."""
    workers: list[CeleryWorker] = []

    def start(
        queue: str | None = None,
        concurrency: int = 1,
        includes: tuple[str, ...] = WORKER_INCLUDES,
    ) -> CeleryWorker:
        worker = CeleryWorker(redis_server, tmp_path, queue or new_queue(), concurrency, includes)
        workers.append(worker)
        worker.start()
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
