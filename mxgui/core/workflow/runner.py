"""The child process of the local workflow engine: runs one ewoks graph.

``python -m mxgui.core.workflow.runner GRAPH [--path DIR ...]`` with the graph inputs as a
JSON object on stdin. The directories ``--path`` (the workflows directory) go to the
front of ``sys.path``, so that the graph's task modules import. Each input is given to
every node whose task declares it (``sample_node_id``, ``directory``, ...); a node that
does not declare an input does not get it.

Events (see ``events.py``) go, one JSON object per line, to the process's original
standard output; the standard output the tasks see is redirected to standard error, so
a ``print`` in a task never mixes with the events. Steps are reported from ewoks' own
node events. Exit code 0 when the graph ran to its end; 1 when a step failed (the
failing step and its error are in the last event and on standard error); 2 when the
graph could not be loaded or the inputs read.

The runner watches the GUI that started it (its process id in ``MXGUI_WORKFLOW_PARENT``):
when the GUI has gone (killed, crashed) without ending the workflow, the runner ends its
whole process group (SIGTERM, then SIGKILL), so no workflow outlives its GUI.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mxgui.core.workflow.events import (
    ENV_PARENT,
    FAILED,
    RUNNING,
    SUCCESS,
    end_line,
    step_line,
)

if TYPE_CHECKING:  # ewokscore is imported when a workflow runs (a heavy import)
    from ewokscore.graph import TaskGraph

log = logging.getLogger("mxgui.workflow.runner")

#: seconds between two looks at the parent process
PARENT_POLL_S = 0.5


class LineStream(Protocol):
    """Where an :class:`EventWriter` writes: a text stream (the child's event pipe) or
    anything with ``write`` and ``flush`` (a worker's events list in Redis)."""

    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class EventWriter:
    """Writes event lines to ``stream`` (thread-safe); remembers the failed step."""

    def __init__(self, stream: LineStream) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.failed_step = ""
        self.failed_message = ""
        #: the end event written (status, message, step); ``None`` before the end
        self.last_end: tuple[str, str, str] | None = None

    def write(self, line: str) -> None:
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def step(self, step: str, status: str, message: str = "") -> None:
        if status == FAILED and not self.failed_step:
            self.failed_step, self.failed_message = step, message
        self.write(step_line(step, status, message))

    def end(self, status: str, message: str = "", step: str = "") -> None:
        self.last_end = (status, message, step)
        self.write(end_line(status, message, step))


def _event_handler(writer: EventWriter) -> logging.Handler:
    """An ewoks event handler reporting node start / end to ``writer``."""
    from ewokscore.events.handlers import EwoksEventHandler

    class StepEvents(EwoksEventHandler):  # type: ignore[misc]  # ewokscore has no types
        """Node events of ewoks as step events."""

        def emit(self, record: logging.LogRecord) -> None:
            if getattr(record, "context", None) != "node":
                return
            step = str(getattr(record, "node_id", "") or "")
            kind = getattr(record, "type", None)
            if kind == "start":
                writer.step(step, RUNNING)
            elif kind == "end":
                if getattr(record, "error", False):
                    writer.step(step, FAILED, str(getattr(record, "error_message", "") or ""))
                else:
                    writer.step(step, SUCCESS)

    return StepEvents()


def node_inputs(graph: TaskGraph, inputs: Mapping[str, object]) -> list[dict[str, object]]:
    """ewoks input items giving each input to every node whose task declares it."""
    from ewokscore.inittask import get_task_class

    items = []
    for node_id, attrs in graph.graph.nodes.items():
        if attrs.get("task_type") != "class":
            continue  # a script, a method...: it declares no inputs to give
        try:
            declared = get_task_class(node_id, attrs).input_names()
        except (ImportError, AttributeError) as exc:
            identifier = attrs.get("task_identifier")
            raise RuntimeError(
                f"step {node_id}: task {identifier} cannot be imported: {type(exc).__name__}: {exc}"
            ) from None
        for name, value in inputs.items():
            if name in declared:
                items.append({"id": node_id, "name": name, "value": value})
    return items


def run(graph_source: str | Mapping[str, Any], inputs: dict[str, Any], writer: EventWriter) -> int:
    """Load and execute the graph (a file, or the graph itself as ewoks JSON: what the
    ewoksjob engine's workers get); the exit code (see the module docstring)."""
    name = graph_name(graph_source)
    try:
        from ewokscore import execute_graph, load_graph
        from ewokscore.events import add_handler, remove_handler

        graph = load_graph(graph_source if isinstance(graph_source, str) else dict(graph_source))
        items = node_inputs(graph, inputs)
    except Exception as exc:  # the graph file or a task module: say which and why
        reason = str(exc) if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {exc}"
        message = f"cannot load workflow graph {name}: {reason}"
        print(message, file=sys.stderr)
        writer.end(FAILED, message)
        return 2
    handler = _event_handler(writer)
    add_handler(handler, asynchronous=False)
    try:
        execute_graph(graph, inputs=items, execinfo={})
    except Exception as exc:  # a failed task: the events named it; report and exit 1
        step = writer.failed_step
        reason = writer.failed_message or f"{type(exc).__name__}: {exc}"
        log.error("workflow %s failed%s: %s", name, f" at step {step}" if step else "", reason)
        writer.end(FAILED, reason, step)
        return 1
    finally:  # a worker runs many graphs: each run's handler goes with it
        remove_handler(handler)
    writer.end(SUCCESS)
    return 0


def graph_name(graph_source: str | Mapping[str, Any]) -> str:
    """The file of a graph, or the ``id`` of a graph given as ewoks JSON."""
    if isinstance(graph_source, str):
        return graph_source
    header = graph_source.get("graph")
    identifier = header.get("id") if isinstance(header, Mapping) else None
    return f"'{identifier}'" if identifier else "(no id)"


def watch_parent(parent: int, period: float = PARENT_POLL_S) -> threading.Thread | None:
    """A daemon thread ending this process group once process ``parent`` is no longer
    this process's parent (the GUI died: the orphan was re-parented); ``None`` for no
    parent to watch (``parent`` <= 1)."""
    if parent <= 1:
        return None

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(period)
        with contextlib.suppress(OSError):  # the pipe's reader, the GUI, is dead
            print(f"the GUI (process {parent}) has gone: ending the workflow", file=sys.stderr)
        group = os.getpgrp()
        if group != os.getpid():  # not a group of its own (run by hand): only itself
            os.kill(os.getpid(), signal.SIGKILL)
        os.killpg(group, signal.SIGTERM)  # this process too, unless it handles SIGTERM
        time.sleep(2.0)
        os.killpg(group, signal.SIGKILL)

    thread = threading.Thread(target=watch, name="parent watch", daemon=True)
    thread.start()
    return thread


def _parent_pid() -> int:
    try:
        return int(os.environ.get(ENV_PARENT, "0"))
    except ValueError:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The child's entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m mxgui.core.workflow.runner")
    parser.add_argument("graph", help="the ewoks graph (JSON)")
    parser.add_argument("--path", action="append", default=[], help="added to sys.path")
    args = parser.parse_args(argv)
    # the events get the real stdout; what the tasks print goes to stderr
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    writer = EventWriter(events)
    watch_parent(_parent_pid())
    for directory in reversed(args.path):
        sys.path.insert(0, directory)
    try:
        inputs = json.load(sys.stdin)
        if not isinstance(inputs, dict):
            raise ValueError(f"a JSON object was expected, not {type(inputs).__name__}")
    except ValueError as exc:
        message = f"workflow inputs on stdin: {exc}"
        print(message, file=sys.stderr)
        writer.end(FAILED, message)
        return 2
    return run(args.graph, inputs, writer)


if __name__ == "__main__":
    sys.exit(main())
