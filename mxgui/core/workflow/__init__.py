"""Workflow engines, Qt-free: what runs a workflow outside the GUI and reports on it.

- :mod:`.catalog`: the workflows a client offers (:class:`~.catalog.WorkflowInfo`);
- :mod:`.events`: the step/end events a run reports and the results it ends with;
- :mod:`.local`: the ``local`` engine, an ewoks graph run by :mod:`.runner` in a child
  process (its own process group), its events read from a pipe, its death noticed;
- :mod:`.runner`: the child's main (``python -m mxgui.core.workflow.runner``); the only
  module that imports ewoks (in the child, or in a worker through :mod:`.ewoksjob_task`);
- :mod:`.bes`: the ``bes`` engine, the BES REST protocol (RUN / STATUS / ABORT).
- :mod:`.ewoksjob`: the ``ewoksjob`` engine, the graph as a Celery job on ewoksjob
  workers (Redis), watched through its events and heartbeat; :mod:`.ewoksjob_task`:
  the task the workers run (``runner.run`` on the worker; never imported by the GUI).

The workflow client hardware object (``hardware_objects/workflow_client.py``) chooses
the engine per workflow, records runs in the execution log and emits the signals.
"""

from mxgui.core.workflow.events import ABORTED, FAILED, SUCCESS, RunResult, WorkflowRun

__all__ = ["ABORTED", "FAILED", "SUCCESS", "RunResult", "WorkflowRun"]
