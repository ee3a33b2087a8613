"""The X display a real ``mxgui`` runs on under xvfb-run, seen from the test process
with python-xlib: its window tree (with ``QT_USE_NATIVE_WINDOWS=1`` every Qt widget is
an X window of its own), clicks sent as X events through XTest, and a screenshot.

The windows are found by their place in the tree, as a user finds them by eye: the
sample view's viewport is the largest window without children, the brick's tool bar
the top row of the viewport's grandparent (the brick), its buttons left to right.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from Xlib import X, display
from Xlib.ext import xtest
from Xlib.xobject.drawable import Window


def environment_of(pid: int) -> dict[str, str]:
    """``DISPLAY`` and ``XAUTHORITY`` of process ``pid`` (the ones xvfb-run gave it)."""
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    values = dict(e.decode().split("=", 1) for e in entries if b"=" in e)
    return {key: values[key] for key in ("DISPLAY", "XAUTHORITY") if key in values}


@contextmanager
def x_display(pid: int) -> Iterator[display.Display]:
    """A connection to the X display of process ``pid``, closed afterwards."""
    env = environment_of(pid)
    assert "DISPLAY" in env, f"process {pid} has no DISPLAY"
    saved = os.environ.get("XAUTHORITY")
    if "XAUTHORITY" in env:  # python-xlib reads the cookie from the environment
        os.environ["XAUTHORITY"] = env["XAUTHORITY"]
    try:
        connection = display.Display(env["DISPLAY"])
    finally:
        if saved is None:
            os.environ.pop("XAUTHORITY", None)
        else:
            os.environ["XAUTHORITY"] = saved
    try:
        assert connection.has_extension("XTEST"), "the X server offers no XTEST"
        yield connection
    finally:
        connection.close()


@dataclass(frozen=True)
class Placed:
    """A viewable window, its parent, its size and its place on the root window."""

    window: Window
    parent: Window | None
    x: int
    y: int
    width: int
    height: int
    children: int

    @property
    def area(self) -> int:
        return self.width * self.height


def viewable_windows(connection: display.Display) -> list[Placed]:
    """Every viewable window below the root, parents before their children."""
    root = connection.screen().root
    found: list[Placed] = []

    def walk(window: Window, parent: Window | None) -> None:
        for child in window.query_tree().children:
            if child.get_attributes().map_state != X.IsViewable:
                continue
            geometry = child.get_geometry()
            place = root.translate_coords(child, 0, 0)
            kids = [
                k
                for k in child.query_tree().children
                if k.get_attributes().map_state == X.IsViewable
            ]
            found.append(
                Placed(child, window, place.x, place.y, geometry.width, geometry.height, len(kids))
            )
            walk(child, child)

    walk(root, None)
    return found


def sample_view_viewport(windows: list[Placed]) -> Placed:
    """The sample view's viewport: the largest leaf window, at least twice any other
    leaf's area (else the criterion is not telling, and that fails here)."""
    leaves = sorted((w for w in windows if w.children == 0), key=lambda w: w.area, reverse=True)
    assert leaves, "no window shown"
    assert len(leaves) == 1 or leaves[0].area >= 2 * leaves[1].area, leaves[:2]
    return leaves[0]


def toolbar_buttons(windows: list[Placed], viewport: Placed) -> list[Placed]:
    """The sample view's tool-bar buttons, left to right: the children of the top row of
    the brick (the viewport's grandparent)."""
    view = next(w for w in windows if w.window == viewport.parent)
    brick_rows = [w for w in windows if w.parent == view.parent and w.children]
    toolbar = min(brick_rows, key=lambda w: w.y)
    assert toolbar.y < viewport.y, (toolbar, viewport)
    buttons = [w for w in windows if w.parent == toolbar.window]
    return sorted(buttons, key=lambda w: w.x)


def click(connection: display.Display, x: int, y: int) -> None:
    """Move the pointer to root ``(x, y)`` and click the left button there (XTest)."""
    root = connection.screen().root
    xtest.fake_input(connection, X.MotionNotify, x=x, y=y, root=root)
    connection.sync()
    xtest.fake_input(connection, X.ButtonPress, 1)
    xtest.fake_input(connection, X.ButtonRelease, 1)
    connection.sync()


def click_centre(connection: display.Display, window: Placed) -> None:
    """Click the middle of ``window``."""
    click(connection, window.x + window.width // 2, window.y + window.height // 2)


def screenshot(connection: display.Display, path: Path | None = None) -> Image.Image:
    """The whole screen (saved as a PNG at ``path`` if given)."""
    screen = connection.screen()
    width, height = screen.width_in_pixels, screen.height_in_pixels
    raw = screen.root.get_image(0, 0, width, height, X.ZPixmap, 0xFFFFFFFF)
    image = Image.frombytes("RGB", (width, height), raw.data, "raw", "BGRX")
    if path is not None:
        image.save(path)
    return image
