"""The workflow client and the XML-RPC server its workflows call back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from mxgui.core.roles.emitter import Emitter
from mxgui.core.workflow.catalog import WorkflowInfo
from mxgui.core.workflow_log import WorkflowLog


@runtime_checkable
class XMLRPCServerRole(Protocol):
    """Where workflows call back (``url``, ``token``); the GUI installs its handlers
    (``open_dialog``, ``save_snapshot``) here."""

    url: str
    token: str

    def set_handler(self, name: str, handler: Callable[..., Future[Any]] | None) -> None: ...

    def remove_handler(self, name: str, handler: Callable[..., Future[Any]]) -> None: ...


@runtime_checkable
class WorkflowClientRole(Emitter, Protocol):
    """Starts the workflows of its XML one at a time and records them in :attr:`log`."""

    @property
    def log(self) -> WorkflowLog: ...

    @property
    def running(self) -> str | None: ...

    def get_available_workflows(self) -> list[dict[str, str]]: ...

    @property
    def current_run_id(self) -> int | None: ...

    def get_workflow(self, name: str) -> WorkflowInfo: ...

    def get_property(self, name: str, default: object = None) -> Any: ...

    def start(self, name: str, inputs: Mapping[str, object]) -> Future[Any]: ...

    def abort(self) -> None: ...

    def workflow_end(self) -> None: ...

    def attach_xmlrpc_server(self, server: XMLRPCServerRole) -> None: ...
