"""The EPICS demo IOC (``python -m mxgui.demo_servers.ca_ioc``) in a subprocess, for the
tests of the EPICS hardware objects, and a plain caproto client to look at its PVs from
the server's side.

Channel access in this process reads its settings once (the first EPICS channel), so
every test module uses the same ones: :func:`control_servers.epics_environment` gives
the same ports each time it is called in one process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from caproto import ChannelType
from caproto.sync import client
from control_servers import _kill, _wait_for_line, environment, epics_environment


class DemoIoc:
    """The demo IOC with its PVs under ``prefix`` (and ``bench`` benchmark PVs),
    restartable, and pausable (SIGSTOP, as an IOC that hangs)."""

    def __init__(self, prefix: str, env: dict[str, str], bench: int = 0) -> None:
        self.prefix = prefix
        self.env = env
        self.bench = bench
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "mxgui.demo_servers.ca_ioc", "--prefix", self.prefix]
            + ["--bench", str(self.bench)],
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_for_line(self._process, b"IOC READY", timeout, f"the demo IOC {self.prefix}")

    def kill(self) -> None:
        """Kill the IOC at once (SIGKILL), as a crash would."""
        self.resume()  # a stopped process dies only once it runs again
        _kill(self._process)
        self._process = None

    stop = kill

    def pause(self) -> None:
        """SIGSTOP: the IOC keeps its connections but answers nothing."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: it answers again."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    # from the server's side ---------------------------------------------------------
    def read(self, suffix: str) -> object:
        """The value of ``prefix + suffix`` read with a plain caproto client (a scalar,
        or text for a string or enum PV)."""
        reading = client.read(self.prefix + suffix, timeout=5)
        if reading.data_type == ChannelType.ENUM:  # its state's name, not its index
            reading = client.read(self.prefix + suffix, timeout=5, data_type=ChannelType.STRING)
        data = reading.data
        if len(data) == 1:
            value = data[0]
            return value.decode() if isinstance(value, bytes) else value.item()
        return data

    def write(self, suffix: str, value: object) -> None:
        """Write ``prefix + suffix`` with a plain caproto client."""
        client.write(self.prefix + suffix, value, notify=True, timeout=5)


@contextmanager
def ca_environment() -> Iterator[dict[str, str]]:
    """Channel access on loopback only, on this process's ports, for the duration."""
    env = epics_environment()
    with environment(env):
        yield env
