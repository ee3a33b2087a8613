"""XML-RPC under load: 50 clients x 200 calls while 1,000 idle connections are held.

mxgui's default layout runs on the simulated beamline in this process (the Qt platform
of the environment: ``QT_QPA_PLATFORM=offscreen`` or ``xvfb-run``). A second process
(this script with ``--clients``), as an outside workflow engine would be:

- opens ``--idle`` connections that never send a byte and keeps them open, opening a
  new one each second for each the server closed (the server keeps at most
  ``max_connections`` and closes the oldest idle ones);
- then runs ``--clients-count`` clients (threads spread over ``--processes`` processes,
  as separate workflow engines), each with its own kept-alive ``xmlrpc.client``
  connection and the token from the token file, making ``--calls`` calls of
  ``get_diffractometer_positions`` back to back.

Figures: errors (any exception or HTTP error a client saw), call time p99 and median,
GUI event latency p99 during the load (a thread posts an event every 5 ms), and the
GUI process's threads and resident memory before the load and after it (once the idle
worker threads have ended), which must come back within 10 %.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/xmlrpc_load.py``.
Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/xmlrpc.py must not hide the standard library's xmlrpc: import it first
if sys.path and Path(sys.path[0] or ".").resolve() == HERE:
    sys.path.pop(0)

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import xmlrpc.client  # noqa: E402

ROOT = HERE.parent


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target}))


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


# the client process -------------------------------------------------------------------------
def hold(port: int, connections: list[socket.socket], stop: threading.Event) -> None:
    """Keep ``connections`` open; replace each the server closed."""
    from mxgui.core.xmlrpc.caller import caller_gone as gone  # polls, never blocks

    while not stop.wait(1.0):  # an attacker that reconnects within a second
        for i, connection in enumerate(connections):
            if gone(connection):
                connection.close()
                try:
                    connections[i] = socket.create_connection(("127.0.0.1", port), timeout=5)
                except OSError:
                    pass  # backlog full for a moment: next round


def call_batch(url: str, token: str, clients: int, calls: int) -> dict:
    """``clients`` threads of this process, each calling ``calls`` times back to back."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        proxy = xmlrpc.client.ServerProxy(url, headers=[("Token", token)])
        mine: list[float] = []
        start.wait()
        for _ in range(calls):
            began = time.perf_counter()
            try:
                proxy.get_diffractometer_positions()
                mine.append((time.perf_counter() - began) * 1000.0)
            except (OSError, xmlrpc.client.Error) as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
        proxy("close")()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"times": times, "errors": errors}


def run_clients(url: str, token: str, args: argparse.Namespace) -> dict:
    """The idle connections held here; the callers in ``args.processes`` processes (as
    separate workflow engines: their own interpreters, so one client's lock does not
    slow the others)."""
    import multiprocessing

    from mxgui.core.xmlrpc.caller import caller_gone as gone

    processes = max(1, min(args.processes, args.clients_count))
    share = [args.clients_count // processes] * processes
    share[0] += args.clients_count - sum(share)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        port = int(url.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(args.idle)]
        stop = threading.Event()
        holder = threading.Thread(target=hold, args=(port, idle, stop), daemon=True)
        holder.start()
        began = time.perf_counter()
        batches = pool.starmap(call_batch, [(url, token, n, args.calls) for n in share])
        elapsed = time.perf_counter() - began
        stop.set()
        holder.join()
    still_open = sum(not gone(c) for c in idle)
    for connection in idle:
        connection.close()
    return {
        "times": [t for batch in batches for t in batch["times"]],
        "errors": [e for batch in batches for e in batch["errors"]],
        "seconds": elapsed,
        "idle_open_at_end": still_open,
    }


def send_big(url: str, token: str, bodies: int, size: int) -> dict:
    """``bodies`` requests of ``size`` bytes at once (one shared body, an unknown method:
    the server reads and parses each, then answers a fault); the HTTP statuses."""
    import http.client

    port = int(url.rsplit(":", 1)[1])
    body = xmlrpc.client.dumps(("x" * (size - 200),), "no_such_method").encode()
    statuses: list[int] = []

    def post() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Content-Type": "text/xml", "Token": token}
        connection.request("POST", "/", body, headers)
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": statuses}


# the GUI process ----------------------------------------------------------------------------
def run_client_process(args: list[str], peaks: dict[str, float]) -> dict:
    """This script with ``args`` in a child process, the Qt loop running meanwhile; its
    JSON result. ``peaks`` ("rss" MB, "threads") rise to the highest seen meanwhile."""
    from camera import run_for

    process = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    output: list[str] = []  # read meanwhile: the result is larger than a pipe holds
    reader = threading.Thread(target=lambda: output.append(process.stdout.read()))
    reader.start()
    while process.poll() is None:
        run_for(0.05)
        peaks["rss"] = max(peaks["rss"], rss_mb())
        peaks["threads"] = max(peaks["threads"], threading.active_count())
    reader.join()
    return json.loads(output[0])


def measure(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    from camera import LatencyProbe, run_for
    from PyQt5.QtWidgets import QApplication

    from mxgui.core.xmlrpc.transport import WORKER_IDLE
    from mxgui.gui.application import MxguiApplication

    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as directory:
        os.environ["MXGUI_DATA_DIR"] = str(Path(directory) / "data")
        os.environ["MXGUI_SETTINGS_DIR"] = str(Path(directory) / "settings")
        os.environ.pop("MXGUI_XMLRPC_PORT", None)
        app = MxguiApplication(
            [ROOT / "HardwareRepository" / "simulated"], ROOT / "layouts" / "default.yml"
        )
        window = app.start()
        try:
            window.show()
            run_for(2.0)
            server = app.repository.beamline.role("xmlrpc_server")
            gc.collect()
            threads_before, rss_before = threading.active_count(), rss_mb()
            probe = LatencyProbe()
            probe.start()
            peaks = {"rss": rss_before, "threads": threads_before}
            result = run_client_process(
                [
                    "--clients",
                    server.url,
                    str(server.token_file),
                    "--idle",
                    str(args.idle),
                    "--calls",
                    str(args.calls),
                    "--clients-count",
                    str(args.clients_count),
                    "--processes",
                    str(args.processes),
                ],
                peaks,
            )
            probe.stop()
            run_for(WORKER_IDLE + 1.5)  # idle workers end
            gc.collect()
            threads_after, rss_after = threading.active_count(), rss_mb()
            big_peaks = {"rss": rss_after, "threads": threads_after}
            big = run_client_process(
                ["--big", server.url, str(server.token_file), "--bodies", str(args.bodies)],
                big_peaks,
            )
        finally:
            for each in app.windows:
                each.close()
            app.stop()
    del qt_app
    times = result["times"]
    emit("xmlrpc_load_errors", float(len(result["errors"])), "errors", "<= 0")
    emit("xmlrpc_load_call_p99", p99(times), "ms", "<= 50")
    emit("xmlrpc_load_call_median", statistics.median(times), "ms", "<= 50")
    emit("xmlrpc_load_calls_per_second", len(times) / result["seconds"], "calls/s", ">= 500")
    emit(
        "xmlrpc_load_idle_connections_server_kept",
        float(result["idle_open_at_end"]),
        "connections",
        "<= 256",
    )
    emit("xmlrpc_load_gui_latency_p99", p99([d * 1000.0 for d in probe.delays]), "ms", "<= 50")
    emit("xmlrpc_load_threads_before", float(threads_before), "threads", f"<= {threads_before}")
    emit("xmlrpc_load_threads_peak", peaks["threads"], "threads", f"<= {threads_before + 17}")
    emit(
        "xmlrpc_load_threads_after",
        float(threads_after),
        "threads",
        f"<= {threads_before * 1.1:.1f}",
    )
    emit("xmlrpc_load_rss_before", rss_before, "MB", "<= 250")
    emit("xmlrpc_load_rss_after", rss_after, "MB", f"<= {rss_before * 1.1:.1f}")
    emit(
        f"xmlrpc_{args.bodies}_bodies_of_63_mb_at_once_rss_rise",
        big_peaks["rss"] - rss_after,
        "MB",
        "<= 400",
    )
    emit(
        f"xmlrpc_{args.bodies}_bodies_of_63_mb_answered",
        float(big["statuses"].count(200)),
        "requests",
        f">= {args.bodies}",
    )
    if result["errors"]:
        print(json.dumps({"first_errors": result["errors"][:5]}), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=1000, help="idle connections held")
    parser.add_argument("--clients-count", type=int, default=50, help="clients calling at once")
    parser.add_argument("--calls", type=int, default=200, help="calls per client")
    parser.add_argument("--processes", type=int, default=5, help="client processes")
    parser.add_argument("--bodies", type=int, default=6, help="63 MB requests sent at once")
    parser.add_argument("--clients", nargs=2, metavar=("URL", "TOKEN_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--big", nargs=2, metavar=("URL", "TOKEN_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.clients:
        url, token_file = args.clients
        token = Path(token_file).read_text().strip()
        result = run_clients(url, token, args)
        print(json.dumps(result))
        return
    if args.big:
        url, token_file = args.big
        token = Path(token_file).read_text().strip()
        print(json.dumps(send_big(url, token, args.bodies, 63 * 1024 * 1024)))
        return
    measure(args)


if __name__ == "__main__":
    main()
