"""Plain stand-ins of mxcubecore's queue model classes: the same class names, module and
attributes (with mxcubecore's defaults), so that real jsonpickle writes the documents an
mxcubecore client sends, and reads back what mxgui answers. Nothing of mxcubecore runs
here: these are data holders written for the tests.

:func:`install` registers them as ``mxcubecore.model.queue_model_objects`` in
``sys.modules`` (jsonpickle finds classes by module), for the length of a test."""

from __future__ import annotations

import importlib
import json
import os
import sys
import types

import pytest

MODULE = "mxcubecore.model.queue_model_objects"


class TaskNode:
    def __init__(self) -> None:
        self._children: list = []
        self._name = ""
        self._number = 0
        self._executed = False
        self._running = False
        self._parent = None
        self._names: dict = {}
        self._enabled = True
        self._node_id = None
        self._requires_centring = True
        self._origin = None
        self._task_data = None

    def add_child(self, child: TaskNode) -> TaskNode:
        self._children.append(child)
        return child


class PathTemplate:
    def __init__(self) -> None:
        self.directory = ""
        self.process_directory = ""
        self.xds_dir = ""
        self.base_prefix = ""
        self.mad_prefix = ""
        self.reference_image_prefix = ""
        self.wedge_prefix = ""
        self.run_number = 0
        self.suffix = ""
        self.start_num = 0
        self.num_files = 0
        self.compression = False
        self.precision = ""

    def get_prefix(self) -> str:
        prefix = self.base_prefix
        if self.mad_prefix:
            prefix = f"{prefix}-{self.mad_prefix}"
        return prefix


class CentredPosition:
    def __init__(self, motors: dict | None = None) -> None:
        self.snapshot_image = None
        self.centring_method = True
        self.index = None
        self.motor_pos_delta = 1e-4
        for name, value in (motors or {}).items():
            setattr(self, name, value)


class AcquisitionParameters:
    def __init__(self) -> None:
        self.first_image = 0
        self.num_images = 0
        self.osc_start = 0.0
        self.osc_range = 0.0
        self.osc_total_range = 0.0
        self.overlap = 0.0
        self.kappa = 0.0
        self.kappa_phi = 0.0
        self.exp_time = 0.0
        self.num_passes = 0
        self.num_lines = 1
        self.energy = 0.0
        self.centred_position = CentredPosition()
        self.resolution = 0.0
        self.detector_distance = 0.0
        self.transmission = 0.0
        self.inverse_beam = False
        self.shutterless = False
        self.take_snapshots = True
        self.take_video = False
        self.take_dark_current = True
        self.skip_existing_images = False
        self.detector_binning_mode = ""
        self.detector_roi_mode = ""
        self.induce_burn = False
        self.mesh_range = ()
        self.cell_counting = "zig-zag"
        self.mesh_center = "top-left"
        self.cell_spacing = (0, 0)
        self.mesh_snapshot = None
        self.comments = ""
        self.in_queue = False
        self.in_interleave = None
        self.sub_wedge_size = 10


class Acquisition:
    def __init__(self) -> None:
        self.path_template = PathTemplate()
        self.acquisition_parameters = AcquisitionParameters()


class Crystal:
    def __init__(self) -> None:
        self.space_group = 0
        self.cell_a = self.cell_b = self.cell_c = 0
        self.cell_alpha = self.cell_beta = self.cell_gamma = 0
        self.protein_acronym = ""


class ProcessingParameters(Crystal):
    def __init__(self) -> None:
        super().__init__()
        self.num_residues = 200
        self.process_data = True
        self.anomalous = False
        self.pdb_code = None
        self.pdb_file = ""


class DataCollection(TaskNode):
    def __init__(self) -> None:
        super().__init__()
        self.acquisitions = [Acquisition()]
        self.crystal = Crystal()
        self.processing_parameters = ProcessingParameters()
        self.experiment_type = 0
        self.html_report = ""
        self.id = 0
        self.lims_group_id = None


class CharacterisationParameters:
    def __init__(self) -> None:
        self.path_template = PathTemplate()
        self.experiment_type = 0
        self.space_group = ""
        self.opt_sad = False
        self.strategy_complexity = 0
        self.aimed_resolution = 0.0


class Characterisation(TaskNode):
    def __init__(self) -> None:
        super().__init__()
        self.reference_image_collection = DataCollection()
        self.characterisation_parameters = CharacterisationParameters()
        self.html_report = None


class EnergyScanResult:
    def __init__(self) -> None:
        self.inflection = None
        self.peak = None
        self.first_remote = None
        self.second_remote = None


class Sample(TaskNode):
    def __init__(self) -> None:
        super().__init__()
        self.code = ""
        self.lims_code = ""
        self.lims_id = -1
        self.name = ""
        self.loc_str = ""
        self.free_pin_mode = False
        self.location = (None, None)
        self.crystals = [Crystal()]


class EnergyScan(TaskNode):
    def __init__(self) -> None:
        super().__init__()
        self.element_symbol = None
        self.edge = None
        self.comments = None
        self.centred_position = None
        self.sample = Sample()
        self.path_template = PathTemplate()
        self.result = EnergyScanResult()


class TaskGroup(TaskNode):
    def __init__(self) -> None:
        super().__init__()
        self.lims_group_id = None


class XrayCentring2(TaskNode):
    def __init__(self, name: str | None = None, motor_positions: dict | None = None) -> None:
        super().__init__()
        self._centring_result = None
        self._motor_positions = dict(motor_positions or {})
        self._grid_size = None
        self.path_template = PathTemplate()
        if name:
            self._name = name


class Workflow(TaskNode):
    def __init__(self) -> None:
        super().__init__()
        self.path_template = PathTemplate()
        self._type = ""
        self.lims_id = None


class GphlWorkflow(TaskNode):
    def __init__(self) -> None:
        super().__init__()
        self.path_template = PathTemplate()


CLASSES = (
    TaskNode,
    PathTemplate,
    CentredPosition,
    AcquisitionParameters,
    Acquisition,
    Crystal,
    ProcessingParameters,
    DataCollection,
    CharacterisationParameters,
    Characterisation,
    EnergyScanResult,
    Sample,
    EnergyScan,
    TaskGroup,
    XrayCentring2,
    Workflow,
    GphlWorkflow,
)
for _cls in CLASSES:
    _cls.__module__ = MODULE


def jsonpickle_module() -> types.ModuleType:
    """The real jsonpickle (setup.cfg's test extra installs it). Under CI a missing one
    fails the test; elsewhere (a virtual environment set up before it was added) the
    test is skipped with the reason."""
    if os.environ.get("CI"):
        return importlib.import_module("jsonpickle")
    return pytest.importorskip("jsonpickle", reason="pip install jsonpickle (the test extra)")


def install(monkeypatch) -> types.ModuleType:
    """Register the stand-ins as mxcubecore's module (and its packages) for one test."""
    module = types.ModuleType(MODULE)
    for cls in CLASSES:
        setattr(module, cls.__name__, cls)
    for name in ("mxcubecore", "mxcubecore.model"):
        if name not in sys.modules:
            monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, MODULE, module)
    return module


def shared_list_document(depth: int, field: str = "exp_time") -> str:
    """A collection whose ``field`` is a list of two references to a list of two
    references ... ``depth`` levels: ~40 characters a level, 2**depth leaves as a tree."""
    first = 4  # py/id 0: DataCollection, 1: acquisitions, 2: Acquisition, 3: its parameters
    chain: dict[str, object] = {"a0": []}
    for level in range(1, depth + 1):
        chain[f"a{level}"] = [{"py/id": first + level - 1}] * 2
    parameters = {
        "py/object": f"{MODULE}.AcquisitionParameters",
        **chain,
        "num_images": 2,
        field: {"py/id": first + depth},
    }
    acquisition = {"py/object": f"{MODULE}.Acquisition", "acquisition_parameters": parameters}
    return json.dumps({"py/object": f"{MODULE}.DataCollection", "acquisitions": [acquisition]})
