"""A Qt table over the Qt-free shapes model: one row per shape, updated incrementally."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PyQt5.QtCore import QAbstractTableModel, QItemSelection, QModelIndex, QObject, Qt, pyqtSignal

from mxgui.core.centring import CentredPosition
from mxgui.core.shapes import Grid, Line, Point, Shape, ShapesModel
from mxgui.gui.item_models import NamedColumns

ID, NAME, KIND, DETAILS, OMEGA = range(5)


def _um(mm: float) -> str:
    """A length in mm as micrometres, to 0.1 µm, without trailing zeros."""
    return f"{round(mm * 1000.0, 1):g}"


def _motors(position: CentredPosition, separator: str = ", ", omega: bool = False) -> str:
    motors = position.motor_positions()
    return separator.join(f"{n} {v:.3f}" for n, v in motors.items() if omega or n != "phi")


def describe(shape: Shape) -> str:
    """One line saying what ``shape`` is: motor positions, length or cells."""
    if isinstance(shape, Point):
        return _motors(shape.position)
    if isinstance(shape, Line):
        return f"length {_um(shape.length_mm)} µm"
    if isinstance(shape, Grid):
        text = (
            f"{shape.num_cols} × {shape.num_rows} = {shape.num_cells:,} cells of "
            f"{_um(shape.cell_width_mm)} × {_um(shape.cell_height_mm)} µm"
        )
        if shape.spacing_x_mm or shape.spacing_y_mm:
            text += f", spacing {_um(shape.spacing_x_mm)} × {_um(shape.spacing_y_mm)} µm"
        return text
    return ""


def details(shape: Shape) -> str:
    """Several lines: :func:`describe` and every motor position the shape holds."""
    if isinstance(shape, Point):
        return _motors(shape.position, "\n", omega=True)
    if isinstance(shape, Line):
        return (
            f"{describe(shape)}\nstart: {_motors(shape.start, omega=True)}"
            f"\nend: {_motors(shape.end, omega=True)}"
        )
    if isinstance(shape, Grid):
        return (
            f"{describe(shape)}\n{_um(shape.width_mm)} × {_um(shape.height_mm)} µm, "
            f"{shape.scan_order} scan\ncentre: {_motors(shape.centre, omega=True)}"
        )
    return ""


def _runs(rows: list[int]) -> Iterator[tuple[int, int]]:
    """``(first, last)`` of each run of consecutive numbers in the sorted ``rows``."""
    if not rows:
        return
    start = previous = rows[0]
    for row in rows[1:]:
        if row == previous + 1:
            previous = row
        else:
            yield start, previous
            start = previous = row
    yield start, previous


class ShapesTableModel(NamedColumns, QAbstractTableModel):
    """A Qt table over a :class:`ShapesModel`, one row per shape in creation order.

    It follows the model's signals incrementally (:meth:`add`, :meth:`change`,
    :meth:`remove`; :meth:`clear` resets), and each of them is idempotent, so an event
    that arrives after a snapshot already holding its shape changes nothing. ``changing``
    is true while rows change, so a view's selection change it causes can be told apart
    from one made by the user. The Name column is edited through ``ShapesModel.rename``;
    a refused name emits ``editRefused(reason)``.
    """

    COLUMNS = ("Id", "Name", "Kind", "Details", "Omega")
    editRefused = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source: ShapesModel | None = None
        self.changing = False
        self._ids: list[str] = []
        self._shapes: dict[str, Shape] = {}
        self._rows: dict[str, int] | None = {}

    @contextmanager
    def changes(self) -> Iterator[None]:
        """Mark what happens inside as a change of rows, not a choice of the user."""
        self.changing = True
        try:
            yield
        finally:
            self.changing = False

    # reading ---------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._ids)

    def shape(self, row: int) -> Shape:
        """The shape shown in ``row``."""
        return self._shapes[self._ids[row]]

    def row_of(self, shape_id: str) -> int | None:
        """The row of ``shape_id``, or ``None`` if it is not shown."""
        if shape_id not in self._shapes:
            return None
        if self._rows is None:  # after a removal: a scan, so a burst of removals stays linear
            return self._ids.index(shape_id)
        return self._rows[shape_id]

    def selection_of(self, shape_ids: tuple[str, ...] | list[str]) -> QItemSelection:
        """The rows of ``shape_ids`` that are shown, one range per run of neighbours."""
        if self._rows is None:
            self._rows = {shape_id: row for row, shape_id in enumerate(self._ids)}
        rows = sorted(self._rows[i] for i in shape_ids if i in self._rows)
        selection = QItemSelection()
        for first, last in _runs(rows):
            selection.select(self.index(first, 0), self.index(last, len(self.COLUMNS) - 1))
        return selection

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        shape, column = self.shape(index.row()), index.column()
        if role in (Qt.DisplayRole, Qt.EditRole):
            if column == ID:
                return shape.id
            if column == NAME:
                return shape.name
            if column == KIND:
                return shape.KIND
            if column == DETAILS:
                return describe(shape)
            return f"{shape.omega:.2f}°"
        if role == Qt.ToolTipRole:
            if column == DETAILS:
                return details(shape)
            if column == NAME:
                return "double-click or F2 to rename"
            return None
        if role == Qt.TextAlignmentRole and column == OMEGA:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        flags = super().flags(index)
        if index.isValid() and index.column() == NAME:
            flags |= Qt.ItemIsEditable
        return flags

    def setData(self, index: QModelIndex, value: object, role: int = Qt.EditRole) -> bool:  # noqa: N802
        """Rename the shape of ``index`` (Name column); a refusal emits ``editRefused``."""
        if role != Qt.EditRole or index.column() != NAME or self.source is None:
            return False
        shape_id = self.shape(index.row()).id
        try:
            renamed = self.source.rename(shape_id, str(value))
        except (ValueError, KeyError) as exc:
            self.editRefused.emit(f"{shape_id} not renamed: {exc.args[0] if exc.args else exc}")
            return False
        self.change(renamed)  # now, rather than when the model's signal arrives
        return True

    # following the model -----------------------------------------------------------------------
    def set_source(self, source: ShapesModel | None) -> None:
        """Show ``source``'s shapes (a snapshot; then follow its signals)."""
        self.source = source
        self.clear()
        shapes = source.shapes() if source is not None else []
        if shapes:
            with self.changes():
                self.beginInsertRows(QModelIndex(), 0, len(shapes) - 1)
                self._ids = [s.id for s in shapes]
                self._shapes = {s.id: s for s in shapes}
                self._rows = None
                self.endInsertRows()

    def add(self, shape: Shape) -> None:
        """A shape was added: one row appended (or updated, if already shown)."""
        if shape.id in self._shapes:
            self.change(shape)
            return
        row = len(self._ids)
        with self.changes():
            self.beginInsertRows(QModelIndex(), row, row)
            self._ids.append(shape.id)
            self._shapes[shape.id] = shape
            if self._rows is not None:
                self._rows[shape.id] = row
            self.endInsertRows()

    def change(self, shape: Shape) -> None:
        """A shape was replaced (renamed): its row is redrawn."""
        row = self.row_of(shape.id)
        if row is None:
            return
        self._shapes[shape.id] = shape
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def remove(self, shape: Shape) -> None:
        """A shape was removed: its row goes."""
        row = self.row_of(shape.id)
        if row is None:
            return
        with self.changes():
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._ids[row]
            del self._shapes[shape.id]
            if self._rows is not None and row == len(self._ids):
                del self._rows[shape.id]  # the last row: the others keep their numbers
            else:
                self._rows = None
            self.endRemoveRows()

    def clear(self) -> None:
        """Every shape was removed (another sample, or shapes loaded): one reset."""
        with self.changes():
            self.beginResetModel()
            self._ids, self._shapes, self._rows = [], {}, {}
            self.endResetModel()
