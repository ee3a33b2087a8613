"""The queue as bricks and XML-RPC methods see it, and its execution engine from
outside (``hardware_objects.queue.QueueHardwareObject``, ``mxgui.core.queue``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from mxgui.core.centring import CentredPosition
from mxgui.core.roles.emitter import Emitter

if TYPE_CHECKING:  # the queue's own modules use the roles: no import at run time
    from mxgui.core.queue import History, QueueModel


@runtime_checkable
class QueueEngineRole(Emitter, Protocol):
    """Runs the queue in its own thread; emits the signals of :attr:`SIGNALS`
    (``executionStarted``, ``entryStarted``, ``entryFinished``, ``centringRequested``...)
    from that thread."""

    SIGNALS: ClassVar[tuple[str, ...]]

    def run_all(self) -> None: ...

    def run(self, node_id: int) -> None: ...

    def run_nodes(self, node_ids: Sequence[int]) -> None: ...

    def is_centred(self, location: str | None, node_id: int | None = None) -> bool: ...

    def execute_entry(self, node_id: int) -> Future[Any]: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> None: ...

    def skip(self) -> bool: ...

    def shutdown(self) -> None: ...

    def set_continue_on_failure(self, go_on: bool) -> None: ...

    def is_running(self) -> bool: ...

    def is_executing(self, node_id: int | None = None) -> bool: ...

    def is_paused(self) -> bool: ...

    def current_node(self) -> int | None: ...

    def provide_centring(
        self, node_id: int, position: CentredPosition | Mapping[str, Any] | None
    ) -> bool: ...

    def accept_strategy(self, node_id: int) -> int: ...

    def add_mad_collections(
        self,
        node_id: int,
        energies: Sequence[str] = ("peak", "inflection", "remote"),
        parameters: Mapping[str, Any] | None = None,
    ) -> list[int]: ...


@runtime_checkable
class QueueRole(Emitter, Protocol):
    """The beamline's queue: its model and history, new tasks with the beamline's
    defaults, and the engine that runs them (``None``: this mxgui has none; signal
    ``engineChanged(engine)`` when another is installed)."""

    model: QueueModel
    history: History
    engine: QueueEngineRole | None

    def add_sample(
        self,
        location: str | None = None,
        name: str = "",
        protein_acronym: str = "",
        barcode: str = "",
        lims_sample_id: int | None = None,
    ) -> int: ...

    def add_task(
        self, parent_id: int, task_type: str, given: Mapping[str, Any] | None = None
    ) -> int: ...

    def execute_entry(self, node_id: int) -> Future[Any]: ...

    def is_executing(self, node_id: int | None = None) -> bool: ...
