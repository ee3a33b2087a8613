"""Writes ``sample_jsonpickle_2.0.0.json``: a Sample with a group of a helical and a
plain collection sharing objects (one PathTemplate, the end CentredPosition), encoded
by a real jsonpickle release older than the one the tests use.

Run once in a virtual environment of its own (Python 3.11)::

    python -m venv /tmp/oldjp && /tmp/oldjp/bin/pip install jsonpickle==2.0.0
    /tmp/oldjp/bin/python tests/data/jsonpickle/make_fixture.py \\
        > tests/data/jsonpickle/sample_jsonpickle_2.0.0.json
"""

import sys
import types
from pathlib import Path

sys.modules["pytest"] = types.ModuleType("pytest")  # the stand-ins import it for install()
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import jsonpickle  # noqa: E402
import mxcubecore_standins as qmo  # noqa: E402


def sample() -> qmo.Sample:
    """The sample, its group and the two collections (see the module docstring)."""
    found = qmo.Sample()
    found.name, found.location, found.lims_id = "lyso", (2, 5), 17
    found.crystals[0].protein_acronym = "LYS"
    group = found.add_child(qmo.TaskGroup())
    group._name = "older client"
    start = qmo.CentredPosition({"phi": 1.0, "phiy": 0.1, "phiz": 0.2, "sampx": 0.3, "sampy": 0.4})
    end = qmo.CentredPosition({"phi": 2.0, "phiy": 1.1, "phiz": 1.2, "sampx": 1.3, "sampy": 1.4})
    helical = group.add_child(qmo.DataCollection())
    helical.experiment_type = 5
    first, last = helical.acquisitions[0], qmo.Acquisition()
    helical.acquisitions.append(last)
    first.acquisition_parameters.centred_position = start
    last.acquisition_parameters.centred_position = end
    helical.crystal.best_position = end
    for acquisition in (first, last):
        parameters = acquisition.acquisition_parameters
        parameters.exp_time, parameters.num_images, parameters.osc_range = 0.002, 5, 0.5
        acquisition.path_template = first.path_template
    first.path_template.base_prefix = "helix"
    plain = group.add_child(qmo.DataCollection())
    plain.acquisitions[0].acquisition_parameters.centred_position = end
    plain.acquisitions[0].acquisition_parameters.exp_time = 0.01
    plain.acquisitions[0].path_template.base_prefix = "plain"
    plain.acquisitions[0].path_template.run_number = 3
    plain.extra = (start, ("a", "b"))
    return found


if __name__ == "__main__":
    print(jsonpickle.encode(sample()))
