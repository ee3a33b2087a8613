"""The layout tree (windows -> containers -> bricks) as a Qt item model over the document."""

from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QAbstractItemModel, QModelIndex, QObject, Qt
from PyQt5.QtGui import QBrush, QColor, QFont, QIcon
from PyQt5.QtWidgets import QApplication, QStyle

from mxgui.gui.designer.document import Item, LayoutDocument
from mxgui.gui.designer.validation import Problem
from mxgui.gui.item_models import NamedColumns
from mxgui.gui.layout import BrickNode, ContainerNode, WindowNode

ERROR_BRUSH = QBrush(QColor("#b71c1c"))
WARNING_BRUSH = QBrush(QColor("#8a5300"))


def item_text(item: Item) -> str:
    """How an item is named in the tree (and in messages)."""
    if isinstance(item, ContainerNode):
        return item.title or item.name or item.label or f"({item.type})"
    return item.name


def item_kind(item: Item) -> str:
    """``window``, the container type, or the brick class."""
    if isinstance(item, WindowNode):
        return "window"
    if isinstance(item, ContainerNode):
        return item.type
    return item.class_name


class LayoutTreeModel(NamedColumns, QAbstractItemModel):
    """Adapts a :class:`LayoutDocument` to Qt views: rows are windows, containers, bricks.

    Each index's internal pointer is its layout item; the model follows the document's
    structural events (inserted, removed, moved) with the matching Qt notifications, so
    selections and expanded branches survive edits. Items with problems are shown red
    (errors) or brown (warnings) with the reasons in their tooltip.
    """

    COLUMNS = ("Item", "Kind")

    def __init__(self, document: LayoutDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._problems: dict[int, list[Problem]] = {}
        style = QApplication.style()
        self._icons = {
            WindowNode: style.standardIcon(QStyle.SP_TitleBarNormalButton),
            ContainerNode: style.standardIcon(QStyle.SP_DirIcon),
            BrickNode: style.standardIcon(QStyle.SP_FileIcon),
            "error": style.standardIcon(QStyle.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.SP_MessageBoxWarning),
        }
        self._connect(document)

    # the document ------------------------------------------------------------------------
    def set_document(self, document: LayoutDocument) -> None:
        """Show ``document`` instead (a reset of the model)."""
        self.beginResetModel()
        self._disconnect(self.document)
        self.document = document
        self._problems = {}
        self._connect(document)
        self.endResetModel()

    def _handlers(self) -> dict[str, Any]:
        return {
            "inserting": self._on_inserting,
            "inserted": self._on_inserted,
            "removing": self._on_removing,
            "removed": self._on_removed,
            "moving": self._on_moving,
            "moved": self._on_moved,
            "itemChanged": self._on_item_changed,
        }

    def _connect(self, document: LayoutDocument) -> None:
        for signal, handler in self._handlers().items():
            document.connect(signal, handler)

    def _disconnect(self, document: LayoutDocument) -> None:
        for signal, handler in self._handlers().items():
            document.disconnect(signal, handler)

    def detach(self) -> None:
        """Stop following the document (before the model goes)."""
        self._disconnect(self.document)

    def _on_inserting(self, parent: Item | None, row: int) -> None:
        self.beginInsertRows(self.index_of(parent), row, row)

    def _on_inserted(self, parent: Item | None, row: int) -> None:
        self.endInsertRows()

    def _on_removing(self, parent: Item | None, row: int) -> None:
        self.beginRemoveRows(self.index_of(parent), row, row)

    def _on_removed(self, parent: Item | None, row: int) -> None:
        self.endRemoveRows()

    def _on_moving(self, parent: Item | None, row: int, new_row: int) -> None:
        index = self.index_of(parent)
        # Qt counts the destination before the move: one further when moving down
        self.beginMoveRows(index, row, row, index, new_row + 1 if new_row > row else new_row)

    def _on_moved(self, parent: Item | None, row: int, new_row: int) -> None:
        self.endMoveRows()

    def _on_item_changed(self, item: Item) -> None:
        self._changed(item)

    def _changed(self, item: Item) -> None:
        if self.document.contains(item):
            first = self.index_of(item)
            self.dataChanged.emit(first, first.siblingAtColumn(len(self.COLUMNS) - 1))

    def set_problems(self, problems: list[Problem]) -> None:
        """Mark the items that ``problems`` belong to."""
        old = self._problems
        self._problems = {}
        for problem in problems:
            if self.document.contains(problem.item):
                self._problems.setdefault(id(problem.item), []).append(problem)
        for item in list(self._items()):
            if id(item) in old or id(item) in self._problems:
                self._changed(item)

    def _items(self, item: Item | None = None):
        for child in self.document.children(item):
            yield child
            yield from self._items(child)

    # QAbstractItemModel ----------------------------------------------------------------------
    def item(self, index: QModelIndex) -> Item | None:
        """The layout item at ``index`` (``None`` for the invisible root)."""
        return index.internalPointer() if index.isValid() else None

    def index_of(self, item: Item | None, column: int = 0) -> QModelIndex:
        """The index of ``item`` (the invisible root for ``None``)."""
        if item is None or not self.document.contains(item):
            return QModelIndex()
        return self.createIndex(self.document.row(item), column, item)

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        children = self.document.children(self.item(parent))
        return self.createIndex(row, column, children[row])

    def parent(self, index: QModelIndex) -> QModelIndex:  # type: ignore[override]
        item = self.item(index)
        if item is None:
            return QModelIndex()
        return self.index_of(self.document.parent(item))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        if parent.column() > 0:
            return 0
        return len(self.document.children(self.item(parent)))

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        if not index.isValid():
            return Qt.ItemFlags(Qt.NoItemFlags)
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        item = self.item(index)
        if item is None:
            return None
        problems = self._problems.get(id(item), [])
        worst = "error" if any(p.severity == "error" for p in problems) else "warning"
        if role == Qt.DisplayRole:
            return item_text(item) if index.column() == 0 else item_kind(item)
        if role == Qt.DecorationRole and index.column() == 0:
            return self._icons[worst] if problems else self._icons[type(item)]
        if role == Qt.ToolTipRole:
            lines = [f"{item_kind(item)} {item_text(item)}"] + [str(p) for p in problems]
            return "\n".join(lines)
        if role == Qt.ForegroundRole and problems:
            return ERROR_BRUSH if worst == "error" else WARNING_BRUSH
        if role == Qt.FontRole and isinstance(item, WindowNode):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def icon(self, kind: type) -> QIcon:
        """The icon used for windows, containers or bricks."""
        return self._icons[kind]
