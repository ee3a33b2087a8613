"""Parse mxcubecore's YAML hardware-object files (``beamline_config.yml``) into
:class:`ConfigNode` trees, as :mod:`mxgui.core.xml_config` does for XML (Qt-free).

The shape, as mxcubecore writes it::

    _initialise_class:
      class: beamline.Beamline      # the class; further keys are properties too
    _objects: !!omap                # role -> file of the object (a plain mapping works)
      - session: session.xml
      - energy: energy.yml
    run_number: 1                   # every other key is a property

A file name in ``_objects`` is a name in the repository directories (``session.xml`` is
``/session``); an empty one (``- beam_realign:``) is skipped. Values keep their YAML
types; nested mappings and lists stay plain ``dict`` and ``list`` values. The file is
read with :class:`~mxgui.core.bounded_yaml.BoundedSafeLoader`, so no alias bomb or deep
nesting gets through, and every error names the file and line.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from mxgui.core.bounded_yaml import BoundedSafeLoader, yaml_error_place
from mxgui.core.errors import ConfigError
from mxgui.core.xml_config import ConfigNode, Reference

YAML_SUFFIXES = (".yml", ".yaml")
CLASS_KEY = "_initialise_class"
OBJECTS_KEY = "_objects"
EXPECTED = f"expected {CLASS_KEY}: {{class: module.Class}} and the properties as keys"


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _scalar_key(path: str, key_node: yaml.Node) -> str:
    if not isinstance(key_node, yaml.ScalarNode):
        raise ConfigError(path, _line(key_node), "a key must be a plain name")
    return str(key_node.value)


def _pairs(path: str, node: yaml.Node, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
    """The (key, value) nodes of a mapping, or of an ``!!omap`` (a list of one-key
    mappings)."""
    if isinstance(node, yaml.MappingNode):
        return list(node.value)
    if isinstance(node, yaml.SequenceNode):
        pairs = []
        for item in node.value:
            if not (isinstance(item, yaml.MappingNode) and len(item.value) == 1):
                raise ConfigError(
                    path, _line(item), f"{what}: expected '- role: file' (one role per item)"
                )
            pairs.append(item.value[0])
        return pairs
    raise ConfigError(path, _line(node), f"{what}: expected a mapping of role: file")


def _load(path: Path) -> tuple[BoundedSafeLoader, yaml.Node]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            str(path), None, f"cannot read the file ({exc.strerror}); expected a readable YAML file"
        ) from exc
    loader = BoundedSafeLoader(data)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        loader.dispose()
        raise ConfigError(str(path), *yaml_error_place(exc)) from exc
    if not isinstance(root, yaml.MappingNode):
        loader.dispose()
        line = _line(root) if root is not None else 1
        raise ConfigError(str(path), line, f"not a hardware object; {EXPECTED}")
    return loader, root


def parse_yaml_file(path: str | Path) -> ConfigNode:
    """Parse one YAML hardware-object file; raise :class:`ConfigError` naming file and
    line."""
    path = Path(path)
    loader, root = _load(path)
    where = str(path)
    node = ConfigNode(tag=CLASS_KEY, path=where, line=_line(root))
    try:
        for key_node, value_node in root.value:
            key = _scalar_key(where, key_node)
            line = _line(key_node)
            if key == CLASS_KEY:
                for init_key, init_value in _pairs(where, value_node, CLASS_KEY):
                    name = _scalar_key(where, init_key)
                    value = loader.construct_object(init_value, deep=True)
                    if name == "class":
                        node.attributes["class"] = str(value or "")
                        node.line = _line(init_key)
                    else:
                        _set_property(node, name, value, _line(init_key))
            elif key == OBJECTS_KEY:
                for role_node, file_node in _pairs(where, value_node, OBJECTS_KEY):
                    role = _scalar_key(where, role_node)
                    href = loader.construct_object(file_node, deep=True)
                    if href is None or not str(href).strip():
                        continue  # mxcubecore skips a role without a file
                    node.references.append(Reference(str(href).strip(), role, _line(role_node)))
            else:
                _set_property(node, key, loader.construct_object(value_node, deep=True), line)
    except yaml.YAMLError as exc:
        raise ConfigError(where, *yaml_error_place(exc)) from exc
    finally:
        loader.dispose()
    if not node.attributes.get("class"):
        raise ConfigError(where, node.line, f"no class given; {EXPECTED}")
    return node


def _set_property(node: ConfigNode, name: str, value: object, line: int) -> None:
    node.properties[name] = value
    node.property_lines[name] = line
    node.property_values[name] = list(value) if isinstance(value, list) else [value]
    if isinstance(value, str):
        node.property_texts[name] = value
