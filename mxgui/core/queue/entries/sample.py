"""The sample entry: mount the sample if it is not mounted, then centre it as asked.

Centring, from the sample's ``centring`` parameter:

- ``none``: nothing (the crystal stays where it is: a pipeline that centres otherwise);
- ``point``: move to the saved point ``point_id`` of the shapes model (role
  ``shapes``), once the sample is mounted. Saved points belong to their sample: the
  shapes object keeps them per sample and shows them again when it is mounted again;
- ``manual``: unless the sample is centred on this mount already (a centring accepted
  since it was mounted; by hand: since this Sample node became the current one:
  ``mounts.py``), the engine emits
  ``centringRequested(node_id, location)``; the sample view
  lets the user centre with 3 clicks and answers with
  ``QueueEngine.provide_centring(node_id, centred_position)`` (``None``: the user
  cancelled). The engine waits in its own thread; stop and skip end the wait and
  cancel a centring in progress on the diffractometer. Once answered, the
  diffractometer is moved to the position given (no move when it is already there),
  so the sample view accepts its centring first (``accept_centring()`` returns the
  position to give): a move is refused while a centring is in progress.
- ``recentre``: as ``manual``, but asks even when the sample is centred already.

A sample without a location was mounted by hand: it is never mounted by the robot.
The sample's children run after this entry, as the engine decides.
"""

from __future__ import annotations

from collections.abc import Mapping

from mxgui.core.centring import CentredPosition
from mxgui.core.queue.entries.base import Entry, EntryContext, EntryFailed, Outcome
from mxgui.core.words import with_article

#: the message of a manual centring the user cancelled
CENTRING_CANCELLED = "centring cancelled"


class SampleEntry(Entry):
    """Mount (sample changer) and centre (manual, saved point or none)."""

    writes_files = False

    def run(self, ctx: EntryContext) -> Outcome:
        p = ctx.parameters
        location = p.get("location")
        ctx.control.sample_current(ctx.node.id)
        done = [mount(ctx, location)] if location else ["mounted by hand"]
        centring = p.get("centring", "none")
        if centring == "point":
            done.append(centre_on_point(ctx, p.get("point_id")))
        elif centring == "manual" and ctx.control.is_centred(location, ctx.node.id):
            done.append("already centred on this mount")
        elif centring in ("manual", "recentre"):
            position = ctx.control.request_centring(ctx)
            if position is None:
                raise EntryFailed(CENTRING_CANCELLED)
            move_to(ctx, position, "moving to the centred position")
            ctx.model.update_results(ctx.node.id, {"centred_position": position.to_dict()})
            done.append("centred by hand")
        return Outcome(message=", ".join(done))


def mount(ctx: EntryContext, location: str) -> str:
    """Mount ``location`` unless it is on the goniometer already; what was done."""
    changer = ctx.require("sample_changer", f"mounting {location}")
    loaded = changer.get_loaded_sample()
    if loaded is not None and loaded.address == location:
        return f"{location} already mounted"
    ctx.start(lambda: changer.load(location), f"mounting {location}", abort=changer.abort)
    return f"mounted {location}"


def centre_on_point(ctx: EntryContext, point_id: str | None) -> str:
    """Move to the saved point ``point_id``; what was done."""
    position = saved_point(ctx, point_id, "centring")
    move_to(ctx, position, f"moving to {point_id}")
    return f"centred on {point_id}"


def saved_point(ctx: EntryContext, point_id: str | None, what: str) -> CentredPosition:
    """The centred position of the saved point ``point_id`` (``EntryFailed`` if none)."""
    shapes = ctx.sample_shapes(f"{what} on a saved point")
    try:
        shape = shapes.get(point_id)
    except KeyError:
        raise EntryFailed(
            f"{what}: there is no saved point {point_id} on the sample (saved points "
            "belong to the sample they were saved on)"
        ) from None
    position = getattr(shape, "position", None)
    if not isinstance(position, CentredPosition):
        raise EntryFailed(
            f"{what}: {point_id} is {with_article(type(shape).__name__)}, not a point"
        )
    return position


def resolve_position(ctx: EntryContext, value: object, what: str) -> CentredPosition | None:
    """A task's ``centred_position`` parameter as a position: ``None`` (where the sample
    is now), a saved point id (``"P1"``) or a position dict."""
    if value is None:
        return None
    if isinstance(value, str):
        return saved_point(ctx, value, what)
    if not isinstance(value, Mapping):
        raise EntryFailed(f"{what}: expected a point id or a position, got {value!r}")
    try:
        return CentredPosition.from_dict(value)
    except ValueError as exc:
        raise EntryFailed(f"{what}: {exc}") from None


def move_to(ctx: EntryContext, position: CentredPosition, what: str) -> None:
    """Move the diffractometer to ``position`` and wait (stop ends the move)."""
    diffractometer = ctx.require("diffractometer", what)
    ctx.start(
        lambda: diffractometer.move_to_centred_position(position), what, abort=diffractometer.stop
    )
