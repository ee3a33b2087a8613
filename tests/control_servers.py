"""Real control-system servers for the channel tests, on free loopback ports.

- :class:`TangoServer`: a pytango device server (``tests/tango_device.py``) without a
  Tango database in a subprocess, restartable on the same port (a killed server comes
  back where the clients look for it).
- :class:`CaIoc`: a caproto IOC (``tests/ca_ioc.py``) in a subprocess. The EPICS
  address lists are set to 127.0.0.1 with the automatic lists off, on ports picked
  for this test session (:func:`epics_environment`); channel access reads them once
  per process, so they are set before the first EPICS channel is made.
"""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tango

from mxgui.demo_servers.server_process import loopback_epics_environment

HERE = Path(__file__).resolve().parent


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody listens on now (TCP by default) on 127.0.0.1."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_tcp_udp_port() -> int:
    """A port free for both TCP and UDP (channel access serves on both)."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no port free for both TCP and UDP on 127.0.0.1")


class TangoServer:
    """``tests/tango_device.py`` (a :class:`SimMotorDevice`) served without a Tango
    database on ``127.0.0.1:port`` as ``test/nodb/simmotor``, in a subprocess.

    A subprocess rather than ``DeviceTestContext(process=True)``: that context forks,
    and a fork made after this process has used pytango as a client (any earlier
    test) inherits the client's ORB and ignores the port asked for, so a killed server
    could not come back where its clients look for it.
    """

    DEVICE = "test/nodb/simmotor"

    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def device_trl(self) -> str:
        """The device's address (append ``/attr#dbase=no`` for an attribute)."""
        return f"tango://127.0.0.1:{self.port}/{self.DEVICE}"

    def attribute_trl(self, attribute: str) -> str:
        return f"{self.device_trl}/{attribute}#dbase=no"

    def start(self, timeout: float = 30.0) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(HERE / "tango_device.py"), str(self.port), self.DEVICE],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_for_line(self._process, b"Ready to accept request", timeout, "the Tango server")

    def kill(self) -> None:
        """Kill the server process at once (SIGKILL), as a crash would."""
        _kill(self._process)
        self._process = None

    stop = kill

    def proxy(self) -> tango.DeviceProxy:
        """A plain pytango client, to check from the server's side."""
        return tango.DeviceProxy(f"{self.device_trl}#dbase=no")


def _wait_for_line(
    process: subprocess.Popen[bytes], marker: bytes, timeout: float, what: str
) -> None:
    assert process.stdout is not None
    stdout = process.stdout
    found = threading.Event()

    def read() -> None:
        for line in iter(stdout.readline, b""):
            if marker in line:
                found.set()
        # keep draining until the process ends so it never blocks on a full pipe

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(timeout):
        _kill(process)
        raise RuntimeError(f"{what} did not start within {timeout} s")


def _kill(process: subprocess.Popen[bytes] | None) -> None:
    if process is None:
        return
    process.kill()
    process.wait(10)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` for the block, as before afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@functools.cache
def epics_environment() -> dict[str, str]:
    """Channel-access settings for this process and its IOCs: loopback only, ports
    picked at the first call (so tests never meet another IOC on the machine). The same
    each time in one process: channel access reads them once, when first used, so every
    test module's IOCs must serve where the first module's did (do not change the dict)."""
    return loopback_epics_environment(free_tcp_udp_port(), free_tcp_udp_port())


class CaIoc:
    """``tests/ca_ioc.py`` in a subprocess with PVs under ``prefix``."""

    def __init__(self, prefix: str, env: dict[str, str]) -> None:
        self.prefix = prefix
        self.env = env
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        env = {**os.environ, **self.env}
        self._process = subprocess.Popen(
            [sys.executable, str(HERE / "ca_ioc.py"), self.prefix],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _wait_for_line(self._process, b"IOC READY", timeout, f"the caproto IOC {self.prefix}")

    def kill(self) -> None:
        """Kill the IOC process at once (SIGKILL)."""
        _kill(self._process)
        self._process = None

    stop = kill
