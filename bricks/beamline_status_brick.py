"""The beamline at a glance: one line of the values a user checks before every collection."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PyQt5.QtCore import QSize, Qt
from PyQt5.QtGui import QResizeEvent
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from bricks.beam_brick import format_size
from bricks.machine_info_brick import CURRENT_COLOURS
from bricks.shutter_brick import POSITION_COLOURS
from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.detector import AbstractDetector
from hardware_objects.abstract.energy import AbstractEnergy
from hardware_objects.abstract.lims import AbstractLims
from hardware_objects.abstract.machine_info import AbstractMachineInfo
from hardware_objects.abstract.resolution import AbstractResolution
from hardware_objects.abstract.sample_changer import AbstractSampleChanger
from hardware_objects.abstract.shutter import CLOSED, AbstractShutter
from hardware_objects.abstract.transmission import AbstractTransmission
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.lims.status_button import LimsLevel, status_text
from mxgui.gui.properties import PropertyValue
from mxgui.gui.state_colours import STATE_COLOURS

log = logging.getLogger(__name__)

State = HardwareObjectState
#: states whose value is not to be trusted: the item says the state instead of hiding it
DOUBTFUL = (State.FAULT, State.UNKNOWN, State.OFF)
#: the narrowest a name field asks for before it elides (the full text is in its
#: tooltip): "Sample: 1:01 Insu…", "LIMS: not logg…" still say what they are about
ITEM_MIN_WIDTH = 120
#: the fields whose text may be long (names): they take the room the numbers leave and
#: elide below it; the numbers drop their word ("Res", "Trans") first when room is short
ELIDING = frozenset({"sample_changer", "lims"})
UNAVAILABLE_COLOUR = STATE_COLOURS[State.FAULT]
#: the LIMS field's background for each level of its status
LIMS_COLOURS = {
    LimsLevel.OK: "",
    LimsLevel.WARNING: STATE_COLOURS[State.WARNING],
    LimsLevel.ERROR: STATE_COLOURS[State.FAULT],
}


class StatusItem(QLabel):
    """One field of the strip: a short text, elided when the strip is narrow (the whole
    text and the details in the tooltip), on a background that tells its state."""

    def __init__(self, name: str, elides: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        #: whether the item gives up room first (a long name) or keeps its whole text
        self.elides = elides
        self._full = "–"
        #: the text without its leading word, shown when the whole text does not fit
        self._short = ""
        #: the strip is short of room: the item asks only for its short text's width
        self.compact = False
        self._background = ""
        self.setContentsMargins(5, 1, 5, 1)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.setTextFormat(Qt.PlainText)
        self.show_text("–")

    def full_text(self) -> str:
        """The text the item shows when it has room (what a test or a script reads)."""
        return self._full

    def background(self) -> str:
        """The background colour shown (empty: the window's)."""
        return self._background

    def show_text(
        self, text: str, background: str = "", details: str = "", short: str = ""
    ) -> None:
        """Show ``text`` on ``background`` (a colour, empty for none); the tooltip is
        the text followed by ``details``. ``short`` (the text without its leading word)
        is shown instead when the whole text does not fit."""
        tooltip = f"{text}\n{details}" if details else text
        if (text, background, tooltip, short) == (
            self._full,
            self._background,
            self.toolTip(),
            self._short,
        ):
            return  # a readback repeated: no restyle, no relayout
        if background != self._background or not self.styleSheet():
            bold = "font-weight: bold;" if background else ""
            colour = f"background-color: {background}; border-radius: 3px;" if background else ""
            self.setStyleSheet(f"QLabel {{ {colour} {bold} }}")
        self._full, self._short, self._background = text, short, background
        self.setToolTip(tooltip)
        self._elide()
        self.updateGeometry()

    def _elide(self) -> None:
        room = self.contentsRect().width()
        shown = self._full
        metrics = self.fontMetrics()
        if room > 0 and metrics.horizontalAdvance(shown) > room:
            shown = self._short or shown
            if metrics.horizontalAdvance(shown) > room:
                shown = metrics.elidedText(shown, Qt.ElideRight, room)
        super().setText(shown)

    def text_width(self, text: str) -> int:
        """The width ``text`` needs in this item, margins included."""
        margins = self.contentsMargins()
        return self.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right() + 2

    def full_width(self) -> int:
        """The width the whole text needs."""
        return self.text_width(self._full)

    def set_compact(self, compact: bool) -> None:
        """Ask only for the short text's room (the strip is short of room), or again
        for the whole text's."""
        if compact != self.compact:
            self.compact = compact
            self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        hint = super().sizeHint()
        compact = self.compact and self._short
        hint.setWidth(self.text_width(self._short if compact else self._full))
        return hint

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        hint = self.sizeHint()
        if self.elides:
            hint.setWidth(min(hint.width(), ITEM_MIN_WIDTH))
        elif self._short:
            hint.setWidth(self.text_width(self._short))
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._elide()


def state_background(state: HardwareObjectState) -> str:
    """No colour while all is well (the strip stays calm), the state's colour otherwise."""
    return "" if state is State.READY else STATE_COLOURS.get(state, STATE_COLOURS[State.UNKNOWN])


def with_state(text: str, state: HardwareObjectState) -> str:
    """``text``, followed by the state when the value is not to be trusted."""
    return f"{text} ({state.name})" if state in DOUBTFUL else text


class BeamlineStatusBrick(Brick):
    """Energy and wavelength, resolution, transmission, beam size and aperture, detector
    distance, ring current, the safety and fast shutters (open green; closed red for
    the safety shutter, plain for the fast one, whose idle state it is),
    the mounted sample and the LIMS user and state, in one line that follows the objects
    live. An empty property hides its field; a field whose object is in FAULT, UNKNOWN
    or not answering says so, in colour."""

    PROPERTIES = (
        p.hardware_object("energy", "", "the energy object", AbstractEnergy),
        p.hardware_object("resolution", "", "the resolution object", AbstractResolution),
        p.hardware_object("transmission", "", "the transmission object", AbstractTransmission),
        p.hardware_object("beam", "", "the beam (size and aperture)", AbstractBeam),
        p.hardware_object("detector", "", "the detector (its distance)", AbstractDetector),
        p.hardware_object("machine_info", "", "the storage ring", AbstractMachineInfo),
        p.hardware_object("safety_shutter", "", "the safety shutter", AbstractShutter),
        p.hardware_object("fast_shutter", "", "the fast shutter", AbstractShutter),
        p.hardware_object("sample_changer", "", "the mounted sample", AbstractSampleChanger),
        p.hardware_object("lims", "", "the logged-in user and the LIMS state", AbstractLims),
        p.floating("low_current", 50.0, "ring current (mA) below which it is yellow", 0.0),
    )

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        #: the fields, by the name of the property that feeds each
        self.items: dict[str, StatusItem] = {}
        #: what reads each field's object and shows it
        self._refreshers: dict[str, Callable[[], None]] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 1, 4, 1)
        row.setSpacing(6)
        for prop in self.declared_properties().values():
            if prop.kind is p.PropertyKind.HARDWARE_OBJECT:
                item = StatusItem(prop.name, elides=prop.name in ELIDING)
                item.hide()
                self.items[prop.name] = item
                row.addWidget(item, 1 if item.elides else 0)  # they share the room left
        # the LIMS field ends the line, however wide the window
        self.items["lims"].setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "low_current":
            self._refresh("machine_info")
            return
        item = self.items[name]
        obj = self.hardware_object(name)
        self._refreshers.pop(name, None)
        item.setVisible(bool(new_value))
        if obj is None:  # none named (hidden), or not loaded (set_failed showed why)
            return
        refresh, sources = self._binder(name, obj)
        self._refreshers[name] = refresh
        for emitter, signals in sources:
            for signal in (*signals, "stateChanged"):
                self.bind(emitter, signal, lambda *_args, n=name: self._refresh(n), scope=name)
        self._refresh(name)

    def _binder(
        self, name: str, obj: HardwareObject
    ) -> tuple[Callable[[], None], list[tuple[HardwareObject, tuple[str, ...]]]]:
        """What shows the field of ``name``, and the objects and signals (besides
        ``stateChanged``) that change it: the detector's field follows its distance motor."""
        if isinstance(obj, AbstractEnergy):
            return lambda: self._show_energy(obj), [(obj, ("valueChanged", "wavelengthChanged"))]
        if isinstance(obj, AbstractResolution):
            return lambda: self._show_number(name, obj, "Res", "{:.2f} Å"), [
                (obj, ("valueChanged",))
            ]
        if isinstance(obj, AbstractTransmission):
            return lambda: self._show_number(name, obj, "Trans", "{:.1f} %"), [
                (obj, ("valueChanged",))
            ]
        if isinstance(obj, AbstractBeam):
            return lambda: self._show_beam(obj), [(obj, ("beamSizeChanged", "apertureChanged"))]
        if isinstance(obj, AbstractDetector):
            motor = obj.get_distance_motor()
            return lambda: self._show_distance(obj), [(obj, ()), (motor, ("valueChanged",))]
        if isinstance(obj, AbstractMachineInfo):
            return lambda: self._show_machine(obj), [(obj, ("valueChanged",))]
        if isinstance(obj, AbstractShutter):
            return lambda: self._show_shutter(name, obj), [(obj, ("valueChanged",))]
        if isinstance(obj, AbstractSampleChanger):
            return lambda: self._show_sample(obj), [(obj, ("loadedSampleChanged",))]
        if isinstance(obj, AbstractLims):
            return lambda: self._show_lims(obj), [(obj, ("loginChanged", "limsStatusChanged"))]
        raise TypeError(f"{name}: {type(obj).__name__} is not shown by the status strip")

    def _refresh(self, name: str) -> None:
        refresh = self._refreshers.get(name)
        if refresh is not None and not self.items[name].property("unavailable"):
            refresh()
            self._fit_words()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._fit_words()

    def _fit_words(self) -> None:
        """When the whole texts do not fit the strip, the numbers drop their word
        ("Res", "Trans"...) so that the names (sample, LIMS), read as text, keep room."""
        shown = [item for item in self.items.values() if not item.isHidden()]
        if not shown:
            return
        row = self.layout()
        outer, inner = self.contentsMargins(), row.contentsMargins()
        room = self.width() - outer.left() - outer.right() - inner.left() - inner.right()
        room -= row.spacing() * (len(shown) - 1)
        compact = sum(item.full_width() for item in shown) > room
        for item in shown:
            if not item.elides:
                item.set_compact(compact)

    # one field each -------------------------------------------------------------------------
    def _show_energy(self, energy: AbstractEnergy) -> None:
        value, state = energy.get_value(), energy.get_state()
        wavelength = energy.get_wavelength() if value is not None else None
        text = "E –" if value is None else f"{value:.3f} keV"
        if wavelength is not None:
            text += f" · {wavelength:.5f} Å"  # as image headers give it (0.97625 Å)
        self.items["energy"].show_text(
            with_state(text, state), state_background(state), f"energy: {state.name}"
        )

    def _show_number(
        self,
        name: str,
        obj: AbstractResolution | AbstractTransmission,
        title: str,
        form: str,
    ) -> None:
        value, state = obj.get_value(), obj.get_state()
        number = "–" if value is None else form.format(value)
        self.items[name].show_text(
            with_state(f"{title} {number}", state),
            state_background(state),
            f"{name}: {state.name}",
            short=with_state(number, state),
        )

    def _show_beam(self, beam: AbstractBeam) -> None:
        state = beam.get_state()
        size = format_size(beam.get_beam_size())
        aperture = beam.get_aperture()
        if aperture is not None:
            size += f" · {aperture}"
        details = f"shape: {beam.get_beam_shape()}; aperture: {aperture or 'not known'}"
        self.items["beam"].show_text(
            with_state(f"Beam {size}", state),
            state_background(state),
            details,
            short=with_state(size, state),
        )

    def _show_distance(self, detector: AbstractDetector) -> None:
        motor = detector.get_distance_motor()
        value = motor.get_value()
        worst = min(
            (detector.get_state(), motor.get_state()),
            key=lambda s: (s is not State.FAULT, s is not State.UNKNOWN, s is not State.BUSY),
        )
        number = "–" if value is None else f"{value:.1f} {motor.unit or 'mm'}"
        self.items["detector"].show_text(
            with_state(f"Det {number}", worst),
            state_background(worst),
            f"detector {detector.get_model()}: {detector.get_state().name}; "
            f"distance: {motor.get_state().name}",
            short=with_state(number, worst),
        )

    def _show_machine(self, machine: AbstractMachineInfo) -> None:
        values, state = machine.get_value(), machine.get_state()
        current = values.get("current")
        if not values.get("beam_available"):
            status, colour = "no beam", CURRENT_COLOURS["lost"]
        elif current is not None and current < self.get_property("low_current"):
            status, colour = "low current", CURRENT_COLOURS["low"]
        else:
            status, colour = "beam", ""
        number = "–" if current is None else f"{current:.1f} mA"
        if state in DOUBTFUL:
            colour = state_background(state)
        message = values.get("message") or ""
        self.items["machine_info"].show_text(
            with_state(f"Ring {number}", state),
            colour,
            f"{status}; {message}".rstrip("; "),
            short=with_state(number, state),
        )

    def _show_shutter(self, name: str, shutter: AbstractShutter) -> None:
        value, state = shutter.get_value(), shutter.get_state()
        title = "Safety" if name == "safety_shutter" else "Fast"
        if state is State.BUSY:
            text, colour = "MOVING", STATE_COLOURS[state]
        elif state in DOUBTFUL:
            text, colour = state.name, STATE_COLOURS[state]
        elif name == "fast_shutter" and value == CLOSED:
            # closed is its idle state: a red there all day would teach users to ignore red
            text, colour = CLOSED, ""
        else:
            text = str(value)
            colour = POSITION_COLOURS.get(text, STATE_COLOURS[State.UNKNOWN])
        self.items[name].show_text(f"{title}: {text}", colour, f"{shutter.username}: {text}")

    def _show_sample(self, changer: AbstractSampleChanger) -> None:
        sample, state = changer.get_loaded_sample(), changer.get_state()
        text = "Sample: " + (sample.describe() if sample is not None else "none")
        self.items["sample_changer"].show_text(
            with_state(text, state),
            state_background(state) if state is not State.BUSY else STATE_COLOURS[state],
            f"sample changer: {changer.get_sc_state().name}; {changer.get_status_message()}",
        )

    def _show_lims(self, lims: AbstractLims) -> None:
        login = lims.get_login()
        text, level = status_text(None if login is None else login.as_dict(), lims.get_status())
        colour = LIMS_COLOURS[level]
        reason = lims.get_status().get("reason") or ""
        self.items["lims"].show_text(text, colour, str(reason))

    # an object that failed to load: its field only, not the whole strip ------------------------
    def set_failed(self, reason: str) -> None:
        """An object that could not be loaded turns its own field red (the reason in its
        tooltip, the brick's failure reported with its line as for any brick); the
        other fields keep working. Any other failure is the whole brick's."""
        prop = self.failed_property
        if prop not in self.items:
            super().set_failed(reason)
            return
        self.failure = reason
        log.error("brick %s: %s", self.name, reason)
        self.items[prop].show_text(f"{prop}: failed", UNAVAILABLE_COLOUR, reason)
        self.items[prop].show()

    # a device that does not answer: that field only ------------------------------------------
    def _availability(self, prop: str, reason: str) -> None:
        """Overrides the base's whole-brick red: in a strip of ten fields, only the
        field whose device does not answer turns red (the reason in its tooltip)."""
        item = self.items.get(prop)
        if item is None:
            super()._availability(prop, reason)
            return
        item.setProperty("unavailable", bool(reason))
        if reason:
            item.show_text(f"{prop}: not answering", UNAVAILABLE_COLOUR, reason)
        else:
            self._refresh(prop)
