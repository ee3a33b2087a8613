"""mxcubecore's jsonpickle queue objects over XML-RPC: what reading and writing them costs.

The simulated beamline is loaded (no GUI) with its XML-RPC server on a free loopback
port; one client (one kept-alive connection) sends what an mxcubecore client sends:

- ``jsonpickle_decode_collection_median``: ms to read one DataCollection document
  (Acquisition, AcquisitionParameters, PathTemplate, CentredPosition: about 3 kB) into
  mxgui's type and parameters, in the process;
- ``jsonpickle_queue_add_child_median`` and ``mxgui_json_queue_add_child_median``: ms per
  ``queue_add_child`` over XML-RPC, the same collection as mxcubecore's jsonpickle and as
  mxgui's JSON (the beamline's defaults, checks, the queue file saved on the change);
- ``jsonpickle_queue_get_node_sample_ms``: ms for ``queue_get_node`` of a sample holding
  ``--tasks`` collections in the ``json`` serialisation (one document with its subtree);
- ``jsonpickle_refusal_4mb_deep_ms`` / ``_wide_ms``: ms to refuse a 4 MB document nested
  past the limit, and a 4 MB one holding more lists than a document may;
  ``jsonpickle_read_60k_items_ms``: ms to read one just under that bound (attributes
  mxgui does not use are read and dropped): what one call can make the server spend;
- ``jsonpickle_shared_depth40_refusal_ms``: ms to refuse a 2 kB collection whose
  ``exp_time`` is 40 levels of shared (py/id) lists, 2**40 leaves as a tree (review 16c);
- ``jsonpickle_long_keys_peak_mb``: MB at most while reading 20,000 objects under 40
  levels of 199-character keys (places are links, not copies of keys).

Targets: docs/contracts.md's "add one task <= 5 ms" for the adds; the decode and
refusal targets are mxgui's own. Prints one JSON object per figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

# run as a script: its directory must not hide the standard library's xmlrpc
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import xmlrpc.client  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIMULATED = ROOT / "HardwareRepository" / "simulated"
COLLECTION = {
    "num_images": 100,
    "osc_range": 0.1,
    "exp_time": 0.01,
    "osc_start": 10.0,
    "prefix": "bench",
    "centred_position": {"phi": 1.0, "phiy": 0.1, "phiz": 0.2, "sampx": 0.0, "sampy": 0.0},
}


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target}))


def timed_ms(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=300, help="queue_add_child calls per figure")
    parser.add_argument("--tasks", type=int, default=500, help="collections under the read sample")
    args = parser.parse_args()
    os.environ.setdefault("MXGUI_DATA_DIR", tempfile.mkdtemp(prefix="mxgui-bench-"))
    os.environ.pop("MXGUI_XMLRPC_PORT", None)  # a free port

    from mxgui.core.queue.model import QueueModel
    from mxgui.core.repository import HardwareRepository
    from mxgui.core.xmlrpc.jsonpickle_doc import DocumentError
    from mxgui.core.xmlrpc.jsonpickle_encode import encode_node
    from mxgui.core.xmlrpc.jsonpickle_queue import decode_task

    scratch = QueueModel(validator=None)  # the document mxcubecore's client would send
    sample = scratch.add(0, "Sample", {})
    document = encode_node(scratch, scratch.add(sample, "DataCollection", COLLECTION))
    decode_task(document)
    decode = timed_ms(lambda: decode_task(document), 2000)
    emit("jsonpickle_decode_collection_median", statistics.median(decode), "ms", "<= 0.5")

    repo = HardwareRepository([SIMULATED])
    try:
        server = repo.beamline.role("xmlrpc_server")
        proxy = xmlrpc.client.ServerProxy(
            server.url, allow_none=True, headers=[("Token", server.token)]
        )
        target = proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        mxgui_json = {"type": "DataCollection", "parameters": COLLECTION}
        for _ in range(20):  # warm-up
            proxy.queue_add_child(target, document)
        native: list[float] = []
        own: list[float] = []
        for _ in range(args.adds):  # alternated: both meet the same queue size
            native += timed_ms(lambda: proxy.queue_add_child(target, document), 1)
            own += timed_ms(lambda: proxy.queue_add_child(target, mxgui_json), 1)
        emit("jsonpickle_queue_add_child_median", statistics.median(native), "ms", "<= 5.0")
        emit("mxgui_json_queue_add_child_median", statistics.median(own), "ms", "<= 5.0")
        read = proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        for _ in range(args.tasks):
            proxy.queue_add_child(read, mxgui_json)
        proxy.queue_set_serialisation("json")
        reads = timed_ms(lambda: proxy.queue_get_node(read), 5)
        emit("jsonpickle_queue_get_node_sample_ms", statistics.median(reads), "ms", "<= 250")
        proxy("close")()
    finally:
        repo.shutdown()

    deep = "[" * 2_000_000 + "]" * 2_000_000  # nested past any limit
    head = '{"py/object": "mxcubecore.model.queue_model_objects.DataCollection", "x": '
    wide = head + "[" + ",".join(["[]"] * 1_300_000) + "]}"  # too many lists: about 4 MB
    for name, hostile in (("deep", deep), ("wide", wide)):

        def refuse(text: str = hostile) -> None:
            try:
                decode_task(text)
            except DocumentError:
                return
            raise AssertionError("a hostile document was read")

        times = timed_ms(refuse, 5)
        emit(f"jsonpickle_refusal_4mb_{name}_ms", statistics.median(times), "ms", "<= 100")
    # just under the bound: 59,990 dicts and lists in attributes mxgui does not read
    acquisition = '{"py/object": "mxcubecore.model.queue_model_objects.Acquisition"}'
    most = head + "[" + ",".join(['{"a":[]}'] * 29_995) + f'], "acquisitions": [{acquisition}]}}'

    times = timed_ms(lambda: decode_task(most), 5)
    emit("jsonpickle_read_60k_items_ms", statistics.median(times), "ms", "<= 500")
    shared = shared_document(40)
    times = timed_ms(lambda: refused(decode_task, shared), 20)
    emit("jsonpickle_shared_depth40_refusal_ms", statistics.median(times), "ms", "<= 100")
    emit("jsonpickle_long_keys_peak_mb", long_keys_peak() / 1e6, "MB", "<= 40")


def refused(decode, text: str) -> None:
    try:
        decode(text)
    except ValueError:
        return
    raise AssertionError("a hostile document was read")


def shared_document(depth: int) -> str:
    """A collection whose exp_time is a list of two references to a list of two ..."""
    module = "mxcubecore.model.queue_model_objects"
    chain: dict[str, object] = {"a0": []}
    for level in range(1, depth + 1):  # py/id 0-3: the collection down to its parameters
        chain[f"a{level}"] = [{"py/id": 3 + level}] * 2
    parameters = {"py/object": f"{module}.AcquisitionParameters", **chain}
    parameters["exp_time"] = {"py/id": 4 + depth}
    acquisition = {"py/object": f"{module}.Acquisition", "acquisition_parameters": parameters}
    return json.dumps({"py/object": f"{module}.DataCollection", "acquisitions": [acquisition]})


def long_keys_peak() -> int:
    """Bytes at the peak of reading 20,000 objects under 40 levels of long keys."""
    import tracemalloc

    from mxgui.core.xmlrpc.jsonpickle_doc import read_document
    from mxgui.core.xmlrpc.jsonpickle_queue import ALLOWED

    module = "mxcubecore.model.queue_model_objects"
    inner: object = [{"py/object": f"{module}.Crystal"}] * 20_000
    for _level in range(40):
        inner = {"k" * 199: inner}
    text = json.dumps({"py/object": f"{module}.TaskGroup", "x": inner})
    tracemalloc.start()
    try:
        read_document(text, ALLOWED)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


if __name__ == "__main__":
    main()
