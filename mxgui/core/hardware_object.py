"""The base class of every hardware object: typed properties, roles, state, signals."""

from __future__ import annotations

import enum
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mxgui.core.channels import ConnectionWatch, DefaultBinding, ObjectBindings
from mxgui.core.errors import ConfigError
from mxgui.core.interlock import Interlock
from mxgui.core.signals import SignalEmitter
from mxgui.core.xml_config import ConfigNode

if TYPE_CHECKING:
    from mxgui.core.channels import Channel, Command


class HardwareObjectState(enum.Enum):
    """The states every hardware object reports, as in mxcubecore."""

    UNKNOWN = 0
    WARNING = 1
    BUSY = 2
    READY = 3
    FAULT = 4
    OFF = 5


_NO_DEFAULT = object()


@dataclass(frozen=True)
class HOProperty:
    """A property a hardware-object class declares: its type, default and meaning.

    A declared property is checked when the XML file is loaded, so ``<velocity>fast
    </velocity>`` is reported with file and line instead of failing during a move.

    ``HOProperty(list)`` declares a list: every value of the repeated element, in file
    order (one element gives a one-item list). Any other property repeated in a file
    takes its last value, as in mxcubecore. The text ``None`` is None, which a declared
    property accepts only when its default is None.
    """

    type: type
    default: Any = _NO_DEFAULT
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT

    def convert(self, value: object) -> Any:
        """``value`` as this property's type, or ``ValueError`` saying what was expected."""
        if value is None:
            if self.default is None:
                return None
            raise ValueError(f"expected {_type_name(self.type)}, got None")
        if self.type is list:
            return list(value) if isinstance(value, (list, tuple)) else [value]
        if self.type is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isnan(value):
                raise ValueError(f"expected {_type_name(self.type)}, got nan")
            return float(value)
        if self.type is str:
            return str(value)
        if isinstance(value, self.type) and not (self.type is int and isinstance(value, bool)):
            return value
        raise ValueError(f"expected {_type_name(self.type)}, got {value!r}")


def _type_name(kind: type) -> str:
    return {
        int: "an integer",
        float: "a number",
        bool: "true or false",
        str: "text",
        list: "a list (the element repeated)",
    }.get(kind, kind.__name__)


class HardwareObject(SignalEmitter):
    """A piece of beamline hardware (or a service) configured by one XML file.

    Subclasses declare the signals they emit (``SIGNALS``), the properties they read
    (``PROPERTIES``) and the roles they need (``REQUIRED_ROLES``), and override
    :meth:`init`, which runs once after the configuration and references are in place.
    Hardware objects never import Qt; they may emit from any thread.

    An object on a control system watches its channels (:meth:`watch_channels`): while
    one does not answer the object is in FAULT, :meth:`unavailable_reason` names the
    device and channel, and ``availabilityChanged(reason)`` tells the bricks (an empty
    reason when the device is back; :meth:`connection_restored` then reads its state
    again).
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("stateChanged", "availabilityChanged")
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {}
    REQUIRED_ROLES: ClassVar[tuple[str, ...]] = ()
    #: while a collection or mesh runs, outside callers may not move this object (see
    #: ``mxgui.core.interlock``); an owner sets it on its parts (the goniometer motors)
    interlocked: bool = False

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.config: ConfigNode | None = None
        self._properties: dict[str, Any] = {}
        self._roles: dict[str, HardwareObject] = {}
        self._contained: dict[str, list[HardwareObject]] = {}
        self._state = HardwareObjectState.UNKNOWN
        self._state_condition = threading.Condition()
        #: shared by every object of a repository (which sets it); held by the queue
        self.interlock = Interlock()
        #: set by a repository loaded for ``mxgui --check``: write nothing, send nothing
        self.check_only = False
        #: made again by configure(), on the file (connections start on first use)
        self._bindings = ObjectBindings(None, self._properties)
        self._watch = ConnectionWatch(self._connection_changed)
        self._unavailable = ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # configuration ---------------------------------------------------------------
    @classmethod
    def declared_properties(cls) -> dict[str, HOProperty]:
        """Declared properties of this class and its bases (subclasses win)."""
        merged: dict[str, HOProperty] = {}
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("PROPERTIES", {}))
        return merged

    def configure(self, node: ConfigNode) -> None:
        """Take the properties of ``node``, checking the declared ones' types."""
        self.config = node
        values = dict(node.properties)
        for name, spec in self.declared_properties().items():
            if name in values:
                if spec.type is list and name in node.property_values:
                    values[name] = list(node.property_values[name])
                    continue
                if (
                    spec.type is str
                    and name in node.property_texts
                    and values[name] is not None
                    and not isinstance(values[name], list)
                ):
                    # text as written: "007" stays "007", not the number 7
                    values[name] = node.property_texts[name]
                    continue
                try:
                    values[name] = spec.convert(values[name])
                except ValueError as exc:
                    raise node.error(
                        f"property <{name}>: {exc}", node.property_lines.get(name)
                    ) from None
            elif spec.required:
                raise node.error(
                    f"{type(self).__name__} needs a <{name}> property ({_type_name(spec.type)})"
                )
            else:
                values[name] = spec.default
        self._properties = values
        self._bindings = ObjectBindings(node, values)

    def get_property(self, name: str, default: object = None) -> Any:
        """The typed value of property ``name`` (``default`` if it is not set)."""
        return self._properties.get(name, default)

    @property
    def properties(self) -> dict[str, Any]:
        """A copy of all property values."""
        return dict(self._properties)

    def get_nodes(self, tag: str) -> list[ConfigNode]:
        """The sub-nodes named ``tag`` (an empty list when there are none)."""
        return list(self.config.children.get(tag, ())) if self.config else []

    def get_channel(self, name: str, default: DefaultBinding | None = None) -> Channel:
        """The ``<channel name=...>`` of this object's file, connecting (see
        :mod:`mxgui.core.channels`); without one, the class's ``default`` (e.g.
        ``DefaultBinding("tango", "Position", prop="tangoname")``); ``ConfigError``
        with file:line if there is neither."""
        return self._bindings.channel(name, default)

    def get_command(self, name: str, default: DefaultBinding | None = None) -> Command:
        """The ``<command name=...>`` of this object's file (see :meth:`get_channel`)."""
        return self._bindings.command(name, default)

    # connection ------------------------------------------------------------------------
    def watch_channels(self, *channels: Channel) -> None:
        """Put the object in FAULT, with the reason, while any of ``channels`` does not
        answer, and call :meth:`connection_restored` when they all answer again."""
        for channel in channels:
            self._watch.add(channel)

    def unavailable_reason(self) -> str:
        """Why the object's device does not answer (device, channel and cause), or an
        empty text while it does (or the object has no channels)."""
        return self._unavailable

    def _connection_changed(self, reason: str) -> None:
        self._unavailable = reason
        if reason:
            self.set_state(HardwareObjectState.FAULT)
        self.emit("availabilityChanged", reason)
        if not reason:
            self.connection_restored()

    def connection_restored(self) -> None:
        """The watched channels answer again: read the state anew (override; the base
        sets READY)."""
        self.set_state(HardwareObjectState.READY)

    def add_role(self, role: str, obj: HardwareObject) -> None:
        """Attach ``obj`` under ``role`` (done by the repository). Roles are kept in
        lower case: ``role="Zoom"`` and ``role="zoom"`` are one role, as in mxcubecore."""
        self._roles[role.lower()] = obj

    def has_role(self, role: str) -> bool:
        """Whether an object is attached under ``role`` (in any case)."""
        return role.lower() in self._roles

    def get_object_by_role(self, role: str) -> HardwareObject | None:
        """The hardware object attached under ``role`` (in any case), or ``None``."""
        return self._roles.get(role.lower())

    @property
    def roles(self) -> dict[str, HardwareObject]:
        """A copy of the role -> object mapping (roles in lower case)."""
        return dict(self._roles)

    def add_contained(self, container: str, obj: HardwareObject) -> None:
        """Record ``obj`` as one of the objects inside sub-element ``container`` (done by
        the repository for ``<motors><object href=... role=.../></motors>``)."""
        self._contained.setdefault(container, []).append(obj)

    def get_objects(self, container: str) -> list[HardwareObject]:
        """The objects referenced or nested inside sub-element ``container``, in file
        order (``get_objects("motors")``); empty when there are none. Each is also
        reachable by its role with :meth:`get_object_by_role`."""
        return list(self._contained.get(container, ()))

    def config_error(self, message: str, prop: str | None = None) -> ConfigError:
        """A :class:`ConfigError` at this object's file (for use in :meth:`init`).

        With ``prop``, the error points at the line of that property when the file
        sets it (else at the object's element).
        """
        if self.config is None:
            return ConfigError(None, None, f"{self.name}: {message}")
        line = self.config.property_lines.get(prop) if prop else None
        return self.config.error(message, line)

    # lifecycle ---------------------------------------------------------------------
    def init(self) -> None:
        """Prepare the object once its configuration and roles are in place."""

    def shutdown(self) -> None:
        """Release threads and connections; called when the application quits."""

    def startup_problems(self) -> list[str]:
        """What :meth:`init` found wrong without failing (e.g. an unusable data file, a
        device that does not answer: its channel's file:line, device and reason), for
        the user; ``mxgui --check`` prints each as a ``FAILED`` line. Waits for the
        watched channels' first attempt to connect (at most their timeout)."""
        channels = self._bindings.channels()
        if not channels:
            return []
        silent, reason = self._watch.wait_settled(max(c.spec.timeout for c in channels) + 1.0)
        return [] if silent is None else [f"{silent.spec.where}: {reason}"]

    # interlock ---------------------------------------------------------------------------
    def check_interlock(self, action: str) -> None:
        """Refuse ``action`` (``InterlockRefused``, naming what runs) when this object is
        :attr:`interlocked`, a collection or mesh runs and an outside caller asks."""
        if self.interlocked:
            self.interlock.check(action)

    # state ---------------------------------------------------------------------------
    def get_state(self) -> HardwareObjectState:
        """The current state."""
        return self._state

    def set_state(self, state: HardwareObjectState) -> None:
        """Change the state and emit ``stateChanged(state)`` if it changed."""
        with self._state_condition:
            changed = state is not self._state
            self._state = state
            self._state_condition.notify_all()
        if changed:
            self.emit("stateChanged", state)

    def is_ready(self) -> bool:
        """True when the state is READY."""
        return self._state is HardwareObjectState.READY

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until READY; raise ``TimeoutError`` after ``timeout`` seconds.

        Never call this from the GUI thread.
        """
        with self._state_condition:
            if not self._state_condition.wait_for(self.is_ready, timeout):
                raise TimeoutError(
                    f"{self.name} not ready after {timeout} s (state {self._state.name})"
                )
