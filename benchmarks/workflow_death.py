"""A workflow killed (SIGKILL) while the collection it asked for runs nested in its
queue entry: how long until the queue knows (issue 11, item 10).

The simulated beamline (Qt-free, in a temporary data directory) runs a sample holding
a Workflow entry whose workflow is the ``CallBack`` test task
(``tests/data/workflows``): a real child process that adds a 3,000-image collection
under the sample over XML-RPC (token required) and executes it, nested. Once images
are on disk the workflow process gets SIGKILL. Timed from the kill:

- ``workflow_killed_nested_stopped``: the nested collection ended (stopped, FAILED
  saying why), median of N, s;
- ``workflow_killed_entry_failed``: the Workflow entry ended FAILED with the reason,
  median of N, s (``..._worst``: the slowest). Target (issue 11): <= 2 s.

Each round ends with the queue finished (not "running" for ever); a round where it
does not is an error. Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/xmlrpc.py would shadow the standard library's xmlrpc (the server's)
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIMULATED = ROOT / "HardwareRepository" / "simulated"
TEST_WORKFLOWS = ROOT / "tests" / "data" / "workflows"
COLLECTION = {
    "num_images": 3000,
    "osc_range": 1.0,
    "exp_time": 0.01,
    "detector_roi_mode": "test",
    "detector_distance": 120.0,
    "take_snapshots": 0,
}
WORKFLOW_XML = f"""<object class="workflow_client.WorkflowClient">
  <workflows_dir>{TEST_WORKFLOWS}</workflows_dir>
  <log_file>{{log}}</log_file>
  <kill_grace>1.0</kill_grace>
  <workflow><name>CallBack</name><graph>callback.json</graph></workflow>
</object>
"""


def emit(name: str, value: float, unit: str, target: str) -> None:
    """Print one figure as a JSON line (see docs/contracts.md)."""
    print(
        json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target}),
        flush=True,
    )


def overrides(base: Path) -> Path:
    """Files put before the simulated beamline: data below ``base``, quick shutters, the
    test workflow, a token on the server."""
    directory = base / "repo"
    directory.mkdir()
    (directory / "session.xml").write_text(
        '<object class="simulated.session.SimulatedSession">'
        f"<base_directory>{base / 'data'}</base_directory></object>"
    )
    for name, tag in (("safety_shutter", "delay"), ("diffractometer", "phase_change_time")):
        text = (SIMULATED / f"{name}.xml").read_text()
        (directory / f"{name}.xml").write_text(
            re.sub(rf"<{tag}>[^<]*</{tag}>", f"<{tag}>0.02</{tag}>", text)
        )
    (directory / "workflow.xml").write_text(WORKFLOW_XML.format(log=base / "wf.sqlite"))
    server = (SIMULATED / "xmlrpc_server.xml").read_text()
    (directory / "xmlrpc_server.xml").write_text(
        re.sub(r"<token>[^<]*</token>", "<token>auto</token>", server)
    )
    return directory


def one_round(queue, base: Path, index: int) -> tuple[float, float]:
    """Kill the workflow mid-collection once; seconds from the kill to the end of the
    nested collection and of the Workflow entry."""
    ended: dict[int, tuple[str, float]] = {}
    finished = threading.Event()

    def on_entry(node: int, status: str, _message: str) -> None:
        ended.setdefault(node, (status, time.monotonic()))

    def on_finished(_result: str) -> None:
        finished.set()

    queue.engine.connect("entryFinished", on_entry)
    queue.engine.connect("executionFinished", on_finished)
    try:
        sample = queue.add_sample(None)
        queue.model.update_parameters(sample, {"centring": "none"})
        marker = base / f"m{index}"
        marker.mkdir()
        params = {"marker_dir": str(marker), "collection": COLLECTION}
        workflow = queue.add_task(
            sample, "Workflow", {"workflow_name": "CallBack", "workflow_parameters": params}
        )
        queue.engine.run_all()
        nested_file = marker / "nested.json"
        deadline = time.monotonic() + 60
        while not nested_file.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the workflow did not ask for its collection")
            time.sleep(0.01)
        nested = json.loads(nested_file.read_text())
        node = queue.model.get_node(nested["node_id"])
        directory = Path(node.parameters["directory"])
        run = f"{node.parameters['prefix']}_{node.parameters['run_number']}_"
        while not any(directory.glob(run + "*.cbf")):
            if time.monotonic() > deadline:
                raise RuntimeError("the nested collection wrote no image")
            time.sleep(0.01)
        os.kill(nested["pid"], signal.SIGKILL)
        killed = time.monotonic()
        if not finished.wait(60):
            raise RuntimeError("the queue is still running 60 s after the kill")
        status, at = ended[workflow]
        stopped_status, stopped_at = ended[nested["node_id"]]
        if status != "failed" or stopped_status != "failed":
            raise RuntimeError(f"workflow {status}, nested collection {stopped_status}")
        return stopped_at - killed, at - killed
    finally:
        queue.engine.disconnect("entryFinished", on_entry)
        queue.engine.disconnect("executionFinished", on_finished)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from mxgui.core.repository import HardwareRepository

    with tempfile.TemporaryDirectory(prefix="mxgui-bench-") as tmp:
        base = Path(tmp)
        os.environ["MXGUI_DATA_DIR"] = str(base / "data")
        repository = HardwareRepository([overrides(base), SIMULATED])
        try:
            queue = repository.get("queue")
            repository.get("xmlrpc_server")  # the workflows call it back
            rounds = [one_round(queue, base, i) for i in range(args.rounds)]
        finally:
            repository.shutdown()
    stopped = [r[0] for r in rounds]
    failed = [r[1] for r in rounds]
    emit("workflow_killed_nested_stopped", statistics.median(stopped), "s", "<= 2.0")
    emit("workflow_killed_entry_failed", statistics.median(failed), "s", "<= 2.0")
    emit("workflow_killed_entry_failed_worst", max(failed), "s", "<= 2.0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
