"""A layout that lines its widgets up left to right and wraps them onto the next row
when the width runs out (Qt's flow layout example, as a tool bar that never hides a
button behind an overflow menu)."""

from __future__ import annotations

from PyQt5.QtCore import QPoint, QRect, QSize, Qt
from PyQt5.QtWidgets import QLayout, QLayoutItem, QWidget, QWidgetItem

#: the room a separator leaves between two groups of buttons, pixels
GROUP_GAP = 10


class FlowLayout(QLayout):
    """Widgets in rows: as many as fit the width, the rest on the next rows.

    Its minimum width is the widest single widget, so a tool bar built on it never makes
    a window wider; its height follows the width (``heightForWidth``). :meth:`add_gap`
    marks the start of a group: a gap before it when it shares a row.
    """

    def __init__(self, parent: QWidget, spacing: int = 3) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        #: indices of the items that start a group (a gap before them within a row)
        self._group_starts: set[int] = set()
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def add_gap(self) -> None:
        """The next widget added starts a new group."""
        self._group_starts.add(len(self._items))

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt name
        self._items.append(item)

    def add_widget(self, widget: QWidget) -> None:
        """Add ``widget`` at the end (taking it into the layout's widget)."""
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    # Qt asks for a null item past the end (the stubs do not say so)
    def itemAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]  # noqa: N802
        if not 0 <= index < len(self._items):
            return None
        self._group_starts = {i - (i > index) for i in self._group_starts if i != index}
        return self._items.pop(index)

    def expandingDirections(self) -> Qt.Orientations:  # noqa: N802 - Qt name
        return Qt.Orientations()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt name
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt name
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        """All widgets in one row."""
        width, height = 0, 0
        for index, item in enumerate(self._items):
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            width += hint.width() + (self._gap(index) if width else 0)
            height = max(height, hint.height())
        margins = self.contentsMargins()
        return QSize(
            width + margins.left() + margins.right(), height + margins.top() + margins.bottom()
        )

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt name
        """The widest and tallest single widget: one per row at the least."""
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _gap(self, index: int) -> int:
        """The room before the item at ``index`` (in :attr:`_items`) within a row."""
        return self.spacing() + (GROUP_GAP if index in self._group_starts else 0)

    def _arrange(self, rect: QRect, place: bool) -> int:
        """Put the widgets in rows within ``rect`` (only measure unless ``place``);
        returns the height used."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, row_height = area.x(), area.y(), 0
        for index, item in enumerate(self._items):
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            gap = self._gap(index) if x > area.x() else 0
            if x > area.x() and x + gap + hint.width() > area.right() + 1:
                x, y, row_height = area.x(), y + row_height + self.spacing(), 0
                gap = 0
            x += gap
            if place:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width()
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + margins.bottom()
