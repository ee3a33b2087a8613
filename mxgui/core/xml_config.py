"""Parse hardware-object XML files (mxcubecore syntax) into :class:`ConfigNode` trees.

The syntax, so that a site can port its files:

- the root element (``object``, ``device``, ``equipment`` or ``procedure``) names the
  Python class in its ``class`` attribute;
- a child element holding only text is a property, typed int / float / bool / str, and
  the text ``None`` is None; a repeated property keeps every value in file order
  (:attr:`ConfigNode.property_values`) and its last one as the value (the class decides,
  see ``HOProperty(list)``);
- a child element with ``href`` (or ``hwrid``) references another file under a role,
  also inside a sub-element (``<motors><object href="/phi" role="phi"/></motors>``);
- a child ``<object class=...>`` (no ``href``) is a nested object: a sub-node with a
  ``class`` attribute, which the repository creates as an object of its own;
- ``command`` and ``channel`` elements declare control-system bindings (:class:`Binding`);
- any other child element is a sub-node, parsed the same way; repeated names form lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from mxgui.core.errors import ConfigError

ROOT_TAGS = ("object", "device", "equipment", "procedure")


@dataclass
class Reference:
    """``<object href="/phi" role="phi"/>``: another hardware object under a role."""

    href: str
    role: str
    line: int | None


@dataclass
class Binding:
    """A ``<command>`` or ``<channel>`` element: a control-system binding, kept as written
    for the channel layer.

    ``kind`` is the tag, ``name`` and ``type`` its attributes of that name, ``attributes``
    all its attributes, ``text`` its stripped text (the attribute, PV or method name in
    mxcubecore's short form) and ``line`` where it starts. A binding inside a sub-element
    is on that sub-node's :attr:`ConfigNode.bindings`.
    """

    kind: str
    name: str
    type: str
    attributes: dict[str, str]
    text: str
    line: int | None
    #: the long form's child elements (``<type>``, ``<name>``, ``<toexecute>``...) by tag
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class ConfigNode:
    """One element of a hardware-object file, with the place it came from."""

    tag: str
    path: str
    line: int | None
    attributes: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    property_lines: dict[str, int | None] = field(default_factory=dict)
    #: the stripped text of each property as written (for text-typed properties)
    property_texts: dict[str, str] = field(default_factory=dict)
    #: every value of each property in file order (more than one when it is repeated;
    #: :attr:`properties` holds the last, as in mxcubecore)
    property_values: dict[str, list[Any]] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)
    children: dict[str, list[ConfigNode]] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)

    def error(self, message: str, line: int | None = None) -> ConfigError:
        """A :class:`ConfigError` at this node (or at ``line`` inside it)."""
        return ConfigError(self.path, line if line is not None else self.line, message)

    @property
    def class_path(self) -> str | None:
        """The ``class`` attribute: set on the root and on a nested object."""
        return self.attributes.get("class")


def convert_text(text: str) -> Any:
    """Type a property's text: ``None``, then int, then float, then bool (true/false),
    else str."""
    value = text.strip()
    if value == "None":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _is_reference(element: etree._Element) -> bool:
    return "href" in element.attrib or "hwrid" in element.attrib


def _parse_element(element: etree._Element, path: str) -> ConfigNode:
    node = ConfigNode(
        tag=element.tag, path=path, line=element.sourceline, attributes=dict(element.attrib)
    )
    for child in element:
        if not isinstance(child.tag, str):  # comments, processing instructions
            continue
        line = child.sourceline
        if _is_reference(child):
            href = child.get("href") or child.get("hwrid") or ""
            if not href.strip():
                raise ConfigError(path, line, f"<{child.tag}> has an empty href")
            role = child.get("role") or href.strip().strip("/").split("/")[-1]
            node.references.append(Reference(href.strip(), role, line))
        elif child.tag == "object" and "class" not in child.attrib:
            raise ConfigError(
                path,
                line,
                '<object> without href: expected <object href="/name" role="..."/> '
                "(a reference) or <object class=...> (a nested object)",
            )
        elif child.tag in ("command", "channel"):
            fields = {s.tag: (s.text or "").strip() for s in child if isinstance(s.tag, str)}
            name = child.get("name") or fields.get("name")
            if not name:
                raise ConfigError(
                    path, line, f'<{child.tag}> needs a name="..." attribute or a <name> child'
                )
            node.bindings.append(
                Binding(
                    kind=child.tag,
                    name=name,
                    type=child.get("type") or fields.get("type", ""),
                    attributes=dict(child.attrib),
                    text=(child.text or "").strip(),
                    line=line,
                    fields=fields,
                )
            )
        elif len(child) == 0 and ((child.text or "").strip() or not child.attrib):
            value = convert_text(child.text or "")
            node.property_values.setdefault(child.tag, []).append(value)
            node.properties[child.tag] = value
            node.property_lines[child.tag] = line
            node.property_texts[child.tag] = (child.text or "").strip()
        else:
            node.children.setdefault(child.tag, []).append(_parse_element(child, path))
    return node


def parse_file(path: str | Path) -> ConfigNode:
    """Parse one hardware-object file; raise :class:`ConfigError` naming file and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            str(path), None, f"cannot read the file ({exc.strerror}); expected a readable XML file"
        ) from exc
    if not data.strip():
        raise ConfigError(
            str(path), 1, 'the file is empty; expected <object class="module.Class">...</object>'
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser, base_url=str(path))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = exc.msg.split(", line")[0] if exc.msg else "not well-formed XML"
        raise ConfigError(str(path), line, f"bad XML: {message}") from exc
    if root.tag not in ROOT_TAGS:
        raise ConfigError(
            str(path),
            root.sourceline,
            f"root element <{root.tag}> is not a hardware object; expected one of "
            + ", ".join(f"<{tag}>" for tag in ROOT_TAGS),
        )
    return _parse_element(root, str(path))
