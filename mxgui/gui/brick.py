"""The brick base class: a Qt widget with typed properties, declared signals and slots."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QWidget

from mxgui.core.errors import HardwareObjectError
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.interlock import mark_thread_as
from mxgui.core.repository import HardwareRepository
from mxgui.core.roles.emitter import Emitter
from mxgui.core.words import with_article
from mxgui.gui.bridge import GuiBridge, Subscription
from mxgui.gui.properties import BrickProperty, PropertyKind, PropertyValue

if TYPE_CHECKING:
    from mxgui.gui.log_handler import GuiLogHandler

log = logging.getLogger(__name__)

#: the interface a brick reads a hardware-object property as
T = TypeVar("T")

FAILED_STYLE = "Brick[failed='true'] { background-color: #f6c9c4; border: 2px solid #c62828; }"
#: a brick whose hardware's device does not answer (it turns live again by itself)
UNAVAILABLE_STYLE = (
    "Brick[unavailable='true'] { background-color: #f6c9c4; border: 2px dashed #c62828; }"
)


@dataclass
class BrickContext:
    """What every brick is given: the hardware repository and the GUI-thread bridge.

    Passed explicitly to each brick (no global singletons).
    """

    repository: HardwareRepository
    bridge: GuiBridge
    log_handler: GuiLogHandler | None = None


class Brick(QWidget):
    """Base of every brick.

    A subclass declares
    - ``PROPERTIES``: :class:`BrickProperty` items a layout may set (checked at load);
    - ``SIGNALS``: names of its ``pyqtSignal`` attributes other bricks may connect to;
    - ``SLOTS``: names of its methods other bricks' signals may be connected to;

    and overrides :meth:`property_changed` (called once per property at start and on
    every later change) and, if needed, :meth:`run` (called once the whole layout is
    built and connected). A hardware-object property is resolved through the
    repository; if the object failed the brick turns red and disabled with the reason
    in its tooltip. Hardware-object signals are connected with :meth:`bind`, which
    delivers them on the GUI thread and disconnects on :meth:`cleanup`; actions on
    hardware objects are started with :meth:`start`, which reports refusals and
    failures to the user.
    """

    PROPERTIES: ClassVar[tuple[BrickProperty, ...]] = ()
    SIGNALS: ClassVar[tuple[str, ...]] = ()
    SLOTS: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.__dict__.get("SIGNALS", ()):
            if not isinstance(getattr(cls, name, None), pyqtSignal):
                raise TypeError(
                    f"{cls.__name__} declares signal {name!r} but has no pyqtSignal of that name"
                )
        for name in cls.__dict__.get("SLOTS", ()):
            if not callable(getattr(cls, name, None)):
                raise TypeError(
                    f"{cls.__name__} declares slot {name!r} but has no method of that name"
                )

    @classmethod
    def declared_properties(cls) -> dict[str, BrickProperty]:
        """Properties of this class and its bases, by name (subclasses win)."""
        merged: dict[str, BrickProperty] = {}
        for klass in reversed(cls.__mro__):
            for prop in klass.__dict__.get("PROPERTIES", ()):
                merged[prop.name] = prop
        return merged

    @classmethod
    def declared_signals(cls) -> frozenset[str]:
        return frozenset(n for k in cls.__mro__ for n in k.__dict__.get("SIGNALS", ()))

    @classmethod
    def declared_slots(cls) -> frozenset[str]:
        return frozenset(n for k in cls.__mro__ for n in k.__dict__.get("SLOTS", ()))

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # bricks live on the GUI thread: what it asks of the hardware is the user's, so
        # a collection's interlock refuses it (mxgui.core.interlock)
        mark_thread_as("the user in the GUI")
        self.context = context
        self.setObjectName(name)
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.failure: str | None = None
        #: the property whose value made the brick fail (its line is the one to report)
        self.failed_property: str | None = None
        self._values: dict[str, PropertyValue] = {
            name: prop.default for name, prop in self.declared_properties().items()
        }
        self._hardware: dict[str, HardwareObject | None] = {}
        self._subscriptions: dict[str | None, list[Subscription]] = {}
        #: why each hardware-object property's device does not answer (see unavailable)
        self._unavailable: dict[str, str] = {}
        self._before_unavailable: tuple[str, bool] | None = None
        #: set by :meth:`cleanup`: reports of actions that end later are dropped
        self.cleaned_up = False

    @property
    def name(self) -> str:
        return self.objectName()

    # properties ------------------------------------------------------------------------
    def get_property(self, name: str) -> Any:
        """The current value of property ``name``."""
        if name not in self._values:
            raise KeyError(f"{type(self).__name__} has no property {name!r}")
        return self._values[name]

    def set_property(self, name: str, value: object) -> None:
        """Validate and set property ``name``, then call :meth:`property_changed`.

        Raises ``KeyError`` for an unknown name and ``ValueError`` for a bad value.
        """
        spec = self.declared_properties().get(name)
        if spec is None:
            raise KeyError(
                f"{type(self).__name__} has no property {name!r}; it has: "
                + ", ".join(sorted(self.declared_properties()))
            )
        converted: PropertyValue = spec.convert(value)
        old = self._values.get(name)
        self._values[name] = converted
        if spec.kind is PropertyKind.HARDWARE_OBJECT:
            self._bind_hardware(spec, str(converted))  # an object's name, "" for none
        try:
            self.property_changed(name, old, converted)
        except Exception as exc:
            log.exception("%s: setting property %s failed", self.name, name)
            self.failed_property = name
            self.set_failed(f"property {name}: {type(exc).__name__}: {exc}")

    def apply_properties(self, values: Mapping[str, object]) -> None:
        """Set every declared property, from ``values`` or its default, in declared order."""
        for name in self.declared_properties():
            self.set_property(name, values.get(name, self._values[name]))

    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        """Called after property ``name`` changed; override to react."""

    @overload
    def hardware_object(self, property_name: str) -> HardwareObject | None: ...
    @overload
    def hardware_object(
        self, property_name: str, interface: type[T] | tuple[type[T], ...]
    ) -> T | None: ...
    def hardware_object(
        self,
        property_name: str,
        interface: type[object] | tuple[type[object], ...] | None = None,
    ) -> object | None:
        """The hardware object bound through ``property_name`` (``None`` if unset or failed).

        With ``interface`` (the abstract class or role protocol the brick uses, e.g.
        ``self.hardware_object("motor", AbstractMotor)``) the object is typed by it, so
        that checkers and "go to definition" follow it; ``TypeError`` if the object is
        not one (the brick asks for another interface than its property declares).
        """
        obj = self._hardware.get(property_name)
        if obj is None or interface is None or isinstance(obj, interface):
            return obj
        wanted = (interface,) if isinstance(interface, type) else interface
        raise TypeError(
            f"{type(self).__name__}.{property_name}: {type(obj).__name__} is not a "
            + " or ".join(cls.__name__ for cls in wanted)
        )

    def _bind_hardware(self, spec: BrickProperty, value: str) -> None:
        self.unbind(spec.name)
        self._hardware[spec.name] = None
        if spec.name in self._unavailable:  # the object it named is no longer this brick's
            self._availability(spec.name, "")
        if not value:
            return
        repository = self.context.repository
        try:
            if repository.live:
                obj: HardwareObject | None = repository.get(value)
                cls = type(obj)
            else:  # the designer's preview: the file is checked, nothing is connected
                obj, cls = None, repository.object_class(value)
        except HardwareObjectError as exc:
            self.failed_property = spec.name
            self.set_failed(f"{spec.name} = {value}: {exc}")
            return
        if spec.interface is not None and not issubclass(cls, spec.interface):
            self.failed_property = spec.name
            self.set_failed(
                f"{spec.name} = {value}: {cls.__name__} is not "
                f"{with_article(spec.interface.__name__)}"
            )
            return
        self._hardware[spec.name] = obj
        if obj is not None:
            name = spec.name
            self.bind(obj, "availabilityChanged", lambda r: self._availability(name, r), name)
            self._availability(name, obj.unavailable_reason())

    def _availability(self, prop: str, reason: str) -> None:
        """Red and disabled while a device behind the brick does not answer (the reason
        in the tooltip); as before once every one answers again."""
        if reason:
            self._unavailable[prop] = reason
        else:
            self._unavailable.pop(prop, None)
        if self.failure is not None:  # a failure at load stays shown
            return
        reasons = "\n".join(self._unavailable.values())
        if reasons:
            if self._before_unavailable is None:
                self._before_unavailable = (self.toolTip(), self.isEnabled())
                self.setProperty("unavailable", "true")
                self.setStyleSheet(UNAVAILABLE_STYLE)
                self.setEnabled(False)
            self.setToolTip(reasons)
        elif self._before_unavailable is not None:
            tooltip, enabled = self._before_unavailable
            self._before_unavailable = None
            self.setProperty("unavailable", "false")
            self.setStyleSheet("")
            self.setToolTip(tooltip)
            self.setEnabled(enabled)

    @property
    def unavailable(self) -> str:
        """Why a device behind the brick does not answer now (empty while all do)."""
        return "\n".join(self._unavailable.values())

    # hardware-object signals ---------------------------------------------------------------
    def bind(
        self,
        emitter: Emitter,
        signal: str,
        slot: Callable[..., object],
        scope: str | None = None,
    ) -> Subscription:
        """Call ``slot`` on the GUI thread whenever ``emitter`` emits ``signal``.

        ``scope`` groups subscriptions (the property name, usually) so that they end
        together when the property changes; all end on :meth:`cleanup`.
        """
        subscription = self.context.bridge.connect(emitter, signal, slot)
        self._subscriptions.setdefault(scope, []).append(subscription)
        return subscription

    def unbind(self, scope: str | None = None) -> None:
        """End the subscriptions of ``scope``."""
        for subscription in self._subscriptions.pop(scope, []):
            subscription.cancel()

    # hardware actions ------------------------------------------------------------------------
    def start(
        self,
        action: Callable[[], Future[Any]],
        what: str,
        show_on: QWidget | Callable[[str], None],
        *,
        refused: str = "",
        restore: Callable[[], None] | None = None,
        on_done: Callable[[Future[Any]], None] | None = None,
    ) -> Future[Any] | None:
        """Start an action on a hardware object; report a refusal or a failure to the user.

        A report is a log warning (from the brick's module) and the message in
        ``show_on``'s tooltip (or ``show_on(message)`` when it is a function),
        followed by ``restore()`` if given.

        Parameters
        ----------
        action
            Starts the action and returns its Future, e.g.
            ``lambda: motor.set_value(2.0)``. A ``ValueError`` it raises is a refusal
            (out of limits, busy, a bad value) or ``RuntimeError`` (not possible in
            the present state, e.g. no value read yet), reported at once with its message,
            after ``"{refused}: "`` if ``refused`` is given.
        what
            Names the action when its Future ends with an exception: the report
            ``"{what}: {error}"`` is made on the GUI thread, and dropped if the brick
            has been cleaned up by then. A cancelled Future is not reported.
        show_on
            The widget whose tooltip shows the report, or a function that shows (and
            logs) the message itself, such as a brick's message line.
        refused
            Prefix of the message of a refusal (none by default).
        restore
            Called after each report, e.g. to show the hardware's value again in
            place of the one that was refused.
        on_done
            Called on the GUI thread with the ended Future, whatever its outcome
            (after the failure report, if any), unless the brick has been cleaned up
            by then; e.g. to say "At P1" once a move is over. Not called on a refusal.

        Returns
        -------
        Future or None
            The action's Future, or ``None`` if the action was refused.
        """
        try:
            future = action()
        except (ValueError, RuntimeError) as exc:  # refused, or not possible in this state
            self._report_problem(f"{refused}: {exc}" if refused else str(exc), show_on, restore)
            return None

        def ended_on_gui_thread(ended: Future[Any]) -> None:
            if self.cleaned_up:  # posted before cleanup, delivered after it
                return
            error = None if ended.cancelled() else ended.exception()
            if error is not None:
                self._report_problem(f"{what}: {error}", show_on, restore)
            if on_done is not None:
                on_done(ended)

        def ended(finished: Future[Any]) -> None:
            failed = not finished.cancelled() and finished.exception() is not None
            if (failed or on_done is not None) and not self.cleaned_up:
                self.context.bridge.post(ended_on_gui_thread, finished)

        future.add_done_callback(ended)
        return future

    def _report_problem(
        self,
        message: str,
        show_on: QWidget | Callable[[str], None],
        restore: Callable[[], None] | None,
    ) -> None:
        if self.cleaned_up:
            return
        if isinstance(show_on, QWidget):
            logging.getLogger(type(self).__module__).warning("%s", message)
            show_on.setToolTip(message)
        else:
            show_on(message)
        if restore is not None:
            restore()

    # lifecycle --------------------------------------------------------------------------------
    def run(self) -> None:
        """Called once the layout is built and its connections made."""

    def cleanup(self) -> None:
        """End every subscription, stop the brick's timers and drop later action
        reports; called before the brick is destroyed."""
        self.cleaned_up = True
        for scope in list(self._subscriptions):
            self.unbind(scope)
        for timer in self.findChildren(QTimer):
            timer.stop()

    def set_failed(self, reason: str) -> None:
        """Show the brick red and disabled, with ``reason`` in its tooltip."""
        self.failure = reason
        log.error("brick %s: %s", self.name, reason)
        self.setProperty("failed", "true")
        self.setStyleSheet(FAILED_STYLE)
        self.setToolTip(reason)
        self.setEnabled(False)
