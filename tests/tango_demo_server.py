"""The controls-demo Tango devices (``python -m mxgui.demo_servers.tango_devices PORT``)
in a subprocess on a free loopback port, for the tests: restartable on the same port
(a killed server comes back where the clients look for it), and able to hang
(SIGSTOP) and wake up (SIGCONT) as a stuck server would."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import tango
from control_servers import _kill, _wait_for_line, free_port

ROOT = Path(__file__).resolve().parents[1]


class DemoTangoServer:
    """The demo device server; ``trl("demo/md/phi")`` is a device's address as an
    mxcubecore file gives it in ``<tangoname>``."""

    def __init__(self, bench: int = 0) -> None:
        self.port = free_port()
        self.bench = bench
        self._process: subprocess.Popen[bytes] | None = None
        # the server's temporary file database goes here: a killed server cannot
        # remove it, stop() does
        self._tmp = Path(tempfile.mkdtemp(prefix="mxgui-tango-test-"))

    def trl(self, device: str) -> str:
        return f"tango://127.0.0.1:{self.port}/{device}#dbase=no"

    def start(self, timeout: float = 30.0) -> None:
        command = [sys.executable, "-m", "mxgui.demo_servers.tango_devices", str(self.port)]
        if self.bench:
            command += ["--bench", str(self.bench)]
        self._process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "TMPDIR": str(self._tmp)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_for_line(self._process, b"Ready to accept request", timeout, "the demo Tango server")

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        _kill(self._process)
        self._process = None

    def hang(self) -> None:
        """Freeze the server (SIGSTOP): it holds its connections and answers nothing."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def wake(self) -> None:
        """Let a frozen server run again (SIGCONT)."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server and remove what it left in its temporary directory."""
        if self._process is not None:
            self.wake()
        self.kill()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def proxy(self, device: str) -> tango.DeviceProxy:
        """A plain pytango client, to check on the server's side."""
        return tango.DeviceProxy(self.trl(device))
