"""Scoring a batch of images as an ewoks task, for the workers of the ``ewoksjob`` engine.

A Celery worker of ewoksjob runs ewoks graphs; :data:`BATCH_GRAPH` is a one-node graph
whose task, :class:`ScoreImages`, scores the image files ``paths`` with
:func:`mxscore.scoring.assess_image` (the GUI's own scorer, so a worker's scores equal
the GUI's). A worker needs nothing but this package on its path (numpy, fabio and
ewokscore, which the worker has anyway). The files must be readable where the worker
runs (the beamline's shared data directory).

Outputs: ``results``, one item per path in order, either ``[score, spots]`` or the
reason (a string) the image could not be read; ``worker``, the host and process id of
the worker (``host:pid``), so the GUI can say who scored what; ``seconds``, the time the
scoring took on the worker (what the job cost besides Celery's and ewoks' own).
"""

from __future__ import annotations

import os
import socket
import time

from ewokscore import Task

from mxscore.scoring import assess_image

#: the ewoks identifier of :class:`ScoreImages`
TASK_IDENTIFIER = f"{__name__}.ScoreImages"
#: the node of :data:`BATCH_GRAPH` that scores
NODE_ID = "score"

#: a one-node ewoks graph scoring the input ``paths`` (plain JSON: it travels to the worker)
BATCH_GRAPH: dict[str, object] = {
    "graph": {"id": "mxscore_batch", "schema_version": "1.2"},
    "nodes": [{"id": NODE_ID, "task_type": "class", "task_identifier": TASK_IDENTIFIER}],
    "links": [],
}


def score_paths(paths: list[str]) -> list[list[float] | str]:
    """``[score, spots]`` for each image of ``paths``, or the reason it cannot be read."""
    results: list[list[float] | str] = []
    for path in paths:
        try:
            quality = assess_image(path)
        except ValueError as exc:
            results.append(str(exc))
        else:
            results.append([quality.score, float(quality.spots)])
    return results


def worker_name() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


# ewokscore has no type information: its Task is Any to mypy
class ScoreImages(Task, input_names=["paths"], output_names=["results", "worker", "seconds"]):  # type: ignore[misc,call-arg]
    """Scores the image files ``paths`` (see the module docstring)."""

    def run(self) -> None:
        paths = self.inputs.paths
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError(f"paths: a list of file paths was expected, got {paths!r:.200}")
        started = time.perf_counter()
        self.outputs.results = score_paths(paths)
        self.outputs.seconds = time.perf_counter() - started
        self.outputs.worker = worker_name()
