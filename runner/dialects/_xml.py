"""Documents as trees of canonical elements, written out by one Jinja2 template.

The builders make ``Element`` trees with canonical names only; the template
``templates/document.xml.j2`` spells each name from the dialect's table and escapes
every text and attribute value (autoescape is on), so a caller's words cannot
break the document.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import jinja2
from markupsafe import Markup

from runner.dialects._tables import PLIVO, TELNYX, TWILIO, Dialect

_KNOWN_ATTRS = frozenset(
    attr for table in (TWILIO, PLIVO, TELNYX) for tag in table.elements.values() for attr in tag.attrs
)
# Characters XML 1.0 does not allow at all, not even as references: they would make
# the carrier refuse the whole document, and none of them can be spoken.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Element:
    tag: str
    attrs: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    children: tuple[Element, ...] = ()


def element(
    dialect: Dialect,
    tag: str,
    attrs: Iterable[tuple[str, str | None]] = (),
    *,
    text: str | None = None,
    children: Iterable[Element] = (),
) -> Element:
    """An element with the attributes ``dialect`` has on ``tag``; a None value is left out."""
    kept: list[tuple[str, str]] = []
    for name, value in attrs:
        assert name in _KNOWN_ATTRS, f"no dialect has an attribute named {name!r}"
        if value is not None and dialect.has(tag, name):
            kept.append((name, value))
    return Element(tag, tuple(kept), text, tuple(children))


def _xml_chars(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, Markup):
        return _NOT_XML.sub("", value)
    return value


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("runner.dialects", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_xml_chars,
        keep_trailing_newline=True,
        # Loaded once per process: no look at the file's time on every document.
        auto_reload=False,
    )
    return environment.get_template("document.xml.j2")


def document(dialect: Dialect, verbs: Iterable[Element]) -> str:
    """The full document: the XML declaration, then ``verbs`` inside the response element."""
    response = Element("response", children=tuple(verbs))
    return _template().render(dialect=dialect, response=response)
