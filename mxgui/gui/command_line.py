"""The ``mxgui`` command: start the GUI, or check a configuration with ``--check``."""

from __future__ import annotations

import time

STARTED = time.time()  # as early as possible: start-up time is measured from here

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from mxgui import __version__  # noqa: E402

log = logging.getLogger("mxgui")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REPOSITORY = ROOT / "HardwareRepository" / "simulated"
DEFAULT_LAYOUT = ROOT / "layouts" / "default.yml"
#: set to 1 to quit as soon as the main window has been painted (benchmarks, smoke tests)
QUIT_AFTER_PAINT_ENV = "MXGUI_QUIT_AFTER_PAINT"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mxgui",
        description="Control GUI for macromolecular crystallography beamlines. "
        "With no argument it starts the simulated beamline with layouts/default.yml.",
    )
    parser.add_argument(
        "--repository",
        action="append",
        metavar="DIR",
        help="hardware repository directory (repeat for several; the first that has a "
        f"file wins; default: {DEFAULT_REPOSITORY.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--layout",
        metavar="FILE",
        help=f"layout file (default: {DEFAULT_LAYOUT.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="load the hardware objects and the layout without opening a window, print "
        "one line per object and per brick, exit 1 if anything failed",
    )
    parser.add_argument(
        "--design", nargs="?", const="", metavar="FILE", help="open the layout designer"
    )
    parser.add_argument(
        "--xmlrpc-port", type=int, metavar="N", help="XML-RPC server port (0: pick a free one)"
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument("--version", action="version", version=f"mxgui {__version__}")
    return parser


def repository_dirs(args: argparse.Namespace) -> list[Path]:
    return [Path(d) for d in args.repository] if args.repository else [DEFAULT_REPOSITORY]


class ConsoleHandler(logging.StreamHandler):
    """The terminal handler :func:`setup_logging` adds: its class tells it from the others."""


def console_handlers() -> list[ConsoleHandler]:
    """The handlers ``mxgui`` logs to the terminal with (see :func:`setup_logging`)."""
    return [h for h in logging.getLogger().handlers if isinstance(h, ConsoleHandler)]


def setup_logging(level: str) -> None:
    """Log to stderr with time, level and logger name, and to the log file."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    if not console_handlers():
        console = ConsoleHandler()
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
        root.addHandler(console)
    for handler in console_handlers():
        handler.setLevel(level)
    from mxgui.gui.log_file import install_log_file

    path = install_log_file(level=level)  # the full text of what the GUI shows cut
    if path is not None:
        log.info("log file %s", path)


def install_excepthook() -> None:
    """Log an uncaught exception (e.g. in a Qt slot) instead of aborting the process."""

    def hook(kind, value, traceback) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, traceback)
            return
        log.critical("uncaught exception", exc_info=(kind, value, traceback))

    sys.excepthook = hook


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mxgui`` command."""
    args = build_parser().parse_args(argv)
    if args.xmlrpc_port is not None and not 0 <= args.xmlrpc_port <= 65535:
        print(f"mxgui: --xmlrpc-port {args.xmlrpc_port}: a port is 0..65535", file=sys.stderr)
        return 2
    if args.xmlrpc_port is not None:
        from hardware_objects.xmlrpc_server import PORT_ENV

        os.environ[PORT_ENV] = str(args.xmlrpc_port)  # read when the server object starts
    layout = Path(args.layout) if args.layout else DEFAULT_LAYOUT
    if args.check:
        from mxgui.gui.check import run_check

        # warnings go to stderr (the report on stdout also says what they mean)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        return run_check(repository_dirs(args), layout)
    setup_logging(args.log_level)
    install_excepthook()
    if args.design is not None:
        from mxgui.gui.designer.app import run_designer

        return run_designer(args.design or str(layout), repository_dirs(args))
    from mxgui.gui.application import MxguiApplication

    application = MxguiApplication(
        repository_dirs(args),
        layout,
        xmlrpc_port=args.xmlrpc_port,
        started=STARTED,
        quit_on_signals=True,
    )
    return application.run(quit_after_paint=os.environ.get(QUIT_AFTER_PAINT_ENV) == "1")


if __name__ == "__main__":
    sys.exit(main())
