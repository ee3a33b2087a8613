"""The state every shape's graphics item shares: face-on or turned away, selected."""

from __future__ import annotations

from PyQt5.QtWidgets import QGraphicsItem


class ShapeStateItem(QGraphicsItem):
    """Base of the items drawing shapes: repaints only when its state really changes."""

    def __init__(self) -> None:
        super().__init__()
        self.face_on = True
        self.selected = False

    def set_face_on(self, face_on: bool) -> None:
        if face_on != self.face_on:
            self.face_on = face_on
            self.update()

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()
