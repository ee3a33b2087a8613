"""One demo server in a subprocess: started, awaited until it says it is up, stopped.

Used by ``mxgui-demo-servers`` (:mod:`mxgui.demo_servers.__main__`); stdlib only, so
the launcher starts before pytango or caproto is imported anywhere.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO


def loopback_epics_environment(server_port: int, repeater_port: int) -> dict[str, str]:
    """Channel Access settings that keep clients and servers on 127.0.0.1: fixed
    ports and the automatic address lists off (so nothing on the network is found,
    and no other IOC on the machine answers for ``DEMO:`` names)."""
    return {
        "EPICS_CA_ADDR_LIST": "127.0.0.1",
        "EPICS_CA_AUTO_ADDR_LIST": "NO",
        "EPICS_CA_SERVER_PORT": str(server_port),
        "EPICS_CA_REPEATER_PORT": str(repeater_port),
        "EPICS_CAS_INTF_ADDR_LIST": "127.0.0.1",
        "EPICS_CAS_BEACON_ADDR_LIST": "127.0.0.1",
        "EPICS_CAS_BEACON_PORT": str(repeater_port),
        "EPICS_CAS_AUTO_BEACON_ADDR_LIST": "NO",
        "EPICS_CAS_SERVER_PORT": str(server_port),
    }


def end_process(process: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    """Send ``sig`` to ``process`` (if it still runs) and wait for it; killed after
    ``timeout`` s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_server(
    process: subprocess.Popen[bytes],
    answers: Callable[[], bool],
    timeout: float,
    what: str,
    exit_detail: Callable[[], str] = lambda: "",
) -> None:
    """Poll ``answers()`` every 50 ms until it is true. ``RuntimeError`` naming ``what``
    (and ``exit_detail()``) if ``process`` exits first; ``TimeoutError`` after
    ``timeout`` s, the process killed."""
    deadline = time.monotonic() + timeout
    while not answers():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}{exit_detail()}")
        if time.monotonic() > deadline:
            end_process(process, signal.SIGKILL, 10.0)
            raise TimeoutError(f"{what} not ready after {timeout} s")
        time.sleep(0.05)


def port_in_use(port: int, kinds: Sequence[int] = (socket.SOCK_STREAM,)) -> bool:
    """Whether ``port`` on 127.0.0.1 cannot be bound for one of ``kinds`` (TCP, UDP)."""
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as sock:
            if kind == socket.SOCK_STREAM:
                # as a server binds it: a port left in TIME_WAIT by a stopped server is free
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return True
    return False


class ServerProcess:
    """A demo server (``python -m MODULE ARGS``) whose output is copied to ``out``,
    each line prefixed with the server's label, and which is up once it prints
    ``ready_marker``."""

    def __init__(
        self,
        label: str,
        args: Sequence[str],
        ready_marker: str,
        env: dict[str, str],
        out: TextIO,
    ) -> None:
        self.label = label
        self.args = [sys.executable, "-m", *args]
        self.ready_marker = ready_marker
        self.env = env
        self.out = out
        self.ready = threading.Event()
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._write_lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the process (returns at once; :meth:`wait_ready` waits for it)."""
        self._process = subprocess.Popen(
            self.args,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            # its own process group: a Ctrl-C in the terminal reaches the launcher, which
            # then stops the servers in order (and says so) instead of them dying first
            start_new_session=True,
        )
        self._reader = threading.Thread(
            target=self._copy_output, name=f"{self.label} output", daemon=True
        )
        self._reader.start()

    def _copy_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        shown = True
        # read to the end whatever happens to ``out``: a pipe nobody drains would block
        # the server on its next print
        for line in self._process.stdout:
            if self.ready_marker in line:
                self.ready.set()
            if not shown:
                continue
            with self._write_lock:
                try:
                    self.out.write(f"[{self.label}] {line.rstrip()}\n")
                    self.out.flush()
                except (OSError, ValueError):  # our output closed (e.g. `| head`)
                    shown = False

    def exit_code(self) -> int | None:
        """The process's exit code, or None while it runs (or before it started)."""
        return self._process.poll() if self._process else None

    def wait_ready(self, timeout: float, cancel: threading.Event | None = None) -> str:
        """Wait until the server is up; an empty text then, else why it is not (it
        ended, with its code, or did not say it was up within ``timeout`` s). Returns
        early, with an empty text, once ``cancel`` is set."""
        step = 0.1
        waited = 0.0
        while not self.ready.wait(step):
            if cancel is not None and cancel.is_set():
                return ""
            code = self.exit_code()
            if code is not None:
                return f"{self.label} ended with code {code} before it was up (its output is above)"
            waited += step
            if waited >= timeout:
                return f"{self.label} did not print {self.ready_marker!r} within {timeout:g} s"
        return ""

    def kill(self) -> None:
        """SIGKILL at once, as a crash would; waits for the end."""
        self.stop(grace=0.0)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds (at once with 0); waits for the
        end."""
        process = self._process
        if process is not None and process.poll() is None:
            if grace > 0:
                _signal_group(process.pid, signal.SIGTERM)
                try:
                    process.wait(grace)
                except subprocess.TimeoutExpired:
                    pass
            if process.poll() is None:
                _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        self._close_output()

    def _close_output(self) -> None:
        """Let the copying thread read what is left (the process has ended), then close
        the pipe; a pipe still held open (by a child of the server) is left to it."""
        if self._reader is not None:
            self._reader.join(2.0)
            if self._reader.is_alive():
                return
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the process group ``pid`` leads; nothing if it has ended."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
