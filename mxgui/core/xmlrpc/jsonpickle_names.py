"""mxcubecore's names that mxgui's jsonpickle reader and writer share: the modules its
queue model has lived in, its classes for mxgui's node types (both ways), and the
``EXPERIMENT_TYPE`` numbers of ``queue_model_enumerables`` that mxgui reads or writes."""

from __future__ import annotations

from mxgui.core.queue.nodes import SAMPLE, TASK_GROUP

#: the module mxgui writes its objects in (mxcubecore's today)
MODULE = "mxcubecore.model.queue_model_objects"
#: the modules mxcubecore's queue model has lived in, all read
MODULES = (
    MODULE,
    "mxcubecore.HardwareObjects.queue_model_objects",
    "HardwareRepository.HardwareObjects.queue_model_objects",
    "queue_model_objects_v1",
    "queue_model_objects",
)
#: mxcubecore's node classes read -> mxgui's node types
NODE_TYPES = {
    "Sample": SAMPLE,
    "TaskGroup": TASK_GROUP,
    "DataCollection": "DataCollection",
    "Characterisation": "Characterisation",
    "EnergyScan": "EnergyScan",
    "XrayCentring2": "XrayCentring",
    "XrayCentering": "XrayCentring",
    "XrayCentring": "XrayCentring",
    "Workflow": "Workflow",
}
#: mxgui's node types -> the mxcubecore class written
CLASS_OF = {
    "Root": "RootNode",
    SAMPLE: "Sample",
    TASK_GROUP: "TaskGroup",
    "DataCollection": "DataCollection",
    "Characterisation": "Characterisation",
    "EnergyScan": "EnergyScan",
    "MeshScan": "DataCollection",
    "XrayCentring": "XrayCentring2",
    "Workflow": "Workflow",
}
#: mxcubecore's EXPERIMENT_TYPE values (queue_model_enumerables: 0 SAD ... 11 IMAGING)
EXPERIMENT_NATIVE = 4
EXPERIMENT_HELICAL = 5
EXPERIMENT_EDNA_REF = 6
EXPERIMENT_MESH = 8
EXPERIMENT_LAST = 11
#: experiment types of a DataCollection that mxgui does not run as a rotation collection
NOT_COLLECTED = {EXPERIMENT_MESH: "MESH", 9: "COLLECT_MULTIWEDGE", 10: "STILL", 11: "IMAGING"}

__all__ = [
    "CLASS_OF",
    "EXPERIMENT_EDNA_REF",
    "EXPERIMENT_HELICAL",
    "EXPERIMENT_LAST",
    "EXPERIMENT_MESH",
    "EXPERIMENT_NATIVE",
    "MODULE",
    "MODULES",
    "NODE_TYPES",
    "NOT_COLLECTED",
]
