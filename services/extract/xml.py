"""XML parsed safely: no entities, no DTD, no network, no huge trees."""

from __future__ import annotations

from lxml import etree

from services.extract.limits import Unreadable


def parse_xml(data: bytes, part: str) -> etree._Element:
    """The root element of an XML part; Unreadable naming the part if it is not well-formed."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"{part} is not well-formed XML ({exc})") from None
