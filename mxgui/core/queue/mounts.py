"""Whether the sample on the goniometer is centred on this mount (the queue's memory of it).

"Centred" means: a centring was accepted (``centringAccepted`` of the diffractometer,
from the sample view or the queue's own manual centring) after the sample now on the
goniometer was mounted, and the sample changer has loaded or unloaded nothing since.
A sample mounted by hand (no location) is not seen by the changer: it is centred only
when a centring was accepted after its Sample node became the current one
(:meth:`MountWatch.sample_current`, when its entry starts), so the next crystal put on
by hand is asked for again. A Sample entry whose centring is ``manual`` then does not
ask again; ``recentre`` always asks. :class:`MountWatch` is owned by the queue engine;
it follows the sample changer's ``loadedSampleChanged`` and the diffractometer's
``centringAccepted`` (from any thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from mxgui.core.errors import Refused, UnknownSignalError
from mxgui.core.queue.entries.base import Beamline, beamline_role
from mxgui.core.queue.history import sample_label
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import NOT_EXECUTED, SAMPLE

log = logging.getLogger(__name__)


class MountWatch:
    """Counts mounts and remembers the mount on which the last centring was accepted."""

    def __init__(self, beamline: Beamline) -> None:
        self._lock = threading.Lock()
        self._mount = 0
        self._centred_on: int | None = None
        self._current_node: int | None = None  # the Sample node whose entry ran last
        self._centred_node: int | None = None  # the current node when last centred
        self._changer = beamline_role(beamline, "sample_changer")
        self._diffractometer = beamline_role(beamline, "diffractometer")
        self._connect("connect")

    def _connect(self, how: str) -> None:
        for emitter, signal, slot in (
            (self._changer, "loadedSampleChanged", self._loaded),
            (self._diffractometer, "centringAccepted", self._centred),
        ):
            method = getattr(emitter, how, None)
            if method is None:
                continue
            try:
                method(signal, slot)
            except UnknownSignalError as exc:  # a stand-in without that signal
                log.debug("queue mounts: %s %s not followed: %s", emitter, signal, exc)

    def close(self) -> None:
        """Stop following the beamline (the engine shuts down)."""
        self._connect("disconnect")

    def _loaded(self, *_sample: object) -> None:
        with self._lock:
            self._mount += 1
            self._centred_on = None
            self._centred_node = None

    def _centred(self, *_position: object) -> None:
        self.mark_centred()

    def sample_current(self, node_id: int) -> None:
        """Sample node ``node_id``'s entry starts: its crystal is the one on the
        goniometer from now on (a centring accepted before belongs to another, unless
        it is the same node again)."""
        with self._lock:
            if node_id != self._current_node:
                self._current_node = node_id
                self._centred_node = None

    def mark_centred(self) -> None:
        """The sample mounted now has been centred."""
        with self._lock:
            self._centred_on = self._mount
            self._centred_node = self._current_node

    def is_centred(self, location: str | None, node_id: int | None = None) -> bool:
        """True when ``location`` is on the goniometer and was centred on this mount;
        for a sample mounted by hand (``location`` None), only when Sample node
        ``node_id`` is the current one and was centred since it became so."""
        with self._lock:
            if self._centred_on != self._mount:
                return False
            if not location and (node_id is None or self._centred_node != node_id):
                return False
        loaded = self._changer.get_loaded_sample() if self._changer is not None else None
        address = loaded.address if loaded is not None else None
        return address == (location or None)


def loaded_address(changer: object) -> str | None:
    """The location of the sample the sample changer holds on the goniometer, if any."""
    get_loaded = getattr(changer, "get_loaded_sample", None)
    loaded = get_loaded() if get_loaded is not None else None
    address = getattr(loaded, "address", None)
    return str(address) if address else None


def not_on_goniometer(model: QueueModel, node_id: int, loaded: str | None) -> str | None:
    """Why task or group ``node_id`` must not run with ``loaded`` on the goniometer
    (its sample is one the changer mounts, at another location), or ``None``. A sample
    mounted by hand cannot be told from another: it is taken as the one mounted."""
    sample_id = model.sample_of(node_id)
    if sample_id is None or sample_id == node_id:
        return None
    sample = model.get_node(sample_id)
    location = sample.parameters.get("location")
    if not location or location == loaded:
        return None
    now = f"{loaded} is" if loaded else "nothing is"
    return (
        f"not run: its sample {sample_label(sample)} is not on the goniometer ({now}); "
        "run its sample to mount it"
    )


def refuse_unmounted(model: QueueModel, starts: Sequence[int], loaded: str | None) -> None:
    """``Refused`` when a run of ``starts`` (in queue order) would run a task or group
    on another sample's crystal: its sample is not the one mounted then (now, or by a
    sample of ``starts`` before it)."""
    mounted = loaded
    for start in starts:
        node = model.get_node(start)
        if node.type == SAMPLE:
            if any(
                n.is_task and n.status == NOT_EXECUTED
                for n in model.iter_nodes(start, enabled_only=True)
            ):  # the run mounts it (engine_run.has_task_work)
                mounted = node.parameters.get("location") or mounted
            continue
        sample_id = model.sample_of(start)
        if sample_id is None:
            continue
        sample = model.get_node(sample_id)
        location = sample.parameters.get("location")
        if location and location != mounted:
            raise Refused(
                f"{node.describe()} belongs to {sample_label(sample)}, which is not mounted "
                f"when it would run ({mounted or 'nothing'} would be on the goniometer): "
                "select its sample too, or run its sample"
            )
