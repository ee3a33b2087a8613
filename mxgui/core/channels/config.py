"""mxcubecore's ``<channel>`` and ``<command>`` elements, read into typed specs.

The forms (as mxcubecore's ``HardwareObjectFileParser`` and ``CommandContainer`` read
them):

- short form, attributes and text::

      <tangoname>tango://host:10000/bl/mot/phi</tangoname>
      <channel type="tango" name="position" polling="events">Position</channel>
      <channel type="tango" name="temp" tangoname="bl/th/1" polling="1000">Temp</channel>
      <channel type="epics" name="rbv" polling="500">BL:MTR1.RBV</channel>
      <command type="tango" name="stop">Stop</command>

  The text is the Tango attribute or command, or the EPICS PV. A Tango binding without
  ``tangoname`` takes the object's ``<tangoname>`` property.
- long form, child elements, with ``<toexecute>`` holding what the text holds above::

      <command><type>tango</type><name>stop</name><toexecute>Stop</toexecute></command>

``polling`` is ``events`` or a period in milliseconds; ``timeout`` is in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mxgui.core.errors import ConfigError
from mxgui.core.xml_config import Binding, ConfigNode

SYSTEMS = ("tango", "epics")
DEFAULT_TIMEOUT = 3.0  # seconds, for a read or a write
DEFAULT_POLLING = 0.5  # seconds, where a Tango attribute offers no events


@dataclass(frozen=True)
class BindingSpec:
    """One channel or command of a hardware object, ready to connect.

    Attributes
    ----------
    kind
        ``channel`` or ``command``.
    name
        The name the hardware object asks for (``get_channel("position")``).
    system
        ``tango`` or ``epics``.
    device
        The Tango device (its address as configured) or, for EPICS, the PV.
    target
        The Tango attribute or command; for EPICS the PV again.
    polling
        ``None`` for events (CA monitors, Tango change events), else the period in
        seconds at which the value is read.
    timeout
        Seconds a read or a write may take.
    where
        ``file:line`` of the element, for messages.
    """

    kind: str
    name: str
    system: str
    device: str
    target: str
    polling: float | None
    timeout: float
    where: str

    @property
    def label(self) -> str:
        """``tango device bl/mot/phi, attribute Position (channel "position")``."""
        if self.system == "epics":
            return f'EPICS PV {self.target} ({self.kind} "{self.name}")'
        what = "command" if self.kind == "command" else "attribute"
        return f'Tango device {self.device}, {what} {self.target} ({self.kind} "{self.name}")'

    @property
    def tango_device_address(self) -> str:
        """The device's address for pytango (``tango://`` added before ``host:port``)."""
        device = self.device.strip()
        first = device.removeprefix("tango://").split("/", 1)[0]
        if ":" in first and not device.startswith("tango://"):
            device = "tango://" + device  # mxcubecore's host:port/domain/family/member
        return device

    @property
    def tango_address(self) -> str:
        """The attribute or command address for pytango / ophyd-async:
        ``tango://host:port/a/b/c/attr#dbase=no`` (or ``a/b/c/attr`` with TANGO_HOST)."""
        device, _, options = self.tango_device_address.partition("#")
        address = f"{device.rstrip('/')}/{self.target}"
        return f"{address}#{options}" if options else address


@dataclass(frozen=True)
class DefaultBinding:
    """A channel or command a hardware-object class makes when its file has no element
    of that name: a Tango motor's ``Position`` on the object's ``<tangoname>``, a motor
    record's ``.RBV`` field after the object's ``<pv_prefix>``.

    ``prop`` names the property the binding comes from, so that a message points at
    that property's line (else at the object's element).
    """

    system: str
    target: str
    polling: float | None = None
    prop: str | None = None

    def binding(self, kind: str, name: str, node: ConfigNode) -> Binding:
        """The element this default stands for, placed at ``prop``'s line of ``node``."""
        line = node.property_lines.get(self.prop) if self.prop else None
        attributes = {} if self.polling is None else {"polling": str(self.polling * 1000)}
        return Binding(
            kind=kind,
            name=name,
            type=self.system,
            attributes=attributes,
            text=self.target,
            line=line or node.line,
        )


def binding_spec(
    node: ConfigNode, binding: Binding, properties: Mapping[str, object]
) -> BindingSpec:
    """The spec of ``binding`` (an element of ``node``), taking ``tangoname`` from the
    object's ``properties`` when the element has none.

    Raises
    ------
    ConfigError
        naming the file and line, for a control system mxgui does not speak or a
        binding without its attribute, command, PV or device.
    """
    values = {**binding.fields, **binding.attributes}
    system = (binding.type or "").strip().lower()
    where = f"<{binding.kind} name={binding.name!r}>"
    if system not in SYSTEMS:
        raise node.error(
            f'{where}: type="{binding.type}" is not a control system mxgui speaks; '
            f"expected one of {', '.join(SYSTEMS)}",
            binding.line,
        )
    target = (binding.text or values.get("toexecute", "")).strip()
    if not target:
        thing = (
            "PV" if system == "epics" else ("command" if binding.kind == "command" else "attribute")
        )
        raise node.error(
            f"{where}: no {thing} given (the element's text, or <toexecute> in the long form)",
            binding.line,
        )
    if system == "tango":
        device = str(values.get("tangoname") or properties.get("tangoname") or "").strip()
        if not device:
            raise node.error(
                f'{where}: no Tango device: give tangoname="..." or the object a <tangoname>',
                binding.line,
            )
    else:
        device = target
    return BindingSpec(
        kind=binding.kind,
        name=binding.name,
        system=system,
        device=device,
        target=target,
        polling=_polling(node, binding, values.get("polling")),
        timeout=_milliseconds(node, binding, "timeout", values.get("timeout"), DEFAULT_TIMEOUT),
        where=ConfigError(node.path, binding.line, "").where,
    )


def _polling(node: ConfigNode, binding: Binding, text: str | None) -> float | None:
    if text is None or text.strip().lower() in ("", "events", "none"):
        return None
    return _milliseconds(node, binding, "polling", text, DEFAULT_POLLING)


def _milliseconds(
    node: ConfigNode, binding: Binding, key: str, text: str | None, default: float
) -> float:
    if text is None or not text.strip():
        return default
    try:
        milliseconds = float(text)
    except ValueError:
        milliseconds = -1.0
    if not milliseconds > 0:
        raise node.error(
            f'<{binding.kind} name="{binding.name}">: {key}="{text}": expected a number of '
            "milliseconds above 0" + (' or "events"' if key == "polling" else ""),
            binding.line,
        )
    return milliseconds / 1000.0
