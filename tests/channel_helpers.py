"""Helpers for the channel tests: a hardware object from a file written here, and
waiting for values and connection changes delivered in the control-system loop."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from mxgui.core.channels import Channel
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.xml_config import parse_file


def object_from_xml(tmp_path: Path, text: str, name: str = "device") -> HardwareObject:
    """A plain :class:`HardwareObject` configured from ``text`` (an mxcubecore-style
    file written to ``tmp_path``)."""
    path = tmp_path / f"{name}.xml"
    path.write_text(text)
    obj = HardwareObject(f"/{name}")
    obj.configure(parse_file(path))
    return obj


class Recorder:
    """Collects what a channel delivers (values and connection changes), in order."""

    def __init__(self, channel: Channel) -> None:
        self.values: queue.Queue[object] = queue.Queue()
        self.connections: queue.Queue[tuple[bool, str]] = queue.Queue()
        self.threads: set[str] = set()
        channel.on_connection(self._connection)
        channel.subscribe(self._value)

    def _value(self, value: object) -> None:
        self.threads.add(threading.current_thread().name)
        self.values.put(value)

    def _connection(self, connected: bool, reason: str) -> None:
        self.connections.put((connected, reason))

    def value_matching(self, wanted: object, timeout: float = 5.0) -> object:
        """Wait for a delivered value equal to ``wanted``; fail with what came."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.values.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append(value)
            if value == wanted:
                return value
        raise AssertionError(f"no value {wanted!r} delivered within {timeout} s; got {seen}")

    def connection(self, connected: bool, timeout: float) -> str:
        """Wait for a change to ``connected``; return its reason."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                state, reason = self.connections.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append((state, reason))
            if state is connected:
                return reason
        raise AssertionError(f"connected={connected} not reported within {timeout} s: {seen}")
