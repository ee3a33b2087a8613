"""The shapes of the mounted sample as a hardware object, reachable by role, kept in a
file per sample (:mod:`mxgui.core.shapes_file`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import ClassVar

from hardware_objects.abstract.sample_changer import AbstractSampleChanger, Sample
from hardware_objects.role_objects import optional_role_object
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty
from mxgui.core.queue.persistence import set_aside
from mxgui.core.shapes import ShapesModel
from mxgui.core.shapes_file import (
    ShapesFileError,
    ShapesSaver,
    default_shapes_dir,
    read,
    sample_key,
)

log = logging.getLogger(__name__)


class SampleShapes(HardwareObject, ShapesModel):
    """Saved points, lines and grids of the mounted sample (role ``shapes``).

    The sample view draws and edits them, the queue and XML-RPC read them. They are
    positions on one sample: with a ``sample_changer`` role, mounting another sample
    saves the shapes of the last one and shows those saved for the new one (none for
    a sample never seen). Each sample's shapes, grid results included, are in
    ``<shapes_dir>/<address>.json`` (``3:05`` -> ``3-05.json``; a sample mounted by
    hand, or no sample changer: ``manual.json``), written in the background once
    changes pause and at shutdown, and read at start for the sample mounted then.

    XML properties: ``shapes_dir`` (empty: ``$MXGUI_DATA_DIR/.mxgui/shapes``),
    ``save_quiet`` and ``save_max_delay`` (seconds). Reading at start writes
    nothing (``mxgui --check``): an unusable file is logged, naming it, and moved
    aside (``<name>.bad-<time>``) before the first save over it; one met when a sample
    is mounted later is moved aside at once.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "shapes_dir": HOProperty(str, "", "folder of the shapes files (empty: the data directory)"),
        "save_quiet": HOProperty(float, 0.5, "seconds without a change before a save"),
        "save_max_delay": HOProperty(float, 5.0, "longest a change stays unsaved, seconds"),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.directory = Path()
        self._mounted: str | None = None
        self.saver = ShapesSaver(self)

    def init(self) -> None:
        configured = self.get_property("shapes_dir")
        self.directory = (
            Path(os.path.expanduser(os.path.expandvars(configured)))
            if configured
            else default_shapes_dir()
        )
        self.saver.quiet = self.get_property("save_quiet")
        self.saver.max_delay = self.get_property("save_max_delay")
        changer = optional_role_object(self, "sample_changer", AbstractSampleChanger)
        if changer is not None:
            self._mounted = self._address(changer.get_loaded_sample())
        self._switch_to(self._mounted, at_start=True)
        if changer is not None:
            changer.connect("loadedSampleChanged", self._on_loaded_sample)
        self.set_state(HardwareObjectState.READY)

    def shutdown(self) -> None:
        self.saver.stop()
        super().shutdown()

    def holds(self, location: str | None) -> bool:
        """True when the shapes shown are those of the sample at ``location``: a task's
        reference to a saved point or a grid is checked only then, as in MXCuBE
        (another sample's P1 is another point). A sample mounted by hand (``None``)
        is whatever is on the goniometer: the shapes shown are always its own."""
        return not location or location == self._mounted

    def file_of(self, address: str | None) -> Path:
        """The shapes file of the sample at ``address`` (``None``: mounted by hand)."""
        return self.directory / f"{sample_key(address)}.json"

    @staticmethod
    def _address(sample: Sample | None) -> str | None:
        return sample.address if sample is not None else None

    def _on_loaded_sample(self, sample: Sample | None) -> None:
        address = self._address(sample)
        if address != self._mounted:
            self._mounted = address
            self._switch_to(address, at_start=False)

    def _switch_to(self, address: str | None, at_start: bool) -> None:
        """Save the shapes shown, then show those of the sample at ``address``."""
        path = self.file_of(address)
        with self.saver.replacing(path, address or "manual"):
            try:
                shapes, results = read(path)
            except FileNotFoundError:
                shapes, results = [], {}
            except ShapesFileError as exc:
                shapes, results = [], {}
                if at_start:  # nothing on disk changes at start (mxgui --check)
                    self.saver.bad_files.add(path)
                    log.error("%s; it is moved aside when these shapes are saved", exc)
                else:
                    aside = set_aside(path, "bad")
                    log.error("%s; it was moved to %s", exc, aside)
            if shapes or len(self):
                self.replace_all(shapes, results)
        if shapes:
            log.info("%d shapes of sample %s read from %s", len(shapes), address or "manual", path)
