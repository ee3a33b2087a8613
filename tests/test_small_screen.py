"""The default layout on a small screen (1280x800): the window fits, the sample view
keeps a useful size, the splitters' sizes a user set come back in the next window, and
the layout's window size is fitted to the screen."""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QRect, Qt
from PyQt5.QtWidgets import QScrollArea, QSplitter, QTabWidget

from mxgui.gui.brick import BrickContext
from mxgui.gui.bridge import GuiBridge
from mxgui.gui.builder import SPLITTER_KEY, build_layout
from mxgui.gui.layout import load_layout
from mxgui.gui.main_window import LayoutWindow, fit_size, fitted_sizes
from mxgui.gui.settings import layout_key, user_settings

from helpers import DEFAULT_LAYOUT, events_delivered, show_brick

SMALL = (1280, 800)
#: the sample view's camera image at 1280x800: the least that shows a crystal and its loop
USEFUL_VIEW = (480, 360)

SPLITTERS = """\
format_version: 1
windows:
  - name: main
    title: splitters
    size: [900, 600]
    content:
      type: hsplitter
      sizes: [300, 600]
      children:
        - type: groupbox
          title: left
        - type: vsplitter
          name: right_column
          sizes: [200, 400]
          children:
            - type: groupbox
              title: top
            - type: groupbox
              title: bottom
connections: []
"""


def test_the_default_window_fits_1280x800_and_the_sample_view_keeps_a_useful_size(make_app, qtbot):
    app = make_app()
    main = app.windows[0]
    hint = main.minimumSizeHint()
    assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1], hint
    main.resize(*SMALL)
    events_delivered(qtbot)
    assert (main.width(), main.height()) == SMALL
    view = app.built.bricks["sample_view"].view
    assert view.width() >= USEFUL_VIEW[0] and view.height() >= USEFUL_VIEW[1], view.size()
    strip = app.built.bricks["beamline_status"]
    view_top = view.mapTo(main, view.rect().topLeft()).y()
    assert strip.isVisible() and strip.mapTo(main, strip.rect().bottomLeft()).y() < view_top


def test_the_status_strip_stays_in_view_whichever_tab_is_open(make_app, qtbot):
    app = make_app()
    main = app.windows[0]
    strip = app.built.bricks["beamline_status"]
    assert not any(isinstance(w, QTabWidget) for w in _ancestors(strip))  # in no tab
    places = set()
    for name in ("queue_tree", "energy", "sample_changer", "mesh_results", "log", "shapes_list"):
        show_brick(app.built.bricks[name])
        events_delivered(qtbot)
        assert app.built.bricks[name].isVisible() and strip.isVisible(), name
        places.add((strip.mapTo(main, strip.rect().topLeft()).y(), strip.height()))
    assert len(places) == 1  # the same line of the window, whatever tab is in front


def test_a_tab_page_scrolls_instead_of_widening_the_window(make_app, qtbot):
    app = make_app()
    main = app.windows[0]
    main.resize(*SMALL)
    beamline_tab = app.built.bricks["energy"]
    show_brick(beamline_tab)
    events_delivered(qtbot)
    area = next(w for w in _ancestors(beamline_tab) if isinstance(w, QScrollArea))
    page = area.widget()
    # the page wants more room than the tab has: its scroll bar shows, the window stays
    assert page.minimumSizeHint().width() > area.viewport().width()
    assert area.horizontalScrollBar().isVisible()
    assert main.width() == SMALL[0]


def test_the_queue_tab_fits_1280x800_without_sideways_scrolling(make_app, qtbot):
    """The queue, Add tasks and Run all show at once: their buttons are the daily path."""
    app = make_app()
    main = app.windows[0]
    main.resize(*SMALL)
    tree = app.built.bricks["queue_tree"]
    show_brick(tree)
    events_delivered(qtbot)
    area = next(w for w in _ancestors(tree) if isinstance(w, QScrollArea))
    assert area.widget().minimumSizeHint().width() <= area.viewport().width()
    assert not area.horizontalScrollBar().isVisible()
    control = app.built.bricks["queue_control"]
    right_edge = control.mapTo(main, control.rect().topRight()).x()
    assert right_edge <= main.width()


def _ancestors(widget):
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


def _window(layout_path: Path, repo, screen_area: QRect | None = None) -> LayoutWindow:
    built = build_layout(load_layout(layout_path), BrickContext(repo, GuiBridge()))
    node = built.windows[0].node
    return LayoutWindow(
        node.title, built.windows[0].content, str(layout_path), node.name, node.size, screen_area
    )


def test_splitter_sizes_set_by_the_user_come_back_in_a_new_window(tmp_path, repo, qtbot):
    layout = tmp_path / "splitters.yml"
    layout.write_text(SPLITTERS)
    first = _window(layout, repo)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    splitters = first.splitters()
    assert set(splitters) == {"at 0", "right_column"}  # unnamed: by place; named: by name
    splitters["at 0"].setSizes([600, 300])  # as a user drags the handles
    splitters["right_column"].setSizes([450, 150])
    events_delivered(qtbot)
    chosen = {key: s.sizes() for key, s in splitters.items()}
    assert chosen["at 0"] != [300, 600] and chosen["right_column"] != [200, 400]
    first.close()  # saves

    saved = user_settings().childGroups()
    assert saved, "nothing saved"
    assert user_settings().value(f"{layout_key(str(layout), 'main')}/splitters/at 0") is not None

    second = _window(layout, repo)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    events_delivered(qtbot)
    assert {key: s.sizes() for key, s in second.splitters().items()} == chosen


def test_a_layout_of_another_file_does_not_take_these_sizes(tmp_path, repo, qtbot):
    layout = tmp_path / "splitters.yml"
    layout.write_text(SPLITTERS)
    first = _window(layout, repo)
    qtbot.addWidget(first)
    first.show()
    first.splitters()["at 0"].setSizes([700, 200])
    events_delivered(qtbot)
    first.close()
    other = tmp_path / "other.yml"
    other.write_text(SPLITTERS)
    second = _window(other, repo)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    events_delivered(qtbot)
    sizes = second.splitters()["at 0"].sizes()
    assert sizes[0] < sizes[1]  # the file's 300:600, not the other file's 700:200


def test_the_layout_window_size_is_fitted_to_a_smaller_screen(tmp_path, repo, qtbot):
    screen = QRect(0, 0, *SMALL)
    assert fit_size((1600, 1000), screen) == (1280, 800 - 32)
    assert fit_size((900, 600), screen) == (900, 600)  # a window that fits keeps its size
    assert fit_size((1600, 1000), None) == (1600, 1000)  # no screen to fit (headless)
    window = _window(DEFAULT_LAYOUT, repo, screen)
    qtbot.addWidget(window)
    assert window.width() <= SMALL[0] and window.height() <= SMALL[1]
    assert all(isinstance(s.property(SPLITTER_KEY), str) for s in window.splitters().values())
    assert len(window.findChildren(QSplitter)) >= 4


def test_the_sample_view_tool_bars_wrap_and_hide_no_main_action(qtbot):
    from PyQt5.QtWidgets import QVBoxLayout, QWidget

    from mxgui.gui.sample_view.controls import GridParameters, ZoomLightsBar
    from mxgui.gui.sample_view.modes import Mode
    from mxgui.gui.sample_view.toolbar import SampleViewToolbar

    holder = QWidget()
    qtbot.addWidget(holder)
    column = QVBoxLayout(holder)
    toolbar, controls, grid = SampleViewToolbar(), ZoomLightsBar(), GridParameters()
    for bar in (toolbar, controls, grid):
        column.addWidget(bar)
    column.addStretch(1)
    holder.resize(1400, 400)
    holder.show()
    qtbot.waitExposed(holder)
    one_row = toolbar.height()
    main = [
        toolbar.mode_buttons[Mode.CENTRING],
        toolbar.accept_button,
        toolbar.reject_button,
        toolbar.cancel_button,
        *(toolbar.mode_buttons[m] for m in (Mode.MOVE_TO_BEAM, Mode.DRAW_GRID, Mode.DRAW_LINE)),
    ]
    assert len({b.y() for b in main}) == 1  # all in one row when there is room

    holder.resize(360, 400)  # far narrower than the buttons in one row
    events_delivered(qtbot)
    assert toolbar.height() > one_row  # wrapped onto more rows
    for bar in (toolbar, controls, grid):
        buttons = [w for w in bar.findChildren(QWidget) if w.isVisibleTo(bar)]
        assert buttons
        for widget in buttons:
            corner = widget.mapTo(bar, widget.rect().bottomRight())
            assert corner.x() < bar.width() and corner.y() < bar.height(), widget
    for button in main:
        assert button.isVisible() and button.width() >= button.sizeHint().width()
    # reading order kept: Accept comes after the centring button that starts its group
    centring, accept = toolbar.mode_buttons[Mode.CENTRING], toolbar.accept_button
    assert (accept.y(), accept.x()) >= (centring.y(), centring.x())
    assert holder.minimumSizeHint().width() <= 360


def _pages_wider_than_their_tab(main) -> set[str]:
    """The tab pages of ``main`` whose content is wider than the page shows."""
    wide = set()
    for tabs in main.findChildren(QTabWidget):
        for index in range(tabs.count()):
            area = tabs.widget(index)
            if isinstance(area, QScrollArea) and area.widget() is not None:
                if area.widget().minimumSizeHint().width() > area.viewport().width():
                    wide.add(tabs.tabText(index))
    return wide


def test_splitter_sizes_saved_at_1920_are_fitted_to_a_1280_window(tmp_path, repo, qtbot):
    """Sizes saved on a large screen squeezed the right-hand tabs on a small one (the
    Queue tab's buttons cut): restored, they are fitted to the width there is."""
    screen = QRect(0, 0, *SMALL)
    fresh = _window(DEFAULT_LAYOUT, repo, screen)
    qtbot.addWidget(fresh)
    fresh.show()
    events_delivered(qtbot)
    too_wide_fresh = _pages_wider_than_their_tab(fresh)
    assert "Queue" not in too_wide_fresh
    fresh.close()

    large = _window(DEFAULT_LAYOUT, repo, QRect(0, 0, 1920, 1200))
    qtbot.addWidget(large)
    large.show()
    large.resize(1920, 1200)
    events_delivered(qtbot)
    for splitter in large.splitters().values():  # as a user at 1920 drags the handles
        first, *rest = splitter.sizes()
        splitter.setSizes([first + 300, *(max(s - 300 // len(rest), 10) for s in rest)])
    events_delivered(qtbot)
    right = large.splitters()["at 0.1"].sizes()[1]
    large.close()  # saves

    small = _window(DEFAULT_LAYOUT, repo, screen)
    qtbot.addWidget(small)
    small.show()
    events_delivered(qtbot)
    assert small.width() <= SMALL[0]
    assert _pages_wider_than_their_tab(small) <= too_wide_fresh
    for key, splitter in small.splitters().items():
        handles = splitter.handleWidth() * (splitter.count() - 1)
        extent = splitter.width() if splitter.orientation() == Qt.Horizontal else splitter.height()
        assert sum(splitter.sizes()) + handles <= extent, key
    # the right-hand pane the user made narrower at 1920 keeps that width here
    assert small.splitters()["at 0.1"].sizes()[1] == right


def test_fitted_sizes_keep_a_narrowed_pane_and_share_the_rest():
    assert fitted_sizes([600, 300], [300, 600], 900) == [600, 300]  # they fit: as saved
    # saved at 1900 wide, the layout says 860:740, 1280 wide now
    assert fitted_sizes([1300, 600], [860, 740], 1280) == [688, 592]
    assert fitted_sizes([1000, 700], [860, 740], 1280) == [688, 592]
    assert fitted_sizes([1000, 500], [860, 740], 1280) == [780, 500]  # narrowed: kept
    assert fitted_sizes([1400, 400], [860, 740], 1280) == [880, 400]  # narrowed: kept
    assert sum(fitted_sizes([7, 5, 3], [1, 1, 1], 10)) == 10
