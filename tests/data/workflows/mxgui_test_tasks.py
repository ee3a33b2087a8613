"""Tiny ewoks tasks for the workflow client's tests: wait, print, fail.

``workflow_parameters`` drive them: ``marker_dir`` (where ``started.json`` is written
with the process id, the inputs received and the process id of a child ``sleep``),
``seconds`` (how long to wait; waiting ends early when ``<marker_dir>/release``
appears), ``reason`` (what ``Fail`` raises), ``ignore_sigterm`` (the task ignores SIGTERM,
as a workflow stuck in C code would).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ewokscore import Task

COMMON_INPUTS = [
    "sample_node_id",
    "workflow_node_id",
    "tasks_parent_id",
    "sample_location",
    "directory",
    "prefix",
    "run_number",
    "shape_id",
    "workflow_parameters",
]


class Wait(Task, optional_input_names=COMMON_INPUTS, output_names=["waited"]):
    """Write ``started.json``, print a line, wait ``seconds`` or until released."""

    def run(self):
        params = self.get_input_value("workflow_parameters", None) or {}
        marker = params.get("marker_dir")
        child = None
        if params.get("ignore_sigterm"):
            import signal

            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if params.get("spawn_child"):
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        if marker:
            received = {name: self.get_input_value(name, None) for name in COMMON_INPUTS}
            info = {
                "pid": os.getpid(),
                "inputs": received,
                "child": child and child.pid,
                "url": os.environ.get("MXGUI_XMLRPC_URL"),
                "token": os.environ.get("MXGUI_XMLRPC_TOKEN"),
            }
            path = Path(marker) / "started.json"
            path.with_suffix(".tmp").write_text(json.dumps(info))
            path.with_suffix(".tmp").replace(path)
        print("a task printing on its standard output")
        deadline = time.monotonic() + float(params.get("seconds", 0))
        while time.monotonic() < deadline:
            if marker and (Path(marker) / "release").exists():
                break
            time.sleep(0.02)
        self.outputs.waited = True


class Fail(Task, optional_input_names=["waited", "workflow_parameters"]):
    """Raise ``RuntimeError(reason)``."""

    def run(self):
        params = self.get_input_value("workflow_parameters", None) or {}
        raise RuntimeError(params.get("reason", "the crystal is gone"))


class CallBack(Task, optional_input_names=COMMON_INPUTS, output_names=["status"]):
    """Over XML-RPC (with the Token header): give the workflow's node the parameter
    ``lims_id`` if there is one (``queue_set_workflow_lims_id``), add a collection under
    the sample, write ``<marker_dir>/nested.json`` (its process id and the collection's
    node id), execute it, write what came back to ``<marker_dir>/callback.json``, then
    ``workflow_end``."""

    def run(self):
        import xmlrpc.client

        token = os.environ.get("MXGUI_XMLRPC_TOKEN", "")

        class TokenTransport(xmlrpc.client.Transport):
            def send_headers(self, connection, headers):
                super().send_headers(connection, [*headers, ("Token", token)])

        params = self.get_input_value("workflow_parameters", None) or {}
        server = xmlrpc.client.ServerProxy(
            os.environ["MXGUI_XMLRPC_URL"], transport=TokenTransport(), allow_none=True
        )
        if "lims_id" in params:
            node = self.get_input_value("workflow_node_id", None)
            server.queue_set_workflow_lims_id(node, params["lims_id"])
        task = {"type": "DataCollection", "parameters": params.get("collection", {})}
        node_id = server.queue_add_child(self.get_input_value("sample_node_id", None), task)
        nested = Path(params["marker_dir"]) / "nested.json"
        nested.with_suffix(".tmp").write_text(json.dumps({"pid": os.getpid(), "node_id": node_id}))
        nested.with_suffix(".tmp").replace(nested)
        status = server.queue_execute_entry_with_id(node_id)
        node = server.queue_get_node(node_id)
        result = {"node_id": node_id, "status": status, "files": node.get("files", [])}
        (Path(params["marker_dir"]) / "callback.json").write_text(json.dumps(result))
        server.workflow_end()
        self.outputs.status = status
