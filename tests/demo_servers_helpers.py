"""The controls-demo beamline's servers for the tests, on free loopback ports.

- :class:`Launcher`: ``mxgui-demo-servers`` (``python -m mxgui.demo_servers``) as a
  user starts it, with its ports chosen here, its output in a file.
- :class:`DemoTangoServer`: the Tango demo devices alone, killed and restarted on the
  same port (a crash, then the server back where its clients look for it).
- :func:`controls_demo_copy`: ``HardwareRepository/controls-demo`` copied with the Tango
  port the test's server listens on (the files name the launcher's default port); it
  goes before ``simulated/`` as the README's command has it.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import tango
from control_servers import environment, free_port, free_tcp_udp_port

from mxgui.core.channels import stop_control_loop
from mxgui.demo_servers.__main__ import TANGO_PORT
from mxgui.demo_servers.server_process import ServerProcess, loopback_epics_environment

from helpers import ROOT, SIMULATED, wait_for

CONTROLS_DEMO = ROOT / "HardwareRepository" / "controls-demo"
#: controls-demo's files on Tango: name -> (class, device)
TANGO_FILES = {
    "phi": ("TangoMotor", "demo/md/phi"),
    "phiy": ("TangoMotor", "demo/md/phiy"),
    "phiz": ("TangoMotor", "demo/md/phiz"),
    "sampx": ("TangoMotor", "demo/md/sampx"),
    "sampy": ("TangoMotor", "demo/md/sampy"),
    "fast_shutter": ("TangoShutter", "demo/shutter/fast"),
    "aperture": ("TangoNState", "demo/aperture/1"),
}
#: controls-demo's files on EPICS: name -> (class, PV prefix)
EPICS_FILES = {
    "detector_distance": ("EpicsMotor", "DEMO:DET:DIST"),
    "transmission": ("EpicsTransmission", "DEMO:ATT:TRANS"),
    "machine_info": ("EpicsMachineInfo", "DEMO:RING:"),
    "safety_shutter": ("EpicsShutter", "DEMO:SHUTTER:SAFETY"),
}


def controls_demo_copy(directory: Path, tango_port: int) -> list[Path]:
    """A copy of controls-demo naming ``tango_port``, and ``simulated/`` after it: the
    repository directories to give ``mxgui`` (``--repository`` each)."""
    shutil.copytree(CONTROLS_DEMO, directory)
    for path in directory.glob("*.xml"):
        text = path.read_text()
        path.write_text(text.replace(f"127.0.0.1:{TANGO_PORT}/", f"127.0.0.1:{tango_port}/"))
    return [directory, SIMULATED]


def start_pytango_pool() -> None:
    """Start every thread of pytango's process-wide pool (started on demand, kept for
    the process, not the app's to stop) so that the app's thread check (the
    ``make_app`` fixture) counts only the threads the app starts."""
    from tango.green import get_thread_pool_executor

    pool = get_thread_pool_executor()
    release = threading.Event()
    waiting = [pool.submit(release.wait, 10) for _ in range(pool._max_workers)]
    release.set()
    for future in waiting:
        future.result(10)


def tango_only(tmp_path: Path) -> Iterator[tuple[DemoTangoServer, list[Path]]]:
    """For a fixture: the Tango demo devices alone, and controls-demo's Tango files
    before simulated/ (for tests in this process: its EPICS objects stay simulated
    here, as Channel Access reads its settings once per process, and the EPICS channel
    tests of the session chose theirs). Request the fixture before ``make_app``; the
    test kills the server at its end (its output thread must end before the app's
    thread check)."""
    start_pytango_pool()
    server = DemoTangoServer()
    server.start()
    directory = tmp_path / "tango-demo"
    directory.mkdir()
    for name in TANGO_FILES:
        text = (CONTROLS_DEMO / f"{name}.xml").read_text()
        (directory / f"{name}.xml").write_text(
            text.replace(f"127.0.0.1:{TANGO_PORT}/", f"127.0.0.1:{server.port}/")
        )
    yield server, [directory, SIMULATED]
    server.kill()
    stop_control_loop()


def repository_args(directories: list[Path]) -> list[str]:
    """``--repository DIR`` for each directory, in order."""
    return [arg for directory in directories for arg in ("--repository", str(directory))]


def tango_device(port: int, name: str) -> tango.DeviceProxy:
    """A plain pytango client of a demo device, to check from the server's side."""
    return tango.DeviceProxy(f"tango://127.0.0.1:{port}/{name}#dbase=no")


def read_pv(name: str, env: dict[str, str]) -> object:
    """The value of PV ``name`` read with caproto's own client (not the channel layer
    under test): a scalar, or text for a string PV."""
    from caproto.sync.client import read

    with environment(env):
        data = read(name, repeater=False, timeout=5).data
    value = data[0]
    return value.decode() if isinstance(value, bytes) else value


class Launcher:
    """``mxgui-demo-servers`` on free ports; its output in ``log_path``."""

    def __init__(self, log_path: Path, extra: tuple[str, ...] = ()) -> None:
        self.tango_port = free_port()
        self.ca_port = free_tcp_udp_port()
        self.repeater_port = free_tcp_udp_port()
        while self.repeater_port == self.ca_port:
            self.repeater_port = free_tcp_udp_port()
        self.log_path = log_path
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def args(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "mxgui.demo_servers",
            "--tango-port",
            str(self.tango_port),
            "--ca-port",
            str(self.ca_port),
            "--ca-repeater-port",
            str(self.repeater_port),
            *self.extra,
        ]

    @property
    def epics_env(self) -> dict[str, str]:
        """The Channel Access settings of the launcher's IOC (for clients)."""
        return loopback_epics_environment(self.ca_port, self.repeater_port)

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def start(self, until: str = "demo servers up", timeout: float = 120.0) -> None:
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        process = self.process
        wait_for(
            lambda: process.poll() is not None or until in self.output(),
            f"the demo servers ({self.log_path})",
            timeout=timeout,
        )
        assert until in self.output(), self.output()

    def server_pids(self) -> dict[str, int]:
        """The pids of the launcher's servers, by module (``tango_devices``, ``ca_ioc``)."""
        assert self.process is not None
        found = {}
        for module in ("tango_devices", "ca_ioc"):
            pids = subprocess.run(
                ["pgrep", "-f", f"mxgui.demo_servers.{module} "],
                capture_output=True,
                text=True,
            ).stdout.split()
            for pid in pids:  # other tests' servers are not ours: ours name our ports
                try:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                except OSError:  # ended meanwhile
                    continue
                if str(self.tango_port).encode() in command or (
                    f"EPICS_CAS_SERVER_PORT={self.ca_port}".encode() in environ
                ):
                    found[module] = int(pid)
        return found

    def stop(self, how: signal.Signals = signal.SIGTERM) -> int:
        """``how`` to the launcher's process group (SIGINT: what Ctrl-C in its terminal
        sends), then the launcher's exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, how)
        return self.process.wait(60)

    def kill(self) -> None:
        """Kill the launcher's process group if it still runs (the end of a test)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class DemoTangoServer:
    """``python -m mxgui.demo_servers.tango_devices PORT`` alone, on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.out = io.StringIO()
        self._server: ServerProcess | None = None

    def start(self, timeout: float = 60.0) -> None:
        self._server = ServerProcess(
            "tango",
            ["mxgui.demo_servers.tango_devices", str(self.port)],
            "Ready to accept request",
            {**os.environ, "PYTHONUNBUFFERED": "1"},
            self.out,
        )
        self._server.start()
        problem = self._server.wait_ready(timeout)
        assert not problem, f"{problem}\n{self.out.getvalue()}"

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self._server is not None:
            self._server.kill()
            self._server = None

    def device(self, name: str) -> tango.DeviceProxy:
        return tango_device(self.port, name)
