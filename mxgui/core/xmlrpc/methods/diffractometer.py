"""Diffractometer methods: positions, moves, snapshots, saved positions, zoom, lights.

Moves are waited for (``move_timeout`` of the server's XML); one that fails or is
refused gives a fault with the reason. Snapshots: with a ``save_snapshot`` handler
installed (the sample view) the image with its overlays; otherwise the camera frame.
A snapshot's path must lead inside the session's data roots (links followed; see
``mxgui.core.data_roots``); its directory is created there if missing; it is PNG or
JPEG by its suffix, and created exclusively: it never overwrites a file, even one
made while it was being taken.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar

from mxgui.core.centring import CENTRING_MOTORS, OPTIONAL_MOTORS, CentredPosition
from mxgui.core.data_roots import DataRoots, OutsideDataRoots
from mxgui.core.futures import attempt
from mxgui.core.roles import ActuatorRole, DiffractometerRole
from mxgui.core.shapes import Point
from mxgui.core.snapshot_image import SNAPSHOT_SUFFIXES, write_new_snapshot
from mxgui.core.xmlrpc.args import as_bool, as_float, as_int, as_list, as_str, as_struct
from mxgui.core.xmlrpc.context import OperationFailed, ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument, Unavailable
from mxgui.core.xmlrpc.snapshot_light import SnapshotLight

#: the user's log (the GUI's log shows it, as ``log_message``'s)
user_log = logging.getLogger("mxgui.workflow")
log = logging.getLogger(__name__)
#: seconds to wait for the camera to show the sample after a move
FRAME_WAIT = 1.0
_LIGHTS = {"front": "frontlight", "back": "backlight"}
#: ``get_diffractometer_positions`` keys that are no motors: the beam's offset from the
#: image centre (mm, read only) and the zoom (the level's number, 1-based)
BEAM_KEYS = ("beam_x", "beam_y")
ZOOM_KEY = "zoom"
#: ``save_twelve_snapshots_script``: this many snapshots, omega this far apart (degrees)
TWELVE = 12
TWELVE_STEP = 30.0


def snapshot_path(path: object, roots: DataRoots, name: str = "path") -> Path:
    """Where to write the snapshot ``path``: inside ``roots`` once links are followed,
    ``.png``, ``.jpg`` or ``.jpeg``, not there yet (not even as a link); its directory
    is created (inside the roots) if missing. The resolved path."""
    given = as_str(path, name)
    if Path(given).suffix.lower() not in SNAPSHOT_SUFFIXES:
        raise BadArgument(f"{name}: {given!r} must end in {', '.join(SNAPSHOT_SUFFIXES)}")
    try:
        target = roots.check(given, name)
    except OutsideDataRoots as exc:
        raise BadArgument(str(exc)) from None
    if os.path.lexists(given) or os.path.lexists(target):
        raise BadArgument(f"{name}: {given} exists; snapshots never overwrite a file")
    try:
        roots.make_directory(target.parent, name)
    except OutsideDataRoots as exc:
        raise BadArgument(str(exc)) from None
    except OSError as exc:
        raise Unavailable(f"{name}: cannot create {target.parent}: {exc}") from None
    return target


class DiffractometerMethods:
    """Positions and moves, snapshots, ``get_cp`` / ``save_current_pos``, zoom and
    light levels (mxcubecore's names)."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "get_diffractometer_positions",
        "move_diffractometer",
        "save_snapshot",
        "save_multiple_snapshots",
        "save_twelve_snapshots_script",
        "get_cp",
        "save_current_pos",
        "get_zoom_level",
        "set_zoom_level",
        "get_available_zoom_levels",
        "get_front_light_level",
        "set_front_light_level",
        "get_back_light_level",
        "set_back_light_level",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._snapshot_light = SnapshotLight(ctx, self._wait_new_frame)

    @property
    def diffractometer(self) -> DiffractometerRole:
        return self.ctx.role("diffractometer")

    # positions ------------------------------------------------------------------------------
    def get_diffractometer_positions(self) -> dict[str, float]:
        """Motor positions by role (phi, phiy, phiz, sampx, sampy, kappa, kappa_phi),
        and as mxcubecore's GenericDiffractometer gives them ``beam_x``, ``beam_y`` and
        ``zoom`` (the three left out while the zoom's level is not known: the
        calibration is the level's). ``beam_x`` / ``beam_y`` are in **mm**: the beam's
        offset from the centre of the sample camera's image at the current zoom (pixels
        from the centre divided by the zoom's pixels per mm; x to the right, y down), so
        0.0 on a camera centred on the beam. mxcubecore measures from its configured
        ``zoom_centre``; mxgui's zoom centre is the image centre. ``zoom`` is the zoom
        level's number (its 1-based place in ``get_available_zoom_levels``)."""
        diffractometer = self.diffractometer
        positions = dict(diffractometer.get_positions())
        zoom = self._zoom_number()
        if zoom is not None:  # the calibration is the zoom level's
            positions.update(self._beam_offset_mm())
            positions[ZOOM_KEY] = float(zoom)
        return positions

    def _beam_offset_mm(self) -> dict[str, float]:
        """``beam_x`` / ``beam_y``: the beam's offset from the image centre in mm."""
        diffractometer = self.diffractometer
        beam = diffractometer.get_beam_position()
        size = diffractometer.get_image_size()
        per_mm = diffractometer.get_pixels_per_mm()
        return {
            key: (float(beam[axis]) - size[axis] / 2.0) / per_mm[axis]
            for axis, key in enumerate(BEAM_KEYS)
        }

    def _zoom_number(self) -> int | None:
        """The zoom level's 1-based number; ``None`` while the zoom has not reported a
        level of its list (a real zoom at start), so the positions go without it."""
        levels = self.diffractometer.get_zoom_levels()
        try:
            return levels.index(self.diffractometer.get_zoom()) + 1
        except (RuntimeError, ValueError) as exc:
            log.info("positions without the zoom: its level is not known yet (%s)", exc)
            return None

    def move_diffractometer(self, roles_positions_dict: object) -> bool:
        """Move the motors ``{role: position}`` together; returns once all arrived.
        What ``get_diffractometer_positions`` gives may come back as it is: ``zoom``
        changes the zoom level (by its number); ``beam_x`` / ``beam_y`` are no motors
        and are passed over whatever their value (as mxcubecore's ``move_motors``
        does), so a position read at another beam position or from mxcubecore moves
        the motors it names."""
        wanted = as_struct(roles_positions_dict, "roles_positions_dict")
        if not wanted:
            raise BadArgument("roles_positions_dict: empty; give {motor role: position}")
        for key in BEAM_KEYS:
            if key in wanted:
                as_float(wanted.pop(key), f"roles_positions_dict[{key!r}]")
        zoom = wanted.pop(ZOOM_KEY, None)
        level = None if zoom is None else self._zoom_level(zoom)
        targets = {
            str(role): as_float(value, f"roles_positions_dict[{role!r}]")
            for role, value in wanted.items()
        }
        if targets:
            moving = self.diffractometer.move_motors(targets)  # ValueError names the motor
            self.ctx.wait(moving, self.ctx.move_timeout, "the move")
        if level is not None and level != self.diffractometer.get_zoom():
            zooming = self.diffractometer.set_zoom(level)
            self.ctx.wait(zooming, self.ctx.move_timeout, "the zoom")
        return True

    def _zoom_level(self, number: object) -> str:
        """The zoom level with 1-based ``number``."""
        levels = self.diffractometer.get_zoom_levels()
        index = as_int(number, "roles_positions_dict['zoom']")
        if not 1 <= index <= len(levels):
            raise BadArgument(
                f"roles_positions_dict: zoom {index} is not a level number (1..{len(levels)})"
            )
        return levels[index - 1]

    def get_cp(self) -> str:
        """The saved points as JSON text (mxcubecore): a list of centred positions,
        each with its point id as ``label``."""
        shapes = self.ctx.role("shapes")
        points = []
        for shape in shapes.shapes():
            if not isinstance(shape, Point):
                continue
            data: dict[str, Any] = dict(shape.position.motor_positions())
            data["label"] = shape.id
            if shape.id[1:].isdigit():
                data["index"] = int(shape.id[1:])
            points.append(data)
        return json.dumps(points)

    def save_current_pos(self) -> str:
        """Save the current position as a point; returns its id (``P<n>``)."""
        positions = self.diffractometer.get_positions()
        known = {k: v for k, v in positions.items() if k in CENTRING_MOTORS + OPTIONAL_MOTORS}
        point = self.ctx.role("shapes").add_point(CentredPosition.from_dict(known))
        return point.id

    # snapshots ---------------------------------------------------------------------------------
    def save_snapshot(
        self, path: object, show_scale: object = False, handle_light: object = True
    ) -> bool:
        """Save the sample image at ``path`` (absolute, inside the session's data
        roots, new; PNG or JPEG by its ``.png`` / ``.jpg`` / ``.jpeg`` suffix): with
        the sample view's overlays when the GUI runs (the scale bar with
        ``show_scale``), else the camera frame. mxcubecore's form
        ``save_snapshot(imgpath, showScale=False, handle_light=True)``: with
        ``handle_light`` a back light that is off is turned on (to 50 %) for the
        snapshot and off again afterwards, once for snapshots taken at the same time
        (mxgui's lights are levels, not moved in and out); a light that is on is left
        alone."""
        scale = as_bool(show_scale, "show_scale")
        light = as_bool(handle_light, "handle_light")
        target = snapshot_path(path, self._data_roots())
        if not light:
            self._snapshot(target, scale, "path")
            return True
        with self._back_light_on():
            self._snapshot(target, scale, "path")
        return True

    def _back_light_on(self) -> AbstractContextManager[None]:
        """Light an off back light while the block runs (see :class:`SnapshotLight`).
        Not while a collection or mesh runs (the interlock is held): a light (at
        mxcubecore's sites an actuator moved into the beam path) is not touched then;
        the snapshot is taken as it is and the user's log says so."""
        return self._snapshot_light.lit(self.diffractometer.get_motor(_LIGHTS["back"]))

    def _data_roots(self) -> DataRoots:
        return self.ctx.role("session").get_data_roots()

    def save_multiple_snapshots(self, path_list: object, show_scale: object = False) -> bool:
        """``[[omega, path], ...]``: turn omega to each angle and save a snapshot there.
        Every path is checked before anything moves. The sample is lit for the series
        as mxcubecore does: an off back light is turned on for it and off afterwards
        (as ``save_snapshot``'s ``handle_light``, with the same interlock rule)."""
        self._series(path_list, show_scale, [])
        return True

    def _series(self, path_list: object, show_scale: object, moved: list[float]) -> None:
        """:meth:`save_multiple_snapshots`, adding each angle omega was sent to to ``moved``."""
        scale = as_bool(show_scale, "show_scale")
        items = as_list(path_list, "path_list")
        if not items:
            raise BadArgument("path_list: empty; give [[omega, path], ...]")
        plan = []
        for index, item in enumerate(items):
            where = f"path_list[{index}]"
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise BadArgument(f"{where}: expected [omega, path], got {item!r}")
            plan.append((as_float(item[0], f"{where}[0]"), Path(as_str(item[1], f"{where}[1]"))))
        paths = [str(p) for _, p in plan]
        if len(set(paths)) != len(paths):
            raise BadArgument("path_list: a path appears twice")
        roots = self._data_roots()
        targets = [
            snapshot_path(str(target), roots, f"path_list[{index}][1]")
            for index, (_angle, target) in enumerate(plan)
        ]
        if len(set(targets)) != len(targets):
            raise BadArgument("path_list: two paths lead to the same file")
        with self._back_light_on():
            for index, ((angle, _given), target) in enumerate(zip(plan, targets, strict=True)):
                moving = self.diffractometer.move_motors({"phi": angle})
                moved.append(angle)
                self.ctx.wait(moving, self.ctx.move_timeout, f"the move of omega to {angle:g}")
                self._wait_new_frame()
                self._snapshot(target, scale, f"path_list[{index}][1]")

    def save_twelve_snapshots_script(self, path: object) -> list[str]:
        """Twelve snapshots around the sample (mxcubecore runs the diffractometer's
        snapshot script, ``Take6Snapshots`` at mxcubecore's sites: six, despite the
        name): omega turned by 0, 30, ... 330 degrees from where it is, one snapshot at
        each, then omega back (after a failure too, if omega was moved; the first
        error is the one raised). ``path`` is a directory (the files are
        ``snapshot_000.png`` ... ``snapshot_330.png`` in it) or a ``.png`` / ``.jpg``
        file name whose stem prefixes the angle (``/data/x/crystal.png`` ->
        ``crystal_000.png`` ...); inside the session's data roots, every file new.
        Returns the paths written."""
        given = Path(as_str(path, "path"))
        if given.suffix.lower() in SNAPSHOT_SUFFIXES:
            directory, stem, suffix = given.parent, given.stem, given.suffix
        else:
            directory, stem, suffix = given, "snapshot", ".png"
        start = self.diffractometer.get_positions().get("phi")
        if start is None:
            raise Unavailable("omega's position is not known, so no turn can be planned")
        plan = [
            [
                start + k * TWELVE_STEP,
                str(directory / f"{stem}_{round(k * TWELVE_STEP):03d}{suffix}"),
            ]
            for k in range(TWELVE)
        ]
        moved: list[float] = []
        try:
            self._series(plan, False, moved)
        except BaseException:
            if moved:  # the first error is the caller's; a failed move back is logged
                self._omega_back(start, quiet=True)
            raise
        self._omega_back(start)
        return [str(item[1]) for item in plan]

    def _omega_back(self, start: float, quiet: bool = False) -> None:
        """Omega back to ``start``; with ``quiet`` a failure is logged, not raised."""
        what = f"the move of omega back to {start:g}"
        try:
            self.ctx.wait(
                self.diffractometer.move_motors({"phi": start}), self.ctx.move_timeout, what
            )
        except (TimeoutError, Unavailable, ValueError) as exc:
            if not quiet:
                raise
            user_log.warning("twelve snapshots: %s failed: %s", what, exc)

    def _snapshot(self, target: Path, show_scale: bool, name: str) -> None:
        """Take the snapshot into ``target``, created exclusively (by the GUI's handler
        or here from the camera frame); a name taken meanwhile is refused, not replaced."""
        exists = BadArgument(f"{name}: {target} exists; snapshots never overwrite a file")
        handler = self.ctx.handler("save_snapshot")
        if handler is not None:
            taking = attempt(lambda: handler(str(target), show_scale))
            try:
                self.ctx.wait(taking, self.ctx.snapshot_timeout, f"the snapshot {target}")
            except OperationFailed:
                if not taking.cancelled() and isinstance(taking.exception(), FileExistsError):
                    raise exists from None
                raise
            if not target.exists():
                raise Unavailable(f"the snapshot {target} was not written")
            return
        camera = self.ctx.role("sample_camera")
        try:
            write_new_snapshot(target, camera.get_frame())
        except FileExistsError:
            raise exists from None
        except OSError as exc:
            raise Unavailable(f"cannot write {target}: {exc}") from None

    def _wait_new_frame(self) -> None:
        """After a move: wait (briefly) until the camera has sent two more frames."""
        camera = self.ctx.optional("sample_camera")
        if camera is None or not camera.is_streaming():
            return
        first = camera.get_frame_number()
        deadline = time.monotonic() + FRAME_WAIT
        while camera.get_frame_number() < first + 2 and time.monotonic() < deadline:
            time.sleep(0.01)

    # zoom and lights ------------------------------------------------------------------------------
    def get_zoom_level(self) -> str:
        """The zoom level's name."""
        return str(self.diffractometer.get_zoom())

    def set_zoom_level(self, pos: object) -> bool:
        """Change the zoom to level ``pos`` (a name of ``get_available_zoom_levels``)."""
        level = as_str(pos, "pos")
        levels = self.diffractometer.get_zoom_levels()
        if level not in levels:
            raise BadArgument(f"pos: no zoom level {level!r}; levels: {', '.join(levels)}")
        self.ctx.wait(self.diffractometer.set_zoom(level), self.ctx.move_timeout, "the zoom")
        return True

    def get_available_zoom_levels(self) -> list[str]:
        """The zoom levels' names, in order."""
        return list(self.diffractometer.get_zoom_levels())

    def _light(self, which: str) -> ActuatorRole:
        light = self.diffractometer.get_motor(_LIGHTS[which])
        if not isinstance(light, ActuatorRole):  # None: this diffractometer has none
            raise Unavailable(f"this diffractometer has no {which} light")
        return light

    def _get_light(self, which: str) -> float:
        return float(self._light(which).get_value())

    def _set_light(self, which: str, level: object) -> bool:
        value = as_float(level, "level")
        light = self._light(which)
        self.ctx.wait(light.set_value(value), self.ctx.move_timeout, f"the {which} light")
        return True

    def get_front_light_level(self) -> float:
        """The front light level (0-100 %)."""
        return self._get_light("front")

    def set_front_light_level(self, level: object) -> bool:
        """Set the front light level (0-100 %)."""
        return self._set_light("front", level)

    def get_back_light_level(self) -> float:
        """The back light level (0-100 %)."""
        return self._get_light("back")

    def set_back_light_level(self, level: object) -> bool:
        """Set the back light level (0-100 %)."""
        return self._set_light("back", level)
