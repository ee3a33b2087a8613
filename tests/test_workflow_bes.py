"""Issue 16, deliverable 3: the BES engine as mxcubecore speaks it, against a protocol
double that offers only RUN and ABORT (``bes_double.py``, a real HTTP server on
127.0.0.1), with the real XML-RPC server and queue of the simulated beamline.

A BES workflow from the queue ends by ``workflow_end`` (the double calls the GUI back
with the run's own token, which the server accepts only while the run lasts); a queue
stop sends ABORT; a BES that answers RUN with 500, or a workflow that never calls back
within ``bes_timeout``, fails the entry with the reason (ABORT sent once a request id
exists); STATUS is asked once and polled only where offered; the XML is read in
mxcubecore's form (``bes_host``, ``bes_port``, ``<title>``/``<path>``)."""

from __future__ import annotations

import http.client
import logging
import threading
import time
import xmlrpc.client
from concurrent.futures import Future
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bes_double import BesDouble
from xmlrpc_fixtures import client

from mxgui.core.errors import HardwareObjectError, Refused
from mxgui.core.repository import HardwareRepository
from mxgui.core.workflow.bes import CallBack, Origin, run_body
from mxgui.core.xmlrpc.run_tokens import MAX_TOKENS, MIN_TOKEN_LENGTH, RunCalls, RunTokens

from helpers import SIMULATED, quick_collect_overrides, wait_for

#: the workflow client in mxcubecore's form (ednaparams.xml): the BES server by host and
#: port, each workflow a title and a path
BES_XML = """<object class="workflow_client.WorkflowClient">
  <log_file>{log}</log_file>
  <bes_lost_after>1.0</bes_lost_after>
  <bes_host>{host}</bes_host>
  <bes_port>{port}</bes_port>
  <bes_timeout>{timeout}</bes_timeout>
  <bes_poll_period>0.05</bes_poll_period>
  <endstation_name>ID-SIM</endstation_name>
  <object href="/session" role="session"/>
  <workflow>
    <title>BES demo</title>
    <path>/models/BesDemo.moml</path>
    <requires>sample</requires>
  </workflow>
</object>
"""


def bes_beamline(
    tmp_path: Path,
    double: BesDouble,
    timeout: float = 60.0,
    request_timeout: float = 10.0,
    extra: str = "",
) -> HardwareRepository:
    """The simulated beamline whose workflow client asks ``double`` (RUN given as long
    as any other request: ``request_timeout``; ``extra``: more of the client's XML)."""
    site = tmp_path / "bes-site"
    site.mkdir()
    text = BES_XML.format(
        log=tmp_path / "workflows.sqlite", host=double.host, port=double.port, timeout=timeout
    )
    line = (
        f"<bes_request_timeout>{request_timeout}</bes_request_timeout>"
        f"<bes_run_timeout>{request_timeout}</bes_run_timeout>{extra}"
    )
    (site / "workflow.xml").write_text(text.replace("<bes_timeout>", f"{line}\n  <bes_timeout>"))
    return HardwareRepository([site, quick_collect_overrides(tmp_path), SIMULATED])


@pytest.fixture
def bes(tmp_path):
    """``bes(timeout=60.0, request_timeout=10.0, **double_options)``: a double and the
    beamline asking it."""
    made: list[tuple[BesDouble, HardwareRepository]] = []

    def make(
        timeout: float = 60.0, request_timeout: float = 10.0, **options
    ) -> tuple[BesDouble, HardwareRepository]:
        double = BesDouble(**options)
        made.append((double, bes_beamline(tmp_path, double, timeout, request_timeout)))
        return made[-1]

    yield make
    for double, repo in made:
        repo.shutdown()
        double.close()


def start_workflow(beamline) -> tuple[int, threading.Event]:
    """Queue a manually mounted sample (no centring) with the BES workflow and run the
    queue: the workflow node and an event set when the queue has finished."""
    queue = beamline.beamline.role("queue")
    server = beamline.beamline.role("xmlrpc_server")
    done = threading.Event()
    queue.engine.connect("executionFinished", lambda _status: done.set())
    with client(server.url) as proxy:
        sample = proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        node = queue.add_task(sample, "Workflow", {"workflow_name": "BesDemo"})
        assert proxy.start_queue() is True
    return node, done


def run_workflow(beamline, timeout: float = 60.0, stop_when=None) -> dict:
    """:func:`start_workflow`, stopped once ``stop_when()`` holds (if given); the
    workflow node as ``queue_get_node`` answers it once the queue has finished."""
    node, done = start_workflow(beamline)
    if stop_when is not None:
        wait_for(stop_when, "the workflow running at the BES", timeout)
        beamline.beamline.role("queue").engine.stop()
    assert done.wait(timeout), "the queue did not finish"
    with client(beamline.beamline.role("xmlrpc_server").url) as proxy:
        return proxy.queue_get_node(node)


def test_a_bes_workflow_from_the_queue_ends_by_workflow_end(bes):
    double, beamline = bes()
    server = beamline.beamline.role("xmlrpc_server")
    node = run_workflow(beamline)
    assert node["status"] == "success", node["message"]
    # the workflow called back with its own token: accepted, in order (the answer to
    # workflow_end may reach the double after the queue has finished)
    assert double.played.wait(10)
    assert double.calls == [("log_message", True), ("workflow_end", True)]
    # RUN, then STATUS at most once (404: not offered; none if workflow_end came first)
    assert double.paths() in (["POST /RUN/BesDemo"], ["POST /RUN/BesDemo", "GET /STATUS/bes-1"])
    assert double.aborted == []
    run = beamline.beamline.role("workflow").log.runs()[0]
    assert (run.name, run.status) == ("BesDemo", "success")
    # the run's token is revoked at its end; the server's own token still works
    token = double.run_body()["token"]
    with client(server.url, token) as late:
        with pytest.raises(xmlrpc.client.ProtocolError) as refused:
            late.log_message("too late")
    assert refused.value.errcode == 403
    with client(server.url) as proxy:
        assert proxy.log_message("the server's token") is True


def test_the_run_body_carries_mxcubecores_keys(bes):
    double, beamline = bes()
    server = beamline.beamline.role("xmlrpc_server")
    node = run_workflow(beamline)
    body = double.run_body()
    # what mxcubecore's EdnaWorkflow adds to the queue's parameters
    assert body["initiator"] == "ID-SIM"
    assert body["externalRef"] == beamline.get("session").get_proposal()
    assert "sessionId" in body  # None: no LIMS session chosen
    gui = body["mxcubeParameters"]
    assert (gui["host"], gui["port"]) == ("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    assert gui["token"] == body["token"] and len(body["token"]) >= MIN_TOKEN_LENGTH
    assert body["token"] != server.token  # a token of this run alone
    # the queue's parameters as mxcubecore's callers send them: text
    assert body["modelpath"] == "/models/BesDemo.moml"
    assert body["workflow_node_id"] == str(node["id"])
    assert body["sample_node_id"] == str(node["parent"])
    assert body["beamline"] == "ID-SIM"
    assert body["collection_software"].startswith("mxgui ")
    for key in ("directory", "prefix", "run_number", "shape"):
        assert isinstance(body[key], str), key


def test_a_queue_stop_sends_abort(bes):
    double, beamline = bes(script="until_abort")
    node = run_workflow(beamline, stop_when=lambda: len(double.calls) >= 2)
    assert node["status"] != "success"
    assert "stopped" in node["message"]
    # the run ends at once (the queue goes on); the engine's thread sends the ABORT
    wait_for(lambda: double.aborted == ["bes-1"], "the ABORT", 10)
    # STATUS asked once (404: not offered), never polled; then the ABORT
    assert double.paths() == ["POST /RUN/BesDemo", "GET /STATUS/bes-1", "GET /ABORT/bes-1"]
    assert all(result is True for _method, result in double.calls[:2])
    run = beamline.beamline.role("workflow").log.runs()[0]
    assert run.status == "aborted"


def test_a_bes_that_refuses_the_run_fails_the_entry_with_the_reason(bes):
    double, beamline = bes(script="error")
    node = run_workflow(beamline)
    assert node["status"] == "failed"
    assert "RUN/BesDemo" in node["message"] and "HTTP 500" in node["message"]
    assert "internal error" in node["message"]
    assert double.aborted == []  # no request id: nothing to abort
    assert double.paths() == ["POST /RUN/BesDemo"]


def test_a_workflow_that_never_calls_back_fails_and_is_aborted(bes):
    double, beamline = bes(timeout=1.0, script="silent")
    node = run_workflow(beamline)
    assert node["status"] == "failed"
    assert "neither called back nor ended within 1 s" in node["message"]
    wait_for(lambda: double.aborted == ["bes-1"], "the ABORT", 10)
    assert double.paths()[-1] == "GET /ABORT/bes-1"


def test_status_is_polled_where_the_bes_offers_it(bes):
    double, beamline = bes(
        script="silent", offer_status=True, statuses=["RUNNING", "Indexing", "FINISHED"]
    )
    node = run_workflow(beamline)
    assert node["status"] == "success", node["message"]
    statuses = [p for p in double.paths() if p.startswith("GET /STATUS/")]
    assert len(statuses) == 3  # RUNNING, Indexing, FINISHED
    assert double.aborted == []  # the BES said it finished: nothing to abort


def test_a_bes_that_stops_answering_status_fails_the_run_and_is_aborted(bes, caplog):
    caplog.set_level(logging.DEBUG, logger="mxgui.core.workflow.bes")
    double, beamline = bes(script="silent", offer_status=True)

    def status_answered_then_broken() -> bool:
        if sum(p.startswith("GET /STATUS/") for p in double.paths()) < 2:
            return False
        double.status_code = 503  # the BES's STATUS breaks down, the run is not over
        return True

    node, done = start_workflow(beamline)
    wait_for(status_answered_then_broken, "STATUS answered twice", 30)
    assert done.wait(30), "the queue did not finish"
    message = beamline.beamline.role("queue").model.get_node(node).message
    assert "connection to the BES lost for 1 s" in message and "HTTP 503" in message
    # finding 11: one warning for the outage, not one per poll (every 0.05 s for 1 s)
    outage = [r for r in caplog.records if r.getMessage().endswith("answered HTTP 503")]
    assert [r.levelname for r in outage].count("WARNING") == 1 and len(outage) > 2
    wait_for(lambda: double.aborted == ["bes-1"], "the ABORT", 10)


def test_the_gui_quitting_aborts_the_run_at_the_bes(bes):
    double, beamline = bes(script="until_abort")
    start_workflow(beamline)
    wait_for(lambda: len(double.calls) >= 1, "the workflow's first call back", 30)
    beamline.shutdown()
    assert double.aborted == ["bes-1"]


def test_a_run_whose_token_the_server_refuses_fails_before_asking_the_bes(bes):
    double, beamline = bes()
    server = beamline.beamline.role("xmlrpc_server")
    for n in range(MAX_TOKENS):  # the server holds as many run tokens as it takes
        server.grant_run_token(f"other-run-{n:02d}-token")
    node = run_workflow(beamline)
    assert node["status"] == "failed"
    assert "the XML-RPC server refuses the run's token" in node["message"]
    assert double.paths() == []  # its calls would all be refused: no RUN


def test_workflow_parameters_go_to_the_top_level_without_replacing_mxcubecores_keys():
    inputs = {
        "run_number": 3,
        "prefix": "p",
        "tasks_parent_id": 7,
        "workflow_parameters": {"anomalous": True, "token": "forged", "prefix": "other"},
    }
    body = run_body("MXPressA", inputs, CallBack("h", 1, "t" * 20), Origin("ID", 42, "mx1"))
    assert body["run_number"] == "3" and body["tasks_parent_id"] == 7
    assert body["anomalous"] is True
    assert body["token"] == "t" * 20  # a parameter never replaces the run's token
    assert body["prefix"] == "p"  # the queue's value stays; the parameter's is nested only
    assert body["workflow_parameters"]["prefix"] == "other"
    assert (body["initiator"], body["sessionId"], body["externalRef"]) == ("ID", 42, "mx1")


# configuration ------------------------------------------------------------------------------
def client_from(tmp_path: Path, text: str) -> HardwareRepository:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "workflow.xml").write_text(text)
    return HardwareRepository([site])


def test_mxcubecore_style_xml_is_read(tmp_path):
    text = BES_XML.replace("<requires>sample</requires>", "<requires>point, sample</requires>")
    site = {"host": "bes.example.org", "port": 8090, "timeout": 5}
    repo = client_from(tmp_path, text.format(log=tmp_path / "w.sqlite", **site))
    try:
        workflow = repo.get("workflow")
        assert workflow.bes_url == "http://bes.example.org:8090"
        info = workflow.get_workflow("BesDemo")
        assert (info.title, info.engine, info.path, info.requires) == (
            "BES demo",
            "bes",
            "/models/BesDemo.moml",
            "point",
        )
    finally:
        repo.shutdown()


def test_the_bes_site_example_loads_over_the_simulated_beamline():
    repo = HardwareRepository([SIMULATED.parent / "bes-site", SIMULATED])
    try:
        workflow = repo.get("workflow")
        assert workflow.bes_url == "http://bes.example.org:8090"
        engines = {
            w["name"]: (w["engine"], w["requires"]) for w in workflow.get_available_workflows()
        }
        assert engines == {
            "MXPressA": ("bes", "sample"),
            "MXPressE": ("bes", "sample"),
            "MeshAndCollect": ("bes", "grid"),
            "XrayCentring": ("local", "sample"),
        }
    finally:
        repo.shutdown()


@pytest.mark.parametrize(
    ("port_line", "at", "reason"),
    [
        ("", "<bes_host>", "bes_host bes.example.org needs bes_port"),
        ("<bes_port>70000</bes_port>", "<bes_port>", "needs bes_port.*not 70000"),
        ("<bes_port>eighty</bes_port>", "<bes_port>", "bes_port"),
        ("<bes_port>8090</bes_prt>", "<bes_port>", "bad XML: .*mismatch"),
    ],
)
def test_bad_bes_xml_names_the_file_and_line(tmp_path, port_line, at, reason):
    text = BES_XML.replace("<bes_port>{port}</bes_port>", port_line).format(
        log=tmp_path / "w.sqlite", host="bes.example.org", timeout=5
    )
    line = next(n for n, content in enumerate(text.splitlines(), 1) if at in content)
    repo = client_from(tmp_path, text)
    with pytest.raises(HardwareObjectError, match=reason) as caught:
        repo.get("workflow")
    assert f"workflow.xml:{line}:" in str(caught.value)
    repo.shutdown()


# run tokens ---------------------------------------------------------------------------------
def test_run_tokens_are_accepted_only_while_granted_and_count_served_calls():
    tokens = RunTokens()
    calls = RunCalls()
    token = "t" * MIN_TOKEN_LENGTH
    with pytest.raises(ValueError, match="characters"):
        tokens.grant("short")
    assert not tokens.accepts(token)
    tokens.grant(token, calls)
    with pytest.raises(ValueError, match="already"):
        tokens.grant(token)
    assert tokens.accepts(token) and not tokens.accepts(token + "x")
    assert calls.calls == 0  # checking a token is not a call
    with tokens.serving(token):
        assert (calls.calls, calls.in_flight, calls.silent_for()) == (1, 1, 0.0)
    assert (calls.calls, calls.in_flight) == (1, 0)
    with tokens.serving(token + "x"):  # not granted: no run hears of it
        pass
    tokens.revoke(token)
    assert not tokens.accepts(token)
    assert calls.calls == 1


# the review's findings (review16d) ------------------------------------------------------------
def raw_call(url: str, token: str, content_type: str = "text/xml", **more: str) -> int:
    """The HTTP status of one ``log_message`` call carrying ``token`` (and headers ``more``)."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    body = xmlrpc.client.dumps(("a call",), "log_message").encode()
    headers = {"Content-Type": content_type, "Token": token, **more}
    try:
        connection.request("POST", "/", body, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_long_call_keeps_the_run_alive(bes):
    """Finding 1: a workflow blocked in one call (a dialog, a collection) is not silent."""
    double, beamline = bes(timeout=1.0, script="dialog")
    asked = threading.Event()
    answer: Future[dict] = Future()

    def open_dialog(_spec):
        asked.set()
        return answer

    beamline.beamline.role("xmlrpc_server").set_handler("open_dialog", open_dialog)
    node, done = start_workflow(beamline)
    assert asked.wait(30), "the workflow's dialog"
    # three times bes_timeout with the workflow's only call in progress: not silence
    assert not done.wait(3.0), "the run ended while its call was in progress"
    answer.set_result({"answer": "ok"})
    assert done.wait(30), "the queue did not finish"
    entry = beamline.beamline.role("queue").model.get_node(node)
    assert entry.status == "success", entry.message
    assert double.played.wait(10)  # workflow_end's answer may come after the queue's end
    assert double.calls == [("open_dialog", {"answer": "ok"}), ("workflow_end", True)]
    assert double.aborted == []


def test_a_bes_that_trickles_its_answer_is_cut_off(bes):
    """Finding 2: RUN's answer comes one byte at a time: the whole answer has a deadline."""
    double, beamline = bes(script="trickle", request_timeout=1.0)
    server = beamline.beamline.role("xmlrpc_server")
    node = run_workflow(beamline, timeout=30)
    assert node["status"] == "failed"
    assert "RUN/BesDemo did not answer RUN within 1 s" in node["message"]
    workflow = beamline.beamline.role("workflow")
    assert workflow.running is None and len(server.run_tokens) == 0


def test_a_stop_while_run_is_pending_ends_the_entry_at_once(bes):
    """Findings 2 and 8: the stop does not wait for the BES's answer to RUN."""
    double, beamline = bes(script="trickle")
    server = beamline.beamline.role("xmlrpc_server")
    node = run_workflow(beamline, timeout=30, stop_when=lambda: double.runs)
    assert node["status"] != "success"
    assert "stopped" in node["message"] and "did not confirm" not in node["message"]
    assert len(server.run_tokens) == 0  # revoked at the run's end, the RUN still pending


def test_the_runs_token_is_refused_as_soon_as_the_run_ends(bes):
    """Finding 3: revoked at the run's end, not when the engine's thread is done."""
    double, beamline = bes(script="play", offer_status=True)
    double.status_gate = threading.Event()  # STATUS hangs: the engine's thread waits in it
    server = beamline.beamline.role("xmlrpc_server")
    _node, done = start_workflow(beamline)
    wait_for(lambda: len(double.calls) == 2, "the workflow's calls")
    assert double.calls == [("log_message", True), ("workflow_end", True)]
    assert raw_call(server.url, double.run_body()["token"]) == 403
    double.status_gate.set()
    assert done.wait(30), "the queue did not finish"


def test_requests_the_server_refuses_are_no_sign_of_life(bes):
    """Finding 4: requests with the run's token that the server refuses are no calls."""
    double, beamline = bes(timeout=1.0, script="silent")
    server = beamline.beamline.role("xmlrpc_server")
    node, done = start_workflow(beamline)
    wait_for(lambda: double.runs, "the RUN")
    token = double.run_body()["token"]
    statuses = set()
    deadline = time.monotonic() + 30
    while not done.wait(0.2):  # refused (415, 403) until the run has failed, then 403
        assert time.monotonic() < deadline, "refused requests kept the silent run alive"
        statuses.add(raw_call(server.url, token, "text/plain"))
        statuses.add(raw_call(server.url, token, Origin="http://evil.example.org"))
    assert 415 in statuses and statuses <= {415, 403}
    entry = beamline.beamline.role("queue").model.get_node(node)
    assert "neither called back nor ended within 1 s" in entry.message


@pytest.mark.parametrize(
    "answer", ["<html><head><title>BES</title></head><body>" + "y" * 5000 + "</body></html>", "[1]"]
)
def test_a_status_answer_that_is_no_status_does_not_vouch_for_the_run(bes, answer):
    """Finding 5: a catch-all page answering STATUS with 200 means no STATUS service."""
    double, beamline = bes(timeout=1.0, script="silent", offer_status=True, statuses=[answer])
    node = run_workflow(beamline, timeout=30)
    assert node["status"] == "failed"
    assert "neither called back nor ended within 1 s" in node["message"]
    assert [p for p in double.paths() if p.startswith("GET /STATUS/")] == ["GET /STATUS/bes-1"]


@pytest.mark.parametrize("answer", ["<html><head><title>BES</title></head>" + "y" * 3000, "true"])
def test_a_run_answer_that_is_no_request_id_fails_the_entry_saying_so(bes, answer):
    """Finding 6: a page (or a JSON true) is no request id: a short message, no STATUS."""
    double, beamline = bes(script="silent")
    double.run_answer = answer
    node = run_workflow(beamline, timeout=30)
    assert node["status"] == "failed"
    assert "answered RUN with no request id" in node["message"]
    assert len(node["message"]) < 300
    assert double.paths() == ["POST /RUN/BesDemo"]


def test_a_run_answered_too_late_says_so_and_not_unreachable(bes):
    """Finding 7: RUN has its own deadline; its timeout says the workflow may be running."""
    double, beamline = bes(script="silent", request_timeout=1.0)
    double.run_gate = threading.Event()  # RUN is answered only once the test says so
    node = run_workflow(beamline, timeout=30)
    double.run_gate.set()
    assert node["status"] == "failed"
    assert "did not answer RUN within 1 s" in node["message"]
    assert "may be running at the BES" in node["message"]
    assert "cannot be reached" not in node["message"]


def test_a_stop_does_not_wait_for_the_abort(bes):
    """Finding 8: the entry ends at the stop while the BES has not answered ABORT yet
    (at shutdown BesRun.close waits for it: test_the_gui_quitting_aborts_the_run_at_the_bes)."""
    double, beamline = bes(script="until_abort")
    double.abort_gate = threading.Event()  # ABORT is answered only once the test says so
    node = run_workflow(beamline, timeout=20, stop_when=lambda: len(double.calls) >= 1)
    assert node["status"] == "stopped" and "did not confirm" not in node["message"]
    assert double.aborted == []  # the ABORT is on its way, the queue did not wait
    double.abort_gate.set()
    wait_for(lambda: double.aborted == ["bes-1"], "the ABORT", 10)


@pytest.mark.parametrize("opt_in", [False, True])
def test_no_run_token_issuer_refuses_the_run_unless_the_site_opts_in(tmp_path, opt_in):
    """Finding 9: the server's own token goes to the BES only where the XML says so."""
    double = BesDouble(script="silent")
    extra = "<bes_send_server_token>true</bes_send_server_token>" if opt_in else ""
    text = BES_XML.replace(
        "<bes_timeout>",
        f"<xmlrpc_url>http://127.0.0.1:9</xmlrpc_url><xmlrpc_token>{'s' * 20}</xmlrpc_token>"
        f"{extra}<bes_timeout>",
    )
    repo = client_from(
        tmp_path,
        text.format(log=tmp_path / "w.sqlite", host=double.host, port=double.port, timeout=1),
    )
    try:
        workflow = repo.get("workflow")
        if opt_in:
            done = workflow.start("BesDemo", {})
            wait_for(lambda: double.runs, "the RUN")
            assert double.run_body()["token"] == "s" * 20
            workflow.abort()
            assert done.result(timeout=10)[0] == "aborted"
        else:
            with pytest.raises(Refused, match="cannot grant a token for this run"):
                workflow.start("BesDemo", {})
            assert double.paths() == []
            assert workflow.log.runs()[0].status == "failed"
    finally:
        repo.shutdown()
        double.close()


def test_a_callback_host_the_server_refuses_fails_the_run_before_the_bes_is_asked(tmp_path):
    """Finding 10: every call back would get 403 (Host): say so at once, naming both."""
    double = BesDouble()
    host = "<bes_callback_host>bes-gw.example.org</bes_callback_host>"
    repo = bes_beamline(tmp_path, double, extra=host)
    try:
        server = repo.get("xmlrpc_server")  # it attaches itself to the workflow client
        workflow = repo.get("workflow")
        with pytest.raises(Refused, match="bes_callback_host.*allowed_hosts"):
            workflow.start("BesDemo", {})
        assert double.paths() == []
        assert len(server.run_tokens) == 0
    finally:
        repo.shutdown()
        double.close()


@pytest.mark.parametrize(("said", "status"), [("FAILED", "failed"), ("aborted", "aborted")])
def test_a_status_saying_the_run_ended_badly_ends_it_without_an_abort(bes, said, status):
    """Finding 12: the BES said the run is over: nothing to abort."""
    double, beamline = bes(script="silent", offer_status=True, statuses=["RUNNING", said])
    run_workflow(beamline)
    run = beamline.beamline.role("workflow").log.runs()[0]
    assert run.status == status
    assert double.aborted == [] and not any("ABORT" in p for p in double.paths())


def test_a_stopped_runs_token_is_refused_during_the_next_run(bes):
    """Findings 3 and 12: run A stopped, run B running: A's token is refused, B's taken."""
    double, beamline = bes(script="until_abort")
    server = beamline.beamline.role("xmlrpc_server")
    run_workflow(beamline, stop_when=lambda: len(double.calls) >= 1)
    token_a = double.run_body()["token"]
    wait_for(lambda: double.aborted == ["bes-1"], "run A's ABORT", 10)
    asked = threading.Event()
    answer: Future[dict] = Future()

    def open_dialog(_spec):
        asked.set()
        return answer

    server.set_handler("open_dialog", open_dialog)
    double.script = "dialog"
    _node, done = start_workflow(beamline)
    assert asked.wait(30), "run B's dialog"
    token_b = double.run_body()["token"]
    assert token_b != token_a and len(server.run_tokens) == 1
    assert raw_call(server.url, token_a) == 403
    assert raw_call(server.url, token_b) == 200
    answer.set_result({"answer": "ok"})
    assert done.wait(30), "the queue did not finish"
    runs = beamline.beamline.role("workflow").log.runs()
    assert sorted(run.status for run in runs) == ["aborted", "success"]
    assert double.aborted == ["bes-1"]
