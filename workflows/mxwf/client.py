"""The workflows' line to the GUI: its XML-RPC server, and a few helpers over it.

The workflow client starts each workflow with ``MXGUI_XMLRPC_URL`` (for example
``http://127.0.0.1:8000``) and ``MXGUI_XMLRPC_TOKEN`` ("" when the server has none) in
the environment; :func:`connect` reads them and sends the token in the HTTP header
``Token`` on every call. :class:`Gui` adds what every workflow does: add a task under the
sample, run it and wait for its outcome, log to the GUI.
"""

from __future__ import annotations

import logging
import os
import time
import xmlrpc.client
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

URL_VARIABLE = "MXGUI_XMLRPC_URL"
TOKEN_VARIABLE = "MXGUI_XMLRPC_TOKEN"
#: node statuses after which a node will not change any more
FINAL_STATUSES = ("success", "warning", "failed", "skipped", "stopped")
#: a task may take this long before the workflow gives up waiting (s)
DEFAULT_TASK_TIMEOUT = 3600.0


class WorkflowError(RuntimeError):
    """A step of a workflow cannot go on; the message says why, for the user."""


class WorkflowCancelled(WorkflowError):
    """The user cancelled the workflow (a dialog's Cancel)."""


def connect(url: str | None = None, token: str | None = None) -> Gui:
    """A :class:`Gui` on ``url`` (default ``$MXGUI_XMLRPC_URL``) with ``token``
    (default ``$MXGUI_XMLRPC_TOKEN``). ``WorkflowError`` when no URL is known."""
    url = url if url is not None else os.environ.get(URL_VARIABLE, "")
    token = token if token is not None else os.environ.get(TOKEN_VARIABLE, "")
    if not url:
        raise WorkflowError(
            f"no XML-RPC address: {URL_VARIABLE} is not set (workflows are started by the GUI)"
        )
    return Gui(url, token)


class Gui:
    """The GUI seen through its XML-RPC server.

    ``gui.proxy`` is the raw ``ServerProxy`` (every method of docs/contracts.md); the methods
    here wrap the ones the workflows combine.
    """

    def __init__(self, url: str, token: str = "") -> None:
        headers = [("Token", token)] if token else []
        self.url = url
        self.proxy = xmlrpc.client.ServerProxy(url, allow_none=True, headers=headers)

    def __getattr__(self, name: str) -> Any:
        """``gui.method(...)`` calls the XML-RPC method; a GUI that cannot be reached
        (or answers HTTP errors: wrong token, host not allowed) is a ``WorkflowError``
        naming the method and the address. Faults are left to the caller."""
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self.proxy, name)

        def call(*args: object) -> Any:
            try:
                return method(*args)
            except xmlrpc.client.ProtocolError as exc:
                raise WorkflowError(
                    f"{name}: the GUI at {self.url} refused the call: "
                    f"HTTP {exc.errcode} {exc.errmsg}"
                ) from None
            except OSError as exc:
                raise WorkflowError(f"{name}: cannot reach the GUI at {self.url}: {exc}") from None

        return call

    # queue -----------------------------------------------------------------------------------
    def add_task(self, parent_id: int, task_type: str, parameters: Mapping[str, Any]) -> int:
        """Add a ``task_type`` with ``parameters`` (None values dropped) under node
        ``parent_id``; return its id. ``WorkflowError`` with the GUI's reason when refused."""
        task = {
            "type": task_type,
            "parameters": {k: v for k, v in parameters.items() if v is not None},
        }
        try:
            return int(self.queue_add_child(int(parent_id), task))
        except xmlrpc.client.Fault as fault:
            raise WorkflowError(
                f"the GUI refused the {task_type} task: {fault.faultString}"
            ) from None

    def node(self, node_id: int) -> dict[str, Any]:
        """``queue_get_node(node_id)``: id, type, parameters, status, message, ..."""
        return dict(self.queue_get_node(int(node_id)))

    def execute(self, node_id: int, timeout: float = DEFAULT_TASK_TIMEOUT) -> dict[str, Any]:
        """Run node ``node_id`` and wait until it has ended; return its final node struct.

        ``WorkflowError`` when the GUI refuses to run it or it does not end in ``timeout``.
        The caller decides what a ``failed`` or ``warning`` status means.
        """
        try:
            self.queue_execute_entry_with_id(int(node_id), False)
        except xmlrpc.client.Fault as fault:
            raise WorkflowError(
                f"the GUI did not run node {node_id}: {fault.faultString}"
            ) from None
        deadline = time.monotonic() + timeout
        while True:
            node = self.node(node_id)
            if node.get("status") in FINAL_STATUSES:
                return node
            if time.monotonic() > deadline:
                raise WorkflowError(f"node {node_id} did not end within {timeout:g} s")
            time.sleep(0.1)

    def run_task(
        self, parent_id: int, task_type: str, parameters: Mapping[str, Any], what: str
    ) -> dict[str, Any]:
        """Add a task, run it, and return its node; ``WorkflowError`` naming ``what``
        (e.g. "the mesh scan") with the GUI's message when it failed or was skipped."""
        node_id = self.add_task(parent_id, task_type, parameters)
        self.log(f"{what}: task {node_id} added, running")
        node = self.execute(node_id)
        if node.get("status") not in ("success", "warning"):
            raise WorkflowError(f"{what} {node.get('status')}: {node.get('message') or '?'}")
        return node

    # log ---------------------------------------------------------------------------------------
    def log(self, message: str, level: str = "info") -> None:
        """Show ``message`` in the GUI's log (and in this process's log); a GUI that
        cannot take it is only noted here, never a reason to stop the workflow."""
        getattr(log, "warning" if level in ("warning", "error") else "info")(message)
        try:
            self.proxy.log_message(message, level)
        except (xmlrpc.client.Fault, xmlrpc.client.ProtocolError, OSError) as exc:
            log.warning("could not log to the GUI: %s", exc)
