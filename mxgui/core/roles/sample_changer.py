"""The sample changer: what it holds, what is mounted, load and unload."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from mxgui.core.roles.emitter import Emitter


class SampleInfo(Protocol):
    """What callers read of a sample-changer position (``abstract.sample_changer.Sample``)."""

    @property
    def address(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def protein_acronym(self) -> str: ...

    @property
    def barcode(self) -> str: ...


@runtime_checkable
class SampleChangerRole(Emitter, Protocol):
    """Samples by address (``"puck:pin"``), the mounted one, and the operations."""

    def get_sample(self, address: str) -> SampleInfo: ...

    def get_loaded_sample(self) -> SampleInfo | None: ...

    def why_not(self, operation: str, address: str | None = None) -> str | None: ...

    def load(self, address: str) -> Future[Any]: ...

    def unload(self) -> Future[Any]: ...

    def abort(self) -> None: ...
