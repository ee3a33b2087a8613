"""Tango and EPICS channels: connecting, a write seen back as an event, and a server
killed and restarted.

Starts the test servers of ``tests/control_servers.py`` on 127.0.0.1 (a pytango device
server process and a caproto IOC) and measures, through ``HardwareObject.get_channel``:

- ``channel_<system>_connect``: a new channel until it reports connected, in ms
  (median of 5);
- ``channel_<system>_write_taken``: ``write(v)`` until its Future ends (the server has
  taken the value: for EPICS a put with completion, after the PV's limits are read),
  in ms (median of 50);
- ``channel_<system>_write_to_event``: ``write(v)`` until the value comes back from the
  server as a change event / CA monitor update, in ms (median of 50);
- ``channel_<system>_fault_report``: the server killed (SIGKILL) until the channel
  reports disconnected, in s;
- ``channel_<system>_reconnect``: the server started again (once it serves) until the
  channel reports connected, in s.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
# benchmarks/queue.py would hide the standard library's queue module
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT / "tests"))  # the test servers and their helpers

from channel_helpers import Recorder, object_from_xml  # noqa: E402
from control_servers import CaIoc, TangoServer, epics_environment  # noqa: E402

from mxgui.core.channels import stop_control_loop  # noqa: E402

PREFIX = "MXGUIBENCH:"


def report(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target}))


def tango_xml(server: TangoServer) -> str:
    return f"""<object class="Motor">
  <tangoname>{server.device_trl}#dbase=no</tangoname>
  <channel type="tango" name="position">position</channel>
</object>
"""


def epics_xml() -> str:
    return f"""<object class="Detector">
  <channel type="epics" name="position">{PREFIX}m1</channel>
</object>
"""


def measure(system: str, xml: str, kill, start, directory: Path) -> None:  # noqa: ANN001
    connects = []
    for n in range(5):
        began = time.perf_counter()
        obj = object_from_xml(directory, xml, name=f"{system}{n}")
        Recorder(obj.get_channel("position")).connection(True, timeout=10)
        connects.append((time.perf_counter() - began) * 1000)
    report(f"channel_{system}_connect", statistics.median(connects), "ms", "<= 500")

    channel = object_from_xml(directory, xml, name=f"{system}_main").get_channel("position")
    recorder = Recorder(channel)
    recorder.connection(True, timeout=10)
    taken, round_trips = [], []
    for n in range(50):
        value = 1.0 + n / 100
        began = time.perf_counter()
        channel.write(value).result(5)
        taken.append((time.perf_counter() - began) * 1000)
        recorder.value_matching(value)
        round_trips.append((time.perf_counter() - began) * 1000)
    report(f"channel_{system}_write_taken", statistics.median(taken), "ms", "<= 20")
    report(f"channel_{system}_write_to_event", statistics.median(round_trips), "ms", "<= 20")

    kill()
    began = time.perf_counter()
    recorder.connection(False, timeout=30)
    report(f"channel_{system}_fault_report", time.perf_counter() - began, "s", "<= 3")
    start()
    began = time.perf_counter()
    recorder.connection(True, timeout=60)
    report(f"channel_{system}_reconnect", time.perf_counter() - began, "s", "<= 5")


def main() -> None:
    os.environ.update(epics_environment())  # before channel access is first used
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        tango = TangoServer()
        tango.start()
        try:
            measure("tango", tango_xml(tango), tango.kill, tango.start, directory)
        finally:
            tango.stop()
        ioc = CaIoc(PREFIX, {k: v for k, v in os.environ.items() if k.startswith("EPICS_")})
        ioc.start()
        try:
            measure("epics", epics_xml(), ioc.kill, ioc.start, directory)
        finally:
            ioc.stop()
    stop_control_loop()


if __name__ == "__main__":
    main()
