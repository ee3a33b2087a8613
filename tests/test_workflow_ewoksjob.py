"""The distributed workflow engine (``ewoksjob``): ewoks graphs on real Celery workers
with a real Redis as broker and result backend (``tests/celery_servers.py``)."""

from __future__ import annotations

from celery_servers import CeleryWorker, client_app

pytest_plugins = ("celery_servers",)


def test_a_worker_runs_an_ewoks_graph(celery_worker: CeleryWorker) -> None:
    """The fixtures' worker takes an ewoks graph from its queue and answers its result:
    ewoksjob's own task, Redis as broker and backend."""
    graph = {
        "graph": {"id": "hypot"},
        "nodes": [{"id": "hypot", "task_type": "method", "task_identifier": "math.hypot"}],
    }
    inputs = [
        {"id": "hypot", "name": 0, "value": 3},
        {"id": "hypot", "name": 1, "value": 4},
    ]
    app = client_app(celery_worker.redis)
    try:
        job = app.send_task(
            "ewoksjob.apps.ewoks.execute_graph",
            args=(graph,),
            kwargs={"inputs": inputs},
            queue=celery_worker.queue,
        )
        assert job.get(timeout=60) == {"return_value": 5.0}
    finally:
        app.close()
