"""Beamline methods of mxcubecore's XMLRPCServer outside the queue, diffractometer,
beam and shape groups: ``beamline_setup_read``, the cryostream and annealing, beam
centring, the LIMS group id, GPhL's status and the rotation-axis reference.

Where mxgui has nothing to do the call with, the answer is a fault that names the
method and says why (the dispatcher puts the method's name first), never a silent
``None`` as mxcubecore gives when a hardware object is missing.
"""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar, Protocol, runtime_checkable

from mxgui.core.centring import CENTRING_MOTORS, OPTIONAL_MOTORS
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.xmlrpc.args import as_float, as_str
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument, Unavailable
from mxgui.core.xmlrpc.methods.setup import default_acquisition_parameters, default_path_template

#: the ``beamline_setup_read`` paths answered with JSON text, by their last part
SETUP_DOCUMENTS = ("default-acquisition-parameters", "default-path-template")
#: mxcubecore's AcquisitionParameters fields mxgui has no setting for, at mxcubecore's
#: defaults (mxgui's ``detector_roi_mode`` is given as well)
ACQUISITION_EXTRAS = {"take_dark_current": True, "skip_existing_images": False, "detector_mode": ""}
#: mxcubecore's PathTemplate prefixes mxgui does not use (a MAD, reference image or
#: wedge collection names its own prefix), empty as in mxcubecore; ``base_prefix`` and
#: ``num_files`` are filled in from the template and the default number of images
PATH_TEMPLATE_EXTRAS = {"mad_prefix": "", "reference_image_prefix": "", "wedge_prefix": ""}


#: mxcubecore's ``HWR.beamline`` attribute paths -> mxgui's roles (mxcubecore's detector
#: holds the distance motor; GenericDiffractometer names its motors by property)
MXCUBECORE_PATHS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("detector", "distance"): ("detector_distance",),
    ("diffractometer", "omega"): ("diffractometer", "phi"),
    ("diffractometer", "centring_x"): ("diffractometer", "sampx"),
    ("diffractometer", "centring_y"): ("diffractometer", "sampy"),
    ("diffractometer", "alignment_y"): ("diffractometer", "phiy"),
    ("diffractometer", "alignment_z"): ("diffractometer", "phiz"),
}
#: the paths (below ``/beamline``) a fault lists when they lead to a value here
READABLE: tuple[tuple[str, ...], ...] = (
    ("energy",),
    ("resolution",),
    ("transmission",),
    ("detector_distance",),
    ("flux",),
    ("cryostream",),
    *(("diffractometer", motor) for motor in (*CENTRING_MOTORS, *OPTIONAL_MOTORS, "zoom")),
)


def json_text(document: dict[str, Any], path: str) -> str:
    """``document`` as strict JSON text; a value that is no finite number (which JSON
    cannot carry: ``NaN`` would reach the caller as invalid JSON) is a fault naming it."""
    try:
        return json.dumps(document, allow_nan=False)
    except ValueError:
        bad = [
            f"{key} = {value!r}"
            for key, value in document.items()
            if isinstance(value, float) and not math.isfinite(value)
        ]
        raise Unavailable(
            f"{path}: {', '.join(bad) or 'a value'} is no finite number, so the document "
            "cannot be given as JSON (is a device not read yet?)"
        ) from None


@runtime_checkable
class ValueReader(Protocol):
    """An object with one value to read (actuators, flux, the cryostream...)."""

    def get_value(self) -> Any: ...


class BeamlineMethods:
    """``beamline_setup_read``, ``cryo_temperature``, ``anneal``, ``centre_beam``,
    ``clear_ispyb_client_group_id`` (and its old spelling ``clearISPyBClientGroupId``),
    ``get_gphl_workflow_status``, ``set_rotation_axis_position``."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "beamline_setup_read",
        "cryo_temperature",
        "anneal",
        "centre_beam",
        "clear_ispyb_client_group_id",
        "clearISPyBClientGroupId",
        "get_gphl_workflow_status",
        "set_rotation_axis_position",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # beamline_setup_read ------------------------------------------------------------------
    def beamline_setup_read(self, path: object) -> Any:
        """Read a value of the beamline by ``path``, as mxcubecore's callers do:

        - a path ending in ``default-acquisition-parameters`` or
          ``default-path-template`` (``/beamline/default-acquisition-parameters``, the
          old ``/beamline-setup/default-path-template/``): JSON text of the struct that
          ``get_default_acquisition_parameters()`` / ``get_default_path_template()``
          give, with mxcubecore's field names added (``base_prefix``, ``num_files``,
          ``mad_prefix``...; ``take_dark_current``, ``skip_existing_images``,
          ``detector_mode``). mxcubecore answers jsonpickle text of its objects; this is
          plain JSON without class tags, so ``jsonpickle.decode`` gives a dict: read the
          fields by key, not as attributes;
        - ``/beamline/<role>``, also ``/beamline/<role>/<role>`` (``/beamline/resolution``,
          ``/beamline/diffractometer/phi``): the object's current value as a plain
          XML-RPC value (a number, text or an enum's value); mxcubecore's attribute
          paths of :data:`MXCUBECORE_PATHS` too (``/beamline/detector/distance``,
          ``/beamline/diffractometer/omega``).

        The roles readable are those the XML-RPC server's XML references; anything else
        is a fault naming the path and listing the paths that can be read."""
        text = as_str(path, "path")
        parts = [part for part in text.strip("/").split("/") if part]
        if parts and parts[-1] in SETUP_DOCUMENTS:
            parameters = default_acquisition_parameters(self.ctx)
            if parts[-1] == "default-acquisition-parameters":
                document = {**ACQUISITION_EXTRAS, **parameters}
            else:
                template = default_path_template(self.ctx)
                document = {
                    **PATH_TEMPLATE_EXTRAS,
                    "base_prefix": template.get("prefix", ""),
                    "num_files": parameters.get("num_images", 1),
                    **template,
                }
            return json_text(document, text)
        if len(parts) < 2 or parts[0] != "beamline":
            raise BadArgument(
                f"path: {text!r} is not /beamline/<role> nor a path ending in "
                f"{' or '.join(SETUP_DOCUMENTS)}"
            )
        obj = self._object_at(list(MXCUBECORE_PATHS.get(tuple(parts[1:]), parts[1:])), text)
        if not isinstance(obj, ValueReader):
            raise BadArgument(f"path: {text!r} leads to {type(obj).__name__}, which has no value")
        value = obj.get_value()
        if value is None:
            raise Unavailable(f"{text}: the value is not known yet (the device has not answered)")
        return value

    def _object_at(self, roles: list[str] | tuple[str, ...], path: str) -> object:
        """The object reached from the server's role ``roles[0]`` through the sub-roles."""
        obj = self._find(roles)
        if isinstance(obj, str):
            raise BadArgument(f"path: {path!r}: {obj}; readable: {self._readable()}")
        return obj

    def _find(self, roles: list[str] | tuple[str, ...]) -> object:
        """The object at ``roles``, or the text saying where the way ends."""
        obj = self.ctx.optional(roles[0])
        if obj is None:
            return (
                f"no object under role {roles[0]!r} (the roles readable are those the "
                "XML-RPC server's XML references)"
            )
        for depth, role in enumerate(roles[1:], 2):
            inner = obj.get_object_by_role(role) if isinstance(obj, HardwareObject) else None
            if inner is None:
                return f"{'/'.join(roles[: depth - 1])} has no role {role!r}"
            obj = inner
        return obj

    def _readable(self) -> str:
        """The paths of :data:`READABLE` that lead to a value on this beamline, and
        mxcubecore's paths of :data:`MXCUBECORE_PATHS` that lead to one of them."""
        found = [
            "/".join(roles) for roles in READABLE if isinstance(self._find(roles), ValueReader)
        ]
        aliases = [
            "/".join(theirs) for theirs, ours in MXCUBECORE_PATHS.items() if "/".join(ours) in found
        ]
        return ", ".join(f"/beamline/{path}" for path in found + aliases)

    # cryo ----------------------------------------------------------------------------------
    def cryo_temperature(self) -> float:
        """The sample's temperature in K from the cryostream: role ``cryostream`` of the
        XML-RPC server's XML, else of the diffractometer (where mxcubecore reads it:
        ``diffractometer.cryostream``)."""
        cryostream = self.ctx.optional("cryostream")
        if not isinstance(cryostream, ValueReader):
            diffractometer = self.ctx.optional("diffractometer")
            if isinstance(diffractometer, HardwareObject):
                cryostream = diffractometer.get_object_by_role("cryostream")
        if not isinstance(cryostream, ValueReader):
            raise Unavailable(
                "this beamline has no cryostream (no object under role 'cryostream' in the "
                "XML-RPC server's XML nor in the diffractometer's), so mxgui cannot read "
                "the sample temperature"
            )
        value = cryostream.get_value()
        if value is None:
            raise Unavailable("the cryostream has not given a temperature yet")
        return float(value)

    def anneal(self, time: object) -> bool:
        """Anneal the sample: block the cryostream for ``time`` seconds. mxcubecore does
        it with a cryo shutter's ``anneal`` command; mxgui has no cryo shutter object,
        so the call is refused (after checking ``time``) and nothing moves."""
        seconds = as_float(time, "time")
        if seconds <= 0:
            raise BadArgument(f"time: the annealing time must be above 0 s, got {seconds:g}")
        raise Unavailable(
            f"mxgui cannot anneal ({seconds:g} s asked): this beamline has no cryo shutter "
            "(mxcubecore's role 'cryoshutter' with an 'anneal' command), so nothing can "
            "block the cryostream; nothing was done"
        )

    # beam ----------------------------------------------------------------------------------
    def centre_beam(self) -> bool:
        """Centre the X-ray beam (mxcubecore runs the beamline controller's
        ``centrebeam`` procedure). mxgui has no beam-centring procedure: refused."""
        raise Unavailable(
            "mxgui has no beam-centring procedure (mxcubecore's beamline actions "
            "'controller' with 'centrebeam'); the beam was not moved"
        )

    # LIMS ----------------------------------------------------------------------------------
    def clear_ispyb_client_group_id(self) -> bool:
        """Start the next collection in a new ISPyB data collection group. mxgui opens a
        new group for every collection and carries no group id from one to the next,
        so this holds already: ``True``, nothing to clear."""
        return True

    def clearISPyBClientGroupId(self) -> bool:  # noqa: N802 - mxcubecore's old name
        """The old name of :meth:`clear_ispyb_client_group_id`."""
        return self.clear_ispyb_client_group_id()

    # GPhL ----------------------------------------------------------------------------------
    def get_gphl_workflow_status(self) -> str:
        """The status of the GPhL workflow started by ``add_gphl_workflow``. The two are
        a pair in mxcubecore, and both are refused for the same reason: mxgui has no
        GPhL workflow, so none runs and there is no status to give."""
        raise Unavailable(
            "mxgui has no GPhL workflow (no gphl_workflow object): add_gphl_workflow "
            "starts none, so there is no status to give"
        )

    # diffractometer ------------------------------------------------------------------------
    def set_rotation_axis_position(self, value: object) -> bool:
        """Set the reference position of the rotation axis (mxcubecore hands it to the
        diffractometer's alignment script). mxgui's centring finds the axis anew at every
        centring (the fit of ``mxgui.core.centring``) and keeps no such reference: the
        call is refused after checking ``value``; nothing moves."""
        position = as_float(value, "value")
        raise Unavailable(
            f"mxgui keeps no rotation-axis reference position ({position:g} not set): its "
            "centring fits the axis at every centring, so there is nothing to set"
        )
