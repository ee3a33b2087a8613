"""What a class name from a site's mxcubecore files would be in mxgui (Qt-free).

A site porting its files writes ``class="TangoMotor"`` or
``class="mxcubecore.HardwareObjects.MicrodiffZoom"``: mxgui has no such class. Instead of
"no module", the repository says which of mxgui's interfaces that class would implement
and which of mxgui's classes comes closest (:func:`porting_hint`). The table names the
common classes of mxcubecore's site configurations; the names are facts about mxcubecore,
nothing of its code is used.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Equivalent:
    """mxgui's counterpart of an mxcubecore class: the interface it would implement
    (dotted below ``hardware_objects``), the closest class mxgui has, whether a
    control system (Tango, EPICS, the MD exporter...) is needed for a real one, and
    mxgui's class doing the same job on that control system when there is one."""

    interface: str
    closest: str
    control_system: str = ""
    counterpart: str = ""


_MOTOR = ("abstract.motor.AbstractMotor", "simulated.motor.SimulatedMotor")
_NSTATE = ("abstract.nstate.AbstractNState", "simulated.nstate.SimulatedNState")
_SHUTTER = ("abstract.shutter.AbstractShutter", "simulated.nstate.SimulatedShutter")


def _entries() -> dict[str, Equivalent]:
    table: dict[str, Equivalent] = {}
    groups: list[tuple[tuple[str, str], str, tuple[str, ...]]] = [
        (_MOTOR, "", ("MotorMockup", "MotorMockupBis")),
        (_MOTOR, "Tango", ("TangoMotor",)),
        (_MOTOR, "EPICS", ("EPICSMotor", "EpicsMotor")),
        (_MOTOR, "the MD exporter", ("MicrodiffMotor", "ExporterMotor", "MD2Motor")),
        (_MOTOR, "Sardana", ("SardanaMotor",)),
        (_MOTOR, "SPEC", ("SpecMotor",)),
        (_NSTATE, "", ("ApertureMockup", "MicrodiffZoomMockup", "MicrodiffApertureMockup")),
        (
            _NSTATE,
            "the MD exporter",
            ("ExporterNState", "MicrodiffZoom", "MicrodiffAperture", "MicrodiffInOut"),
        ),
        (_SHUTTER, "", ("ShutterMockup",)),
        (_SHUTTER, "Tango", ("TangoShutter",)),
        (_SHUTTER, "EPICS", ("EPICSShutter", "EpicsShutter")),
        (_SHUTTER, "the MD exporter", ("MicrodiffInOutMockup",)),
    ]
    for (interface, closest), system, names in groups:
        for name in names:
            table[name] = Equivalent(interface, closest, system)
    singles = {
        "Beamline": ("beamline.Beamline", "beamline.Beamline"),
        "EnergyMockup": ("abstract.energy.AbstractEnergy", "simulated.energy.SimulatedEnergy"),
        "TransmissionMockup": (
            "abstract.transmission.AbstractTransmission",
            "simulated.transmission.SimulatedTransmission",
        ),
        "ResolutionMockup": (
            "abstract.resolution.AbstractResolution",
            "simulated.resolution.SimulatedResolution",
        ),
        "DetectorMockup": (
            "abstract.detector.AbstractDetector",
            "simulated.detector.SimulatedDetector",
        ),
        "BeamMockup": ("abstract.beam.AbstractBeam", "simulated.beam.SimulatedBeam"),
        "FluxMockup": ("abstract.flux.AbstractFlux", "simulated.flux.SimulatedFlux"),
        "MachineInfoMockup": (
            "abstract.machine_info.AbstractMachineInfo",
            "simulated.machine_info.SimulatedMachineInfo",
        ),
        "DiffractometerMockup": (
            "abstract.diffractometer.AbstractDiffractometer",
            "simulated.diffractometer.SimulatedDiffractometer",
        ),
        "SampleChangerMockup": (
            "abstract.sample_changer.AbstractSampleChanger",
            "simulated.sample_changer.SimulatedSampleChanger",
        ),
        "CollectMockup": ("abstract.collect.AbstractCollect", "simulated.collect.SimulatedCollect"),
        "EnergyScanMockup": (
            "abstract.energy_scan.AbstractEnergyScan",
            "simulated.energy_scan.SimulatedEnergyScan",
        ),
        "MDCameraMockup": (
            "abstract.sample_camera.AbstractSampleCamera",
            "simulated.sample_camera.SimulatedSampleCamera",
        ),
        "Session": ("abstract.session.AbstractSession", "simulated.session.SimulatedSession"),
        "XMLRPCServer": ("xmlrpc_server.XMLRPCServer", "xmlrpc_server.XMLRPCServer"),
    }
    for name, (interface, closest) in singles.items():
        table[name] = Equivalent(interface, closest)
    control = {
        "MachInfo": ("abstract.machine_info.AbstractMachineInfo", "Tango"),
        "TangoMachineInfo": ("abstract.machine_info.AbstractMachineInfo", "Tango"),
        "EPICSMachineInfo": ("abstract.machine_info.AbstractMachineInfo", "EPICS"),
        "MicrodiffCamera": ("abstract.sample_camera.AbstractSampleCamera", "the MD exporter"),
        "TangoLimaVideo": ("abstract.sample_camera.AbstractSampleCamera", "Tango"),
        "Microdiff": ("abstract.diffractometer.AbstractDiffractometer", "the MD exporter"),
        "MiniDiff": ("abstract.diffractometer.AbstractDiffractometer", "SPEC or Tango"),
        "Cats90": ("abstract.sample_changer.AbstractSampleChanger", "Tango"),
    }
    for name, (interface, system) in control.items():
        closest = _closest_for(interface, table)
        table[name] = Equivalent(interface, closest, system)
    for name, counterpart in COUNTERPARTS.items():
        table[name] = dataclasses.replace(table[name], counterpart=counterpart)
    return table


#: mxcubecore classes whose job one of mxgui's classes does on the same control system
COUNTERPARTS = {
    "TangoMotor": "tango.motor.TangoMotor",
    "TangoShutter": "tango.shutter.TangoShutter",
    "EPICSMotor": "epics.motor.EpicsMotor",
    "EpicsMotor": "epics.motor.EpicsMotor",
    "EPICSShutter": "epics.shutter.EpicsShutter",
    "EpicsShutter": "epics.shutter.EpicsShutter",
    "EPICSMachineInfo": "epics.machine_info.EpicsMachineInfo",
}


def _closest_for(interface: str, table: dict[str, Equivalent]) -> str:
    for entry in table.values():
        if entry.interface == interface:
            return entry.closest
    return ""


#: mxcubecore class name (the last part of ``class=``) -> mxgui's counterpart
MXCUBECORE_CLASSES: dict[str, Equivalent] = _entries()


def porting_hint(class_path: str) -> str:
    """What to write instead of mxcubecore class ``class_path``, or ``""`` when the
    table does not know it. Only the last part of a dotted name counts
    (``mxcubecore.HardwareObjects.TangoMotor`` is ``TangoMotor``)."""
    name = class_path.strip().rsplit(".", 1)[-1]
    entry = MXCUBECORE_CLASSES.get(name)
    if entry is None:
        return ""
    hint = f"{name} is mxcubecore's: in mxgui it would implement {entry.interface}"
    if entry.counterpart:
        return (
            f"{hint}; on {entry.control_system} mxgui has {entry.counterpart} "
            f'(write class="{entry.counterpart}"; see docs/recipes.md)'
        )
    if entry.control_system:
        hint += (
            f"; no equivalent yet on {entry.control_system} (it comes with mxgui's channel layer)"
        )
    return f"{hint}; closest: {entry.closest}"
