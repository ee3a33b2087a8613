"""The workflow client: starts the workflows of its XML, one at a time, and watches them.

Each ``<workflow>`` of the XML names a workflow::

    <workflow>
      <name>XrayCentring</name>          the name the queue and XML-RPC use
      <title>X-ray centring</title>      what the user reads
      <requires>sample</requires>        sample | point | grid
      <engine>local</engine>             local (default) | bes | ewoksjob
      <graph>xray_centring.json</graph>  local, ewoksjob: the ewoks graph in workflows_dir
    </workflow>

and a BES workflow is also read in mxcubecore's form (``ednaparams.xml``: the server in
``<bes_host>`` / ``<bes_port>``, each workflow a ``<title>`` and a ``<path>``, its name
the path's last part: see ``mxgui.core.workflow.catalog``); mxgui's ``<bes_url>`` still
works (it wins over ``bes_host``/``bes_port``).

Engines (``mxgui.core.workflow``): ``local`` runs the graph in a child process (its own
process group) given the XML-RPC server's address and token in ``MXGUI_XMLRPC_URL`` and
``MXGUI_XMLRPC_TOKEN``. ``bes`` speaks mxcubecore's BES protocol
(``mxgui.core.workflow.bes``): ``POST RUN/<name>`` with a JSON body holding the queue's
inputs as mxcubecore's callers send them (``modelpath``, ``directory``, ``prefix``,
``run_number``, ``sample_node_id``, ``workflow_node_id``, ``shape``, ``beamline``...),
the workflow's parameters, ``initiator`` (``endstation_name``), ``sessionId`` (the LIMS
session), ``externalRef`` (the proposal), and a token made for this run alone, in
``token`` and in ``mxcubeParameters`` ``{"host", "port", "token"}``: the XML-RPC server
to call back, which accepts that token until the run ends. The BES answers the request
id; the run ends with the workflow's ``workflow_end``; ``GET ABORT/<id>`` goes on abort
and on every failure; ``STATUS/<id>`` is polled only if the BES answers it; a run with
no call in progress that makes none for ``bes_timeout`` s fails and is aborted.
``ewoksjob`` submits the graph to Celery workers (``ewoksjob_broker``,
``ewoksjob_backend``, ``ewoksjob_queue``; ``mxgui.core.workflow.ewoksjob``), which run it
with the same address and, where the server grants one, a token of that run alone
(revoked at its end, as the BES run's: ``RunTokenGrant``). A run ends when the
workflow calls ``workflow_end`` (XML-RPC), when its process exits (a process killed is seen at
once), or on :meth:`WorkflowClient.abort`. Every run and step is recorded in the
execution log (:attr:`WorkflowClient.log`, a ``WorkflowLog``).

The XML-RPC server to call back: the role ``xmlrpc_server`` when this object's XML gives
it, else the server that attached itself (:meth:`WorkflowClient.attach_xmlrpc_server`:
the server references this object, so this object cannot reference it back), else the
properties ``xmlrpc_url`` / ``xmlrpc_token``.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

from hardware_objects.abstract.lims import AbstractLims
from hardware_objects.abstract.session import AbstractSession
from mxgui.core.errors import Refused
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty
from mxgui.core.roles import XMLRPCServerRole
from mxgui.core.workflow.catalog import WorkflowInfo, workflow_of
from mxgui.core.workflow.events import (
    ENV_TOKEN,
    ENV_URL,
    FAILED,
    RunResult,
    StepCallback,
    WorkflowRun,
)
from mxgui.core.workflow.ewoksjob import EwoksJobConfig
from mxgui.core.workflow_log import WorkflowLog, WorkflowLogError
from mxgui.core.workflow_log import default_path as default_log_path
from mxgui.core.xml_config import ConfigNode
from mxgui.core.xmlrpc.run_tokens import RunTokenGrant, RunTokenIssuer

if TYPE_CHECKING:  # the BES engine imports requests: imported when a BES run starts
    from mxgui.core.workflow.bes import Origin

log = logging.getLogger(__name__)

#: what a write to the execution log returns
T = TypeVar("T")

#: the repository's own workflows directory (``<repo>/workflows``)
DEFAULT_WORKFLOWS_DIR = Path(__file__).resolve().parent.parent / "workflows"


class WorkflowClient(HardwareObject):
    """Starts workflows (local or BES), one at a time; see the module docstring.

    State: READY when no workflow runs, BUSY while one does. Signals (from worker
    threads): ``workflowStarted(run_id, name)``, ``workflowStepChanged(run_id, step,
    status)``, ``workflowFinished(run_id, status, message)``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = (
        "workflowStarted",
        "workflowStepChanged",
        "workflowFinished",
    )
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "workflows_dir": HOProperty(str, "", "the graphs' directory (empty: <repo>/workflows)"),
        "log_file": HOProperty(str, "", "the execution log (empty: the data directory's)"),
        "bes_url": HOProperty(str, "", "the BES server, for workflows with engine bes"),
        "bes_host": HOProperty(str, "", "the BES server's host (mxcubecore's form)"),
        "bes_port": HOProperty(int, 0, "the BES server's port (with bes_host)"),
        "bes_timeout": HOProperty(
            float, 900.0, "s a BES run may go without a call back before it fails (and aborts)"
        ),
        "bes_request_timeout": HOProperty(
            float, 10.0, "s a STATUS or ABORT request to the BES may take in all"
        ),
        "bes_run_timeout": HOProperty(float, 60.0, "s the BES may take to answer RUN in all"),
        "bes_send_server_token": HOProperty(
            bool, False, "with no server to grant run tokens: send the BES the server's token"
        ),
        "bes_lost_after": HOProperty(
            float, 30.0, "s a BES that offered STATUS may stop answering it before the run fails"
        ),
        "bes_callback_host": HOProperty(
            str, "", "the host the BES calls back (empty: the server's address, or this FQDN)"
        ),
        "endstation_name": HOProperty(str, "", "the BES runs' initiator (the beamline's name)"),
        "xray_centring_workflow": HOProperty(str, "XrayCentring", "run by XrayCentring tasks"),
        "end_grace": HOProperty(float, 5.0, "seconds a process has to exit after workflow_end"),
        "kill_grace": HOProperty(float, 3.0, "seconds between SIGTERM and SIGKILL on abort"),
        "bes_poll_period": HOProperty(float, 0.5, "seconds between BES STATUS requests"),
        "xmlrpc_url": HOProperty(str, "", "the server to call back, if none is attached"),
        "xmlrpc_token": HOProperty(str, "", "its token"),
        "ewoksjob_broker": HOProperty(str, "", "engine ewoksjob: the workers' Redis broker"),
        "ewoksjob_backend": HOProperty(str, "", "their Redis result backend (empty: the broker)"),
        "ewoksjob_queue": HOProperty(str, "celery", "the Celery queue the workers take jobs from"),
        "ewoksjob_heartbeat": HOProperty(float, 3.0, "s without the job's heartbeat: worker lost"),
        "ewoksjob_start_timeout": HOProperty(float, 60.0, "s a job may wait for a worker"),
        "ewoksjob_gui_timeout": HOProperty(
            float, 10.0, "s a job runs on without a look from this GUI (then it is ended)"
        ),
        "ewoksjob_xmlrpc_url": HOProperty(
            str, "", "the XML-RPC address workers call (empty: ours)"
        ),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.workflows: dict[str, WorkflowInfo] = {}
        #: the BES server (``bes_url``, or ``http://bes_host:bes_port``; ``""``: none)
        self.bes_url = ""
        self.workflows_dir = DEFAULT_WORKFLOWS_DIR
        self._log: WorkflowLog | None = None
        self._log_path: Path | None = None
        self._lock = threading.Lock()
        self._run: WorkflowRun | None = None
        self._run_id: int | None = None
        self._run_name = ""
        self._local_ids = 0
        self._server: XMLRPCServerRole | None = None
        #: the Future :meth:`start` gave for the current (or last) run
        self._done: Future[Any] = Future()

    # life -----------------------------------------------------------------------------------
    def init(self) -> None:
        configured = self.get_property("workflows_dir")
        if configured:
            self.workflows_dir = Path(os.path.expanduser(os.path.expandvars(configured)))
            if not self.workflows_dir.is_dir():
                raise self.config_error(
                    f"workflows_dir: {self.workflows_dir} is not a directory", "workflows_dir"
                )
        log_file = self.get_property("log_file")
        if log_file:
            self._log_path = Path(os.path.expanduser(os.path.expandvars(log_file)))
        self.bes_url = self._bes_server()
        for node in self.get_nodes("workflow"):
            info = self._workflow_of(node)
            if info.name in self.workflows:
                raise node.error(f"workflow {info.name!r} is listed twice")
            self.workflows[info.name] = info
        self.set_state(HardwareObjectState.READY)

    def _workflow_of(self, node: ConfigNode) -> WorkflowInfo:
        info = workflow_of(node, self.workflows_dir, self.bes_url)
        if info.engine == "ewoksjob":
            problem = (
                self.ewoksjob_config().problem()
                if self.get_property("ewoksjob_broker")
                else "the property <ewoksjob_broker> (redis://HOST:PORT/DB) is missing"
            )
            if problem:
                raise node.error(f"workflow {info.name}: engine ewoksjob: {problem}")
        return info

    def _bes_server(self) -> str:
        """The BES server's URL from ``bes_url`` or ``bes_host`` and ``bes_port``."""
        url = (self.get_property("bes_url") or "").strip()
        host = (self.get_property("bes_host") or "").strip()
        port = self.get_property("bes_port") or 0
        if url:
            if host:
                log.info("%s: bes_url %s is used, not bes_host %s", self.name, url, host)
            return url.rstrip("/")
        if not host:
            if port:
                raise self.config_error("bes_port needs bes_host (the BES server)", "bes_port")
            return ""
        if not 0 < port <= 65535:
            raise self.config_error(
                f"bes_host {host} needs bes_port, the BES server's port (1..65535), not {port}",
                "bes_port" if port else "bes_host",
            )
        return f"http://{host}:{port}"

    def ewoksjob_config(self) -> EwoksJobConfig:
        """The ``ewoksjob_*`` properties: where the workers are."""
        broker = self.get_property("ewoksjob_broker").strip()
        return EwoksJobConfig(
            broker,
            self.get_property("ewoksjob_backend").strip() or broker,
            self.get_property("ewoksjob_queue").strip(),
            self.get_property("ewoksjob_heartbeat"),
            self.get_property("ewoksjob_start_timeout"),
            gui_timeout=self.get_property("ewoksjob_gui_timeout"),
        )

    def shutdown(self) -> None:
        """Abort a running workflow, wait until it has gone (a local one's process is
        killed after ``kill_grace`` s), close the log."""
        with self._lock:
            run, done = self._run, self._done
        if run is not None and run is not _PENDING:
            grace = self.get_property("kill_grace")
            if not run.close(grace):
                log.error("%s: the workflow %s did not end on shutdown", self.name, self._run_name)
            try:  # its end recorded in the log before the log closes
                done.result(timeout=2.0)
            except concurrent.futures.TimeoutError:
                log.error("%s: the end of workflow %s was not recorded", self.name, self._run_name)
        with self._lock:
            log_, self._log = self._log, None
        if log_ is not None:
            log_.close()

    # what there is --------------------------------------------------------------------------
    def get_available_workflows(self) -> list[dict[str, str]]:
        """Each workflow's ``name``, ``title``, ``requires`` and ``engine``."""
        return [info.to_dict() for info in self.workflows.values()]

    def get_workflow(self, name: str) -> WorkflowInfo:
        """The workflow ``name``; ``KeyError`` naming the known ones."""
        try:
            return self.workflows[name]
        except KeyError:
            known = ", ".join(self.workflows) or "none"
            raise KeyError(
                f"there is no workflow {name!r} in {self.name} (known: {known})"
            ) from None

    @property
    def log(self) -> WorkflowLog:
        """The execution log (opened on first use)."""
        with self._lock:
            if self._log is None:
                self._log = WorkflowLog(self._log_path or default_log_path())
            return self._log

    @property
    def state(self) -> HardwareObjectState:
        """READY, or BUSY while a workflow runs."""
        return self.get_state()

    @property
    def running(self) -> str | None:
        """The name of the workflow running now, or ``None``."""
        with self._lock:
            return self._run_name if self._run is not None else None

    @property
    def current_run_id(self) -> int | None:
        """The log's id of the run going on now (or of the last one)."""
        return self._run_id

    def attach_xmlrpc_server(self, server: XMLRPCServerRole) -> None:
        """The server workflows call back (an object with ``url`` and ``token``)."""
        self._server = server

    def callback_address(self) -> tuple[str, str]:
        """The XML-RPC URL and token given to the workflows (``""`` when none)."""
        server = self._callback_server()
        if server is not None:
            return server.url, server.token
        return self.get_property("xmlrpc_url") or "", self.get_property("xmlrpc_token") or ""

    def _callback_server(self) -> XMLRPCServerRole | None:
        role = self.get_object_by_role("xmlrpc_server")
        return role if isinstance(role, XMLRPCServerRole) else self._server

    # running --------------------------------------------------------------------------------
    def start(self, name: str, inputs: Mapping[str, Any]) -> Future[Any]:
        """Start workflow ``name`` with ``inputs`` (plain JSON values); a Future of
        ``(status, message)`` (status success, failed or aborted) when it has ended.

        ``Refused`` while another workflow runs; ``ValueError`` for an unknown
        workflow or inputs that are not JSON.
        """
        info = self.get_workflow(name)
        if not isinstance(inputs, Mapping):
            raise ValueError(
                f"workflow {name}: inputs must be a mapping, not {type(inputs).__name__}"
            )
        try:
            payload = json.loads(json.dumps(dict(inputs)))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"workflow {name}: inputs are not plain JSON values: {exc}") from None
        with self._lock:
            if self._run is not None:
                raise Refused(f"workflow {self._run_name} is running: abort it or wait for its end")
            self._run_name = name
            self._run = _PENDING
        done: Future[Any] = Future()
        done.set_running_or_notify_cancel()  # ended by the workflow, not cancelled
        self._done = done
        try:
            run_id = self._record(lambda: self.log.start_run(name, payload))
            if run_id is None:
                self._local_ids -= 1
                run_id = self._local_ids
            self._run_id = run_id
            run = self._start_engine(info, payload, run_id)
        except Exception:
            with self._lock:
                self._run = None
            raise
        with self._lock:
            self._run = run
        self.set_state(HardwareObjectState.BUSY)
        log.info("workflow %s started (run %s)", name, run_id)
        self.emit("workflowStarted", run_id, name)
        run.future.add_done_callback(lambda ended: self._finished(run, run_id, ended, done))
        return done

    def _start_engine(self, info: WorkflowInfo, inputs: dict[str, Any], run_id: int) -> WorkflowRun:
        def on_step(step: str, status: str, message: str) -> None:
            self._step(run_id, step, status, message)

        if info.engine == "bes":
            return self._start_bes(info, inputs, on_step, run_id)
        if info.engine == "ewoksjob":
            return self._start_ewoksjob(info, inputs, on_step, run_id)
        from mxgui.core.workflow.local import LocalRun

        url, token = self.callback_address()
        if not url:
            log.warning(
                "workflow %s: no XML-RPC server to call back (%s is empty)", info.name, ENV_URL
            )
        assert info.graph is not None  # checked at init for a local workflow
        try:
            return LocalRun(
                info.graph,
                inputs,
                on_step,
                env={ENV_URL: url, ENV_TOKEN: token},
                paths=(self.workflows_dir,),
                end_grace=self.get_property("end_grace"),
                kill_grace=self.get_property("kill_grace"),
            )
        except OSError as exc:
            reason = f"workflow {info.name}: the process cannot start: {exc}"
            self._record(lambda: self.log.finish_run(run_id, FAILED, reason))
            raise Refused(reason) from None

    def _run_token(self, info: WorkflowInfo, run_id: int) -> RunTokenGrant | None:
        """A token of this run alone, granted on the XML-RPC server now (before the run
        starts) and revoked when the run ends (:meth:`_start_engine`); ``None`` when the
        server is configured by URL only (no server object to grant it).
        ``Refused`` when the server refuses it (its calls would all be refused)."""
        server = self._callback_server()
        if not isinstance(server, RunTokenIssuer):
            return None
        try:
            return RunTokenGrant(server)
        except ValueError as exc:
            reason = f"workflow {info.name}: the XML-RPC server refuses the run's token: {exc}"
            self._record(lambda: self.log.finish_run(run_id, FAILED, reason))
            raise Refused(reason) from None

    def _start_bes(
        self, info: WorkflowInfo, inputs: dict[str, Any], on_step: StepCallback, run_id: int
    ) -> WorkflowRun:
        """A BES run: its own token (see :meth:`_run_token`), the body mxcubecore sends
        (see the module docstring)."""
        from mxgui.core.workflow.bes import BesRun, CallBack, run_body

        url, server_token = self.callback_address()
        grant = self._run_token(info, run_id)
        if grant is None:  # a server configured by URL only: its own token, if allowed
            if not self.get_property("bes_send_server_token"):
                reason = (
                    f"workflow {info.name}: the XML-RPC server ({url or 'none configured'}) "
                    "cannot grant a token for this run: give this object the server's role "
                    "xmlrpc_server, or set bes_send_server_token to send its own token"
                )
                self._record(lambda: self.log.finish_run(run_id, FAILED, reason))
                raise Refused(reason)
            log.warning(
                "workflow %s: the XML-RPC server takes no run token: the BES gets the "
                "server's own token (bes_send_server_token)",
                info.name,
            )
        address = urlsplit(url) if url else None
        host = (self.get_property("bes_callback_host") or "").strip()
        if not host and address is not None and address.hostname:
            host = address.hostname
        if host in ("", "0.0.0.0", "::"):  # every address of this machine: its name
            host = socket.getfqdn()
        port = address.port if address is not None and address.port else 0
        if not url:
            log.warning("workflow %s: no XML-RPC server for the BES to call back", info.name)
        server = self._callback_server()
        if isinstance(server, _HostCheck) and not server.accepts_host(host):
            if grant is not None:
                grant.revoke()
            reason = (
                f"workflow {info.name}: the BES would call back {host}, which the XML-RPC "
                "server refuses as a Host: set bes_callback_host to one of its names, or add "
                f"{host} to the server's allowed_hosts"
            )
            self._record(lambda: self.log.finish_run(run_id, FAILED, reason))
            raise Refused(reason)
        callback = CallBack(host, port, grant.token if grant is not None else server_token)
        body = run_body(info.path or info.name, inputs, callback, self._origin())
        return self._with_token(
            grant,
            lambda: BesRun(
                self.bes_url,
                info.name,
                body,
                on_step,
                grant.calls if grant is not None else None,
                poll_period=self.get_property("bes_poll_period"),
                timeout=self.get_property("bes_request_timeout"),
                run_timeout=self.get_property("bes_run_timeout"),
                silence_timeout=self.get_property("bes_timeout"),
                lost_after=self.get_property("bes_lost_after"),
            ),
        )

    @staticmethod
    def _with_token(grant: RunTokenGrant | None, start: Callable[[], WorkflowRun]) -> WorkflowRun:
        """``start()``, the run's token revoked when the run ends (or when it cannot start)."""
        if grant is None:
            return start()
        try:
            run = start()
        except BaseException:
            grant.revoke()
            raise
        grant.revoke_when_done(run.future)
        return run

    def _origin(self) -> Origin:
        """The BES run's initiator, LIMS session and proposal, from this object's
        ``session`` and ``lims`` roles (when its XML gives them)."""
        from mxgui.core.workflow.bes import Origin

        initiator = (self.get_property("endstation_name") or "").strip()
        proposal = ""
        session_id: int | None = None
        session = self.get_object_by_role("session")
        if isinstance(session, AbstractSession):
            proposal = session.get_proposal()
        lims = self.get_object_by_role("lims")
        if isinstance(lims, AbstractLims):
            login = lims.get_login()
            if login is not None:
                session_id = login.session_id
                proposal = login.proposal or proposal
            initiator = initiator or str(lims.get_property("beamline_name") or "")
        return Origin(initiator, session_id, proposal)

    def _start_ewoksjob(
        self, info: WorkflowInfo, inputs: dict[str, Any], on_step: StepCallback, run_id: int
    ) -> WorkflowRun:
        """An ewoksjob run: the job calls back with a token of its own (see
        :meth:`_run_token`; the configured ``xmlrpc_token`` where the server is given by
        URL only), so that a job that outlives its run is refused by the server."""
        from mxgui.core.workflow.ewoksjob import EwoksJobRun

        url, token = self.callback_address()
        url = self.get_property("ewoksjob_xmlrpc_url").strip() or url
        grant = self._run_token(info, run_id)
        assert info.graph is not None  # checked at init, as for a local workflow
        graph = info.graph
        return self._with_token(
            grant,
            lambda: EwoksJobRun(
                graph,
                inputs,
                on_step,
                self.ewoksjob_config(),
                (url, grant.token if grant is not None else token),
                end_grace=self.get_property("end_grace"),
                kill_grace=self.get_property("kill_grace"),
            ),
        )

    def abort(self) -> None:
        """Abort the running workflow (nothing when none runs); it ends ``aborted``."""
        with self._lock:
            run = self._run
        if run is not None and run is not _PENDING:
            run.abort()

    def workflow_end(self) -> None:
        """The running workflow says it has ended (XML-RPC ``workflow_end``)."""
        with self._lock:
            run = self._run
        if run is None or run is _PENDING:
            log.info("workflow_end called with no workflow running")
            return
        run.end()

    # what happens ---------------------------------------------------------------------------
    def _step(self, run_id: int, step: str, status: str, message: str) -> None:
        if status == "running":
            self._record(lambda: self.log.step_started(run_id, step))
        else:
            self._record(lambda: self.log.step_finished(run_id, step, status, message))
        self.emit("workflowStepChanged", run_id, step, status)

    def _finished(
        self, run: WorkflowRun, run_id: int, ended: Future[Any], done: Future[Any]
    ) -> None:
        result = RunResult(FAILED, "the workflow's end could not be read")
        try:
            result = ended.result()
            self._record(lambda: self.log.finish_run(run_id, result.status, result.message))
        except Exception:  # the queue entry waiting for ``done`` must never wait for ever
            log.exception("%s: recording the end of workflow run %s failed", self.name, run_id)
        finally:
            with self._lock:
                if self._run is run:
                    self._run = None
            self.set_state(HardwareObjectState.READY)
            log.info("workflow run %s ended %s: %s", run_id, result.status, result.message)
            self.emit("workflowFinished", run_id, result.status, result.message)
            done.set_result((result.status, result.message))

    def _record(self, write: Callable[[], T]) -> T | None:
        """``write()`` on the log; a log that fails is logged, the run goes on."""
        try:
            return write()
        except (WorkflowLogError, OSError, ValueError) as exc:
            log.error("%s: the workflow execution log failed: %s", self.name, exc)
            return None


@runtime_checkable
class _HostCheck(Protocol):
    """An XML-RPC server that says which names its callers may give it."""

    def accepts_host(self, host: str) -> bool: ...


class _Pending(WorkflowRun):
    """Stands for a run being started (another start is refused meanwhile)."""

    def abort(self) -> None:
        """Nothing to abort yet."""

    def end(self) -> None:
        """Nothing to end yet."""


_PENDING = _Pending()
