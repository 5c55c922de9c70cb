"""Documents as trees of canonical elements, written out by one Jinja2 template.

The builders make ``Element`` trees with canonical names only; the template
``templates/document.xml.j2`` spells each name from the dialect's table and escapes
every text and attribute value (autoescape is on), so a caller's words cannot
break the document.

Most documents differ from one call to the next only in the URL the carrier posts
the turn's answer to (it names the call and the turn). Builders put ``url_slot(n)``
there, the template writes each distinct document once, and every later one is that
text with the escaped URLs in the slots: a dict lookup instead of a template run per
webhook.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jinja2
from markupsafe import Markup, escape

from runner.dialects._tables import PLIVO, TELNYX, TWILIO, Dialect, dialect

_KNOWN_ATTRS = frozenset(
    attr for table in (TWILIO, PLIVO, TELNYX) for tag in table.elements.values() for attr in tag.attrs
)
# Characters XML 1.0 does not allow at all, not even as references: they would make
# the carrier refuse the whole document, and none of them can be spoken.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: Distinct documents kept written out: each step's prompts, in each dialect.
DOCUMENTS_KEPT = 4096


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
        if name not in _KNOWN_ATTRS:
            # A misspelled canonical name would otherwise vanish from every document.
            raise ValueError(f"no dialect has an attribute named {name!r}")
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


@functools.cache
def url_slot(number: int) -> Markup:
    """Where a document's ``number``-th URL goes (see the module's text).

    Markup, so the template writes it as it is; marked by NULs, which the template
    strips from every text and value, so no caller's words can put a slot in a document.
    """
    return Markup(f"\x00url{number}\x00")


def document(dialect: Dialect, verbs: Iterable[Element], urls: Sequence[str] = ()) -> str:
    """The full document: the XML declaration, then ``verbs`` inside the response element,
    with ``urls[n]`` wherever a builder put ``url_slot(n)``."""
    text = _written(dialect.name, tuple(verbs))
    for number, url in enumerate(urls):
        text = text.replace(url_slot(number), escape(_NOT_XML.sub("", url)))
    return text


@functools.lru_cache(maxsize=DOCUMENTS_KEPT)
def _written(dialect_name: str, verbs: tuple[Element, ...]) -> str:
    response = Element("response", children=verbs)
    return _template().render(dialect=dialect(dialect_name), response=response)
