"""S3's XML documents: built with ElementTree (every text escaped), read with ``defusedxml`` (no
entity expansion, no external entities: a request body is untrusted).

``element("ListBucketResult", [("Name", "b"), ("Contents", [("Key", "k")])])`` builds the tree of
(tag, text or list of children) pairs; ``document`` gives its bytes with S3's namespace.
"""
import time
import xml.etree.ElementTree as ElementTree

from defusedxml import ElementTree as SafeTree
from defusedxml.common import DefusedXmlException

from final.s3.errors import error

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_BODY = 1 << 20           # bytes of XML a request may send (1,000 keys to delete fit well)


def element(tag: str, content, attributes: dict | None = None) -> ElementTree.Element:
    """An element from ``content``: a text (or number, or None for empty) or a list of
    (tag, content) or (tag, content, attributes) tuples."""
    node = ElementTree.Element(tag, attributes or {})
    if isinstance(content, list):
        for child in content:
            node.append(element(*child))
    elif content is not None:
        node.text = content if isinstance(content, str) else str(content)
    return node


def document(tag: str, content, attributes: dict | None = None, namespace: bool = True) -> bytes:
    """An S3 response document (an error document has no namespace: clients read it without)."""
    root = element(tag, content, {**({"xmlns": NAMESPACE} if namespace else {}), **(attributes or {})})
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="utf-8")


def parse(body: bytes, root: str, limit: int = MAX_BODY) -> ElementTree.Element:
    """A request document whose root element is ``root`` (namespaces dropped), or MalformedXML."""
    if len(body) > limit:
        raise error("MalformedXML", "the XML document is too large")
    try:
        tree = SafeTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise error("MalformedXML") from None
    for node in tree.iter():
        node.tag = node.tag.rsplit("}", 1)[-1]
    if tree.tag != root:
        raise error("MalformedXML", f"the document is not a {root}")
    return tree


def text(node: ElementTree.Element, tag: str, default: str | None = None) -> str | None:
    """The text of ``node``'s child ``tag`` (stripped), or ``default``."""
    found = node.find(tag)
    return (found.text or "").strip() if found is not None else default


def iso(seconds: float) -> str:
    """S3's time format: 2026-12-04T20:03:10.000Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"
