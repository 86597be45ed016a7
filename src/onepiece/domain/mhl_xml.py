"""A small, hostile-input-safe XML reader for hash lists.

Vendor XML is untrusted: a document type declaration (where entity bombs and
external entities live) is refused outright, the size is bounded by the
caller, and every element keeps its line so a problem names where it is.
Namespaces are dropped to local names: MHL files are read by element name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from onepiece.errors import ValidationError

MAX_XML_BYTES = 256 * 1024 * 1024  # far above any real hash list (a line per file)
MAX_DEPTH = 64


@dataclass
class Node:
    tag: str  # local name, without namespace
    line: int
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""
    children: list[Node] = field(default_factory=list)

    def find(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def child_text(self, tag: str) -> str | None:
        node = self.find(tag)
        return node.text.strip() if node is not None else None


class _Refused(Exception):
    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason, self.line = reason, line


def parse_xml(data: bytes, name: str) -> Node:
    """The document's root element; ValidationError naming ``name`` and the line."""
    if len(data) > MAX_XML_BYTES:
        raise ValidationError(
            f"{name} is {len(data)} bytes, larger than any hash list ({MAX_XML_BYTES} max)",
            hint="this is not an MHL file, or it is damaged",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(f"{name} line 1: UTF-16 text; hash lists are UTF-8")
    parser = expat.ParserCreate("utf-8", namespace_separator=" ")
    stack: list[Node] = []
    root: list[Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise _Refused("elements nested too deeply", parser.CurrentLineNumber)
        node = Node(_local(tag), parser.CurrentLineNumber, {_local(k): v for k, v in attrs.items()})
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text += data

    def doctype(*args: object) -> None:
        raise _Refused("a document type declaration (DTD) is not allowed", parser.CurrentLineNumber)

    def entity(*args: object) -> None:
        raise _Refused("entity declarations are not allowed", parser.CurrentLineNumber)

    def declaration(version: str, encoding: str | None, standalone: int) -> None:
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise _Refused(f"encoding {encoding!r} is not UTF-8", parser.CurrentLineNumber)

    parser.XmlDeclHandler = declaration
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = lambda *args: 0  # never fetch anything
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise ValidationError(f"{name} line {exc.line}: {exc.reason}") from None
    except expat.ExpatError as exc:
        reason = expat.errors.messages[exc.code]
        hint = "is it UTF-8 encoded?" if "encoding" in reason or "token" in reason else None
        raise ValidationError(
            f"{name} line {exc.lineno}: malformed XML ({reason})", hint=hint
        ) from None
    if not root:
        raise ValidationError(f"{name}: no XML element found")
    return root[0]


def _local(tag: str) -> str:
    return tag.rpartition(" ")[2]


def escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
