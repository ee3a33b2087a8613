"""``mxgui-demo-servers``: the controls-demo beamline's Tango devices and EPICS IOC.

Starts ``python -m mxgui.demo_servers.tango_devices PORT`` (the goniometer motors, the
fast shutter and the aperture, without a Tango database) and ``python -m
mxgui.demo_servers.ca_ioc --prefix DEMO:`` (detector distance, transmission, machine
information, safety shutter) on 127.0.0.1, with a Channel Access repeater for the IOC
(``mxgui.demo_servers.ca_repeater``); waits until they are up, says what runs where,
and stops them all on Ctrl-C or SIGTERM, or as soon as one of them ends.

``--run CMD ...`` runs CMD once the servers are up, with the Channel Access settings
the IOC uses (loopback only, automatic lists off), and stops the servers when CMD
ends::

    mxgui-demo-servers --run mxgui --repository HardwareRepository/controls-demo \\
        --repository HardwareRepository/simulated
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
from types import FrameType
from typing import TextIO

from mxgui.demo_servers.ca_repeater import READY as REPEATER_READY
from mxgui.demo_servers.server_process import (
    ServerProcess,
    loopback_epics_environment,
    port_in_use,
)

TANGO_PORT = 18100
CA_SERVER_PORT = 15064
CA_REPEATER_PORT = 15065
PREFIX = "DEMO:"
#: the Tango devices the controls-demo files name (see mxgui.demo_servers.tango_devices)
TANGO_DEVICES = (
    "demo/md/phi",
    "demo/md/phiy",
    "demo/md/phiz",
    "demo/md/sampx",
    "demo/md/sampy",
    "demo/shutter/fast",
    "demo/aperture/1",
)
EPICS_NAMES = (
    "DET:DIST (motor record)",
    "ATT:TRANS",
    "RING:CURRENT",
    "RING:LIFETIME",
    "RING:FILLMODE",
    "RING:MESSAGE",
    "SHUTTER:SAFETY",
)
#: exit codes of the launcher itself (with --run it exits with CMD's code)
EXIT_USAGE = 2
EXIT_SERVER_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mxgui-demo-servers",
        description="Start the controls-demo beamline's Tango demo devices and EPICS demo "
        "IOC on 127.0.0.1 (stop them with Ctrl-C).",
    )
    parser.add_argument(
        "--tango-port",
        type=int,
        default=TANGO_PORT,
        metavar="N",
        help=f"TCP port of the Tango devices (default {TANGO_PORT}; the controls-demo "
        "files name it in their <tangoname>)",
    )
    parser.add_argument(
        "--ca-port",
        type=int,
        default=CA_SERVER_PORT,
        metavar="N",
        help=f"Channel Access server port, TCP and UDP (default {CA_SERVER_PORT})",
    )
    parser.add_argument(
        "--ca-repeater-port",
        type=int,
        default=CA_REPEATER_PORT,
        metavar="N",
        help=f"Channel Access repeater and beacon port, UDP (default {CA_REPEATER_PORT})",
    )
    parser.add_argument("--prefix", default=PREFIX, help=f"EPICS PV prefix (default {PREFIX})")
    parser.add_argument(
        "--bench",
        type=int,
        default=0,
        metavar="N",
        help="also serve N Tango motors and N PVs that change at 10 Hz (benchmarks)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds to wait for each server to be up (default 60)",
    )
    parser.add_argument(
        "--run",
        nargs=argparse.REMAINDER,
        metavar="CMD",
        help="run CMD (and its arguments: the rest of the line) once the servers are up, "
        "with their EPICS settings; stop the servers when it ends and exit with its code",
    )
    return parser


def port_problems(args: argparse.Namespace) -> list[str]:
    """Why the ports asked for cannot be used (out of range, the same twice, in use)."""
    wanted = {
        "--tango-port": (args.tango_port, (socket.SOCK_STREAM,), "the Tango devices"),
        "--ca-port": (
            args.ca_port,
            (socket.SOCK_STREAM, socket.SOCK_DGRAM),
            "the Channel Access server",
        ),
        "--ca-repeater-port": (
            args.ca_repeater_port,
            (socket.SOCK_DGRAM,),
            "the Channel Access repeater",
        ),
    }
    problems = []
    for option, (port, kinds, what) in wanted.items():
        if not 1 <= port <= 65535:
            problems.append(f"{option} {port}: a port is 1..65535")
        elif port_in_use(port, kinds):
            problems.append(
                f"port {port} on 127.0.0.1 ({what}) is in use: are the demo servers already "
                f"running? Stop them, or choose another port with {option}"
            )
    ports = [args.tango_port, args.ca_port, args.ca_repeater_port]
    if len(set(ports)) < len(ports):
        problems.append(f"the three ports must differ (got {', '.join(map(str, ports))})")
    return problems


def servers(args: argparse.Namespace, env: dict[str, str], out: TextIO) -> list[ServerProcess]:
    """The processes to start, in order (the IOC's beacons go to the repeater)."""
    tango_args = ["mxgui.demo_servers.tango_devices", str(args.tango_port)]
    ioc_args = ["mxgui.demo_servers.ca_ioc", "--prefix", args.prefix]
    if args.bench:
        tango_args += ["--bench", str(args.bench)]
        ioc_args += ["--bench", str(args.bench)]
    return [
        ServerProcess("repeater", ["mxgui.demo_servers.ca_repeater"], REPEATER_READY, env, out),
        ServerProcess("tango", tango_args, "Ready to accept request", env, out),
        ServerProcess("epics", ioc_args, "IOC READY", env, out),
    ]


def describe(args: argparse.Namespace, epics: dict[str, str], out: TextIO) -> None:
    """Say what runs where, and how another shell reaches the IOC."""
    base = f"tango://127.0.0.1:{args.tango_port}"
    print(f"Tango demo devices on 127.0.0.1:{args.tango_port} (no database):", file=out)
    for device in TANGO_DEVICES:
        print(f"  {base}/{device}#dbase=no", file=out)
    if args.bench:
        print(f"  and {args.bench} bench motors {base}/demo/bench/m01...", file=out)
    print(
        f"EPICS demo IOC on 127.0.0.1:{args.ca_port} (repeater {args.ca_repeater_port}):",
        file=out,
    )
    print("  " + ", ".join(args.prefix + name for name in EPICS_NAMES), file=out)
    print("Channel Access clients need (set for --run CMD):", file=out)
    print("  export " + " ".join(f"{k}={v}" for k, v in sorted(epics.items())), file=out)
    out.flush()


class Stop:
    """Set by SIGINT/SIGTERM (or a server that ends): the launcher's one wake-up."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.reason = f"signal {signal.Signals(signum).name} received"
        self.event.set()


def watch_servers(
    running: list[ServerProcess], stop: Stop, command: subprocess.Popen[bytes] | None, name: str
) -> int:
    """Wait for a stop signal, a server that ends or ``command`` ending; the exit code."""
    while not stop.event.wait(0.2):
        for server in running:
            code = server.exit_code()
            if code is not None:
                stop.reason = f"the {server.label} server ended with code {code}"
                return EXIT_SERVER_FAILED
        if command is not None and command.poll() is not None:
            stop.reason = f"{name} ended with code {command.returncode}"
            return command.returncode
    return 0


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Entry point of ``mxgui-demo-servers``."""
    args = build_parser().parse_args(argv)
    if args.run is not None and not args.run:
        print("mxgui-demo-servers: --run needs a command", file=sys.stderr)
        return EXIT_USAGE
    problems = port_problems(args)
    if problems:
        for problem in problems:
            print(f"mxgui-demo-servers: {problem}", file=sys.stderr)
        return EXIT_USAGE
    epics = loopback_epics_environment(args.ca_port, args.ca_repeater_port)
    env = {**os.environ, **epics, "PYTHONUNBUFFERED": "1"}
    stop = Stop()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    running = servers(args, env, out)
    command: subprocess.Popen[bytes] | None = None
    code = 0
    try:
        repeater, *device_servers = running
        for group in ([repeater], device_servers):
            for server in group:
                server.start()
            for server in group:
                problem = server.wait_ready(args.timeout, stop.event)
                if problem:
                    print(f"mxgui-demo-servers: {problem}; stopping", file=sys.stderr)
                    return EXIT_SERVER_FAILED
                if stop.event.is_set():
                    print(f"mxgui-demo-servers: {stop.reason}: stopping", file=out, flush=True)
                    return 0
        describe(args, epics, out)
        if args.run:
            print(f"running {' '.join(args.run)}", file=out, flush=True)
            try:
                command = subprocess.Popen(args.run, env={**os.environ, **epics})
            except OSError as exc:
                print(f"mxgui-demo-servers: cannot run {args.run[0]}: {exc}", file=sys.stderr)
                return EXIT_USAGE
        else:
            print("demo servers up: Ctrl-C stops them", file=out, flush=True)
        code = watch_servers(running, stop, command, args.run[0] if args.run else "")
        print(f"mxgui-demo-servers: {stop.reason}: stopping", file=out, flush=True)
    finally:
        if command is not None and command.poll() is None:
            command.terminate()  # a server died, or we were told to stop
            try:
                command.wait(30)
            except subprocess.TimeoutExpired:
                command.kill()
                command.wait()
        for server in reversed(running):
            server.stop()
        print("demo servers stopped", file=out, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
