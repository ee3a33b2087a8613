"""NamedColumns: Qt views see the columns and header texts a model names."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QTableView

from bricks.log_brick import LogModel
from mxgui.gui.designer.problems import ProblemsModel


def test_views_show_the_named_columns_of_a_model(qtbot):
    for model, names in (
        (LogModel(), ["Time", "Level", "Source", "Message"]),
        (ProblemsModel(), ["Where", "Problem"]),
    ):
        view = QTableView()
        qtbot.addWidget(view)
        view.setModel(model)
        header = view.horizontalHeader()  # asks the model through Qt, not Python
        assert header.count() == len(names)
        texts = [model.headerData(i, Qt.Horizontal, Qt.DisplayRole) for i in range(header.count())]
        assert texts == names
        assert model.headerData(0, Qt.Vertical, Qt.DisplayRole) is None
        assert model.headerData(0, Qt.Horizontal, Qt.ToolTipRole) is None
