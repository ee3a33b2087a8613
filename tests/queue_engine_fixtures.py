"""The simulated beamline, a queue and its engine, as the queue-engine tests use them.

Qt-free. The beamline is fast: quick shutters and phase changes, fast centring motors,
a sample changer at 0.001 of real time; tasks use a tiny exposure and the detector's
256 x 256 ``test`` region unless a test asks otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mxgui.core.centring import CentredPosition
from mxgui.core.queue import CollectDefaults, History, QueueModel, TaskFactory
from mxgui.core.queue.engine import QueueEngine
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, quick_collect_overrides, speed_up

ROLES = ("collect", "sample_changer", "diffractometer", "shapes", "session", "energy_scan")
#: a quick collection: tiny exposure, the small detector region, no snapshot
QUICK = {
    "num_images": 3,
    "osc_range": 1.0,
    "exp_time": 0.001,
    "detector_roi_mode": "test",
    "detector_distance": 120.0,
    "take_snapshots": 0,
}


class Recorder:
    """Every signal of the engine, in order, with its arguments (thread-safe)."""

    def __init__(self, engine: QueueEngine) -> None:
        self.events: list[tuple[str, tuple]] = []
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[Callable[[str, tuple], bool], threading.Event]] = []
        self._engine = engine
        self._callbacks: dict[str, Callable[..., None]] = {}
        for name in engine.SIGNALS:
            self._callbacks[name] = lambda *args, name=name: self._record(name, args)
            engine.connect(name, self._callbacks[name])

    def detach(self, name: str) -> None:
        """Stop listening to ``name`` (to be an engine nobody answers)."""
        self._engine.disconnect(name, self._callbacks[name])

    def _record(self, name: str, args: tuple) -> None:
        with self._lock:
            self.events.append((name, args))
            waiters = list(self._waiters)
        for condition, event in waiters:
            if condition(name, args):
                event.set()
        if name == "executionFinished":
            self.finished.set()

    def names(self, skip_progress: bool = True) -> list[str]:
        with self._lock:
            return [n for n, _ in self.events if not (skip_progress and n == "progressChanged")]

    def args(self, name: str) -> list[tuple]:
        with self._lock:
            return [a for n, a in self.events if n == name]

    def when(self, condition: Callable[[str, tuple], bool]) -> threading.Event:
        """An event set when a signal matching ``condition(name, args)`` comes."""
        event = threading.Event()
        with self._lock:
            self._waiters.append((condition, event))
            if any(condition(n, a) for n, a in self.events):
                event.set()
        return event

    def wait_finished(self, timeout: float = 60.0) -> str:
        """The status of ``executionFinished`` (then forget it, for the next run)."""
        assert self.finished.wait(timeout), f"the queue did not finish in {timeout} s"
        self.finished.clear()
        return self.args("executionFinished")[-1][0]


def make_beamline(tmp_path: Path) -> SimpleNamespace:
    """The simulated beamline, a validated queue, a history and an engine."""
    repo = HardwareRepository([quick_collect_overrides(tmp_path), SIMULATED])
    roles = {name: repo.get(name) for name in ROLES}
    roles["sample_changer"].speed_factor = 0.001
    speed_up(roles["diffractometer"])
    factory = TaskFactory(CollectDefaults(roles["collect"]), roles["shapes"])
    model = QueueModel(validator=factory.validate)
    history = History()
    engine = QueueEngine(model, history, roles, factory=factory)
    return SimpleNamespace(
        repo=repo,
        roles=roles,
        factory=factory,
        model=model,
        history=history,
        engine=engine,
        events=Recorder(engine),
        **roles,
    )


def close_beamline(bl: SimpleNamespace) -> None:
    bl.engine.shutdown()
    bl.repo.shutdown()


def add_sample(bl: SimpleNamespace, location: str | None, centring: str = "none", **more) -> int:
    """A sample node (named after its location) under the root."""
    name = more.pop("name", None) or ("s" + (location or "manual").replace(":", "-"))
    params = bl.factory.create(
        "Sample", {"location": location, "centring": centring, "name": name, **more}
    )
    return bl.model.add(0, "Sample", params)


def add_task(bl: SimpleNamespace, parent: int, node_type: str = "DataCollection", **given) -> int:
    """A task under ``parent`` with the beamline's defaults, :data:`QUICK` for a
    collection, and ``given``."""
    sample = bl.model.get_node(bl.model.sample_of(parent)).parameters
    values: dict[str, Any] = dict(QUICK) if node_type == "DataCollection" else {}
    values.update(given)
    return bl.model.add(parent, node_type, bl.factory.create(node_type, values, sample=sample))


def crystal_centre(bl: SimpleNamespace, phi: float = 0.0) -> CentredPosition:
    """The centred position that puts the mounted crystal on the beam (the truth)."""
    positions = bl.diffractometer.scene.centring_positions()
    return CentredPosition(phi=phi, **{k: float(v) for k, v in positions.items()})
