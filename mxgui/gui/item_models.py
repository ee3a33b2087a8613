"""What mxgui's Qt item models share: fixed columns named in the horizontal header."""

from __future__ import annotations

from typing import Any, ClassVar

from PyQt5.QtCore import QModelIndex, Qt


class NamedColumns:
    """Mixin for a Qt item model whose columns are fixed and named by ``COLUMNS``.

    It answers ``columnCount`` and the horizontal header's text. Put it before the Qt
    model class: ``class LogModel(NamedColumns, QAbstractTableModel)``.
    """

    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return len(self.COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole
    ) -> Any:
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.COLUMNS[section]
        return None
