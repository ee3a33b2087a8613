"""The live preview: the layout's windows built with real bricks, unconnected."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PyQt5.QtCore import QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mxgui.gui.brick import BrickContext
from mxgui.gui.builder import BuiltLayout, build_layout
from mxgui.gui.layout import Layout

log = logging.getLogger(__name__)

#: how long edits must pause before the preview is rebuilt (one rebuild per burst)
REBUILD_DELAY_MS = 400


class PreviewArea(QWidget):
    """One tab per window of the layout, built as ``mxgui`` would build it but inert:
    ``context``'s repository gives no live objects (:class:`PreviewRepository`), so the
    bricks are built unconnected; a bad hardware-object file or class still shows.

    ``source()`` gives the layout to build: an independent copy (building records
    errors on the nodes it is given). Before every rebuild the previous bricks are
    cleaned up (:meth:`BuiltLayout.cleanup`, which ends their hardware subscriptions)
    and their widgets deleted. With *Live* checked, :meth:`schedule` rebuilds once
    edits pause. ``layoutBuilt(BuiltLayout)`` follows each build.
    """

    layoutBuilt = pyqtSignal(object)

    def __init__(
        self, context: BrickContext, source: Callable[[], Layout], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.source = source
        self.built: BuiltLayout | None = None
        self.status = QLabel("no preview yet")
        self.live = QCheckBox("Live")
        self.live.setChecked(True)
        self.live.setToolTip("rebuild the preview after each change")
        self.rebuild_button = QPushButton("Rebuild")
        self.rebuild_button.setToolTip("build the layout again (F5)")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REBUILD_DELAY_MS)
        self.timer.timeout.connect(self.refresh)
        self.rebuild_button.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>Preview</b>"))
        bar.addWidget(self.status, 1)
        bar.addWidget(self.live)
        bar.addWidget(self.rebuild_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addLayout(bar)
        column.addWidget(self.tabs, 1)

    def schedule(self) -> None:
        """Rebuild soon if *Live* is checked (edits in a burst give one rebuild)."""
        if self.live.isChecked():
            self.timer.start()

    def refresh(self) -> None:
        """Tear down the current preview and build the layout again."""
        self.timer.stop()
        self.clear()
        try:
            self.built = build_layout(self.source(), self.context)
        except Exception as exc:  # a brick class misbehaving must not take the designer down
            log.exception("building the preview failed")
            self.status.setText(f"the preview could not be built: {type(exc).__name__}: {exc}")
            return
        for window in self.built.windows:
            node = window.node
            size = f", {node.size[0]}×{node.size[1]}" if node.size else ""
            index = self.tabs.addTab(window.content, f"{node.title}  [{node.name}{size}]")
            self.tabs.setTabToolTip(index, f"window {node.name}: {node.title}{size}")
        errors = len(self.built.errors)
        unconnected = "" if self.context.repository.live else " (not connected to the hardware)"
        self.status.setText(
            f"{len(self.built.bricks)} bricks built{unconnected}"
            + (f", {errors} problem{'s' if errors != 1 else ''} (see Problems)" if errors else "")
        )
        self.layoutBuilt.emit(self.built)

    def clear(self) -> None:
        """Clean up the bricks of the current preview and delete its widgets."""
        if self.built is not None:
            self.built.cleanup()
            self.built = None
        while self.tabs.count():
            page = self.tabs.widget(0)
            self.tabs.removeTab(0)
            page.deleteLater()

    def shutdown(self) -> None:
        """Stop rebuilding and clear (the designer is closing)."""
        self.timer.stop()
        self.clear()
