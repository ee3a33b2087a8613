"""Whether the sample on the goniometer is centred on this mount (the queue's memory of it).

"Centred" means: a centring was accepted (``centringAccepted`` of the diffractometer,
from the sample view or the queue's own manual centring) after the sample now on the
goniometer was mounted, and the sample changer has loaded or unloaded nothing since.
A Sample entry whose centring is ``manual`` then does not ask again; ``recentre``
always asks. :class:`MountWatch` is owned by the queue engine; it follows the sample
changer's ``loadedSampleChanged`` and the diffractometer's ``centringAccepted`` (from
any thread).
"""

from __future__ import annotations

import logging
import threading

from mxgui.core.errors import UnknownSignalError
from mxgui.core.queue.entries.base import Beamline, beamline_role

log = logging.getLogger(__name__)


class MountWatch:
    """Counts mounts and remembers the mount on which the last centring was accepted."""

    def __init__(self, beamline: Beamline) -> None:
        self._lock = threading.Lock()
        self._mount = 0
        self._centred_on: int | None = None
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

    def _centred(self, *_position: object) -> None:
        self.mark_centred()

    def mark_centred(self) -> None:
        """The sample mounted now has been centred."""
        with self._lock:
            self._centred_on = self._mount

    def is_centred(self, location: str | None) -> bool:
        """True when ``location`` (``None``: a sample mounted by hand) is on the
        goniometer and was centred on this mount."""
        with self._lock:
            if self._centred_on != self._mount:
                return False
        loaded = self._changer.get_loaded_sample() if self._changer is not None else None
        address = loaded.address if loaded is not None else None
        return address == (location or None)
