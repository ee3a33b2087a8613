"""A Workflow entry on the simulated beamline whose workflow calls the real XML-RPC
server back (token required): it adds a collection under its sample and executes it
(nested in the waiting entry), then says workflow_end. Qt-free."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workflow_fixtures import CLIENT_XML, WORKFLOWS

from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, quick_collect_overrides

QUICK = {
    "num_images": 2,
    "osc_range": 1.0,
    "exp_time": 0.001,
    "detector_roi_mode": "test",
    "detector_distance": 120.0,
    "take_snapshots": 0,
}


def test_a_workflow_calls_back_and_its_collection_runs_nested(tmp_path):
    overrides = quick_collect_overrides(tmp_path)
    xml = CLIENT_XML.format(workflows=WORKFLOWS, log=tmp_path / "wf.sqlite", bes_url="")
    xml = xml.replace(
        "<workflow><name>Remote</name><engine>bes</engine></workflow>",
        "<workflow><name>CallBack</name><graph>callback.json</graph></workflow>",
    )
    (overrides / "workflow.xml").write_text(xml)
    server_xml = (SIMULATED / "xmlrpc_server.xml").read_text()
    (overrides / "xmlrpc_server.xml").write_text(
        re.sub(r"<token>[^<]*</token>", "<token>auto</token>", server_xml)
    )
    repository = HardwareRepository([overrides, SIMULATED])
    try:
        queue = repository.get("queue")
        server = repository.get("xmlrpc_server")
        assert server.token  # the workflow must send it
        done = []
        queue.engine.connect("executionFinished", done.append)
        sample = queue.add_sample(None)
        queue.model.update_parameters(sample, {"centring": "none"})
        marker = tmp_path / "m"
        marker.mkdir()
        params = {"marker_dir": str(marker), "collection": QUICK}
        task = queue.add_task(
            sample, "Workflow", {"workflow_name": "CallBack", "workflow_parameters": params}
        )
        assert queue.execute_entry(sample).result(timeout=120) == "success"
        result = json.loads((marker / "callback.json").read_text())
        assert result["status"] == "success"
        collection = queue.model.get_node(result["node_id"])
        assert collection.status == "success"
        assert queue.model.sample_of(collection.id) == sample
        images = [Path(f) for f in collection.files if f.endswith(".cbf")]
        assert len(images) == 2 and all(f.is_file() for f in images)
        node = queue.model.get_node(task)
        assert node.status == "success" and "workflow ended" in node.message
        assert done == ["success"]
    finally:
        repository.shutdown()
