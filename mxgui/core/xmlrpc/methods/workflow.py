"""Workflow methods: messages for the user, dialogs and the end of a workflow
(mxcubecore's names; online processing's calls are in ``processing``)."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, ClassVar

from mxgui.core.futures import attempt
from mxgui.core.xmlrpc.args import as_str, as_struct
from mxgui.core.xmlrpc.caller import caller_gone
from mxgui.core.xmlrpc.context import CallerGone, ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument, Unavailable

#: where ``log_message`` writes (the GUI's log shows it)
user_log = logging.getLogger("mxgui.workflow")
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


class WorkflowMethods:
    """``log_message``, ``open_dialog``, ``workflow_end``."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "log_message",
        "open_dialog",
        "workflow_end",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def log_message(self, message: object, level: object = "info") -> bool:
        """Show ``message`` in the GUI's log at ``level`` (debug, info, warning,
        error, critical)."""
        text = as_str(message, "message", allow_empty=True)
        name = as_str(level, "level").lower()
        if name not in _LEVELS:
            raise BadArgument(f"level: {level!r} is not one of {', '.join(_LEVELS)}")
        user_log.log(_LEVELS[name], "%s", text)
        return True

    def open_dialog(self, dict_dialog: object) -> dict[str, Any]:
        """Show a form to the user and return the values given; ``{"__cancelled__":
        True}`` when the user cancels (beside mxcubecore's ``inputMap`` variables); the
        defaults when the dialog's ``timeout`` (else the server's ``dialog_timeout``)
        passes. See ``mxgui.core.dialog_spec`` for the
        dict (the simple form, mxcubeweb's JSON schema, or mxcubecore's EdnaWorkflow
        ``reviewData``/``inputMap``, answered as ``{variableName: text}``) and its
        size limits.

        One dialog is open at a time (``mxgui.core.xmlrpc.dialog_turns``: a second call
        waits a few seconds for its turn, then gets a Fault), and a dialog whose caller
        disconnects is closed."""
        from mxgui.core.dialog_spec import parse_dialog

        spec = parse_dialog(as_struct(dict_dialog, "dict_dialog"))  # ValueError names it
        handler = self.ctx.handler("open_dialog")
        if handler is None:
            raise Unavailable("no GUI is there to show the dialog (no open_dialog handler)")
        timeout = spec.timeout if spec.timeout is not None else (self.ctx.dialog_timeout or None)
        spec = dataclasses.replace(spec, timeout=timeout)  # the GUI counts down the same time
        with self.ctx.dialog_turns.turn(spec.title, caller_gone, lambda: self.ctx.stopping):
            asking = attempt(lambda: handler(spec))
            try:
                values = self.ctx.wait(asking, timeout, "the dialog", abandoned=caller_gone)
            except TimeoutError:
                asking.cancel()
                user_log.info("dialog %r: no answer in %g s; defaults used", spec.title, timeout)
                return spec.reply(spec.defaults())
            except CallerGone:
                user_log.info("dialog %r closed: its caller disconnected", spec.title)
                raise
        if values is None:
            return spec.cancelled()
        return spec.reply(spec.validate(values))

    def workflow_end(self) -> bool:
        """Tell the workflow client that the running workflow has ended."""
        self.ctx.role("workflow").workflow_end()
        return True
