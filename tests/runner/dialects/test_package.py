"""The package's chosen API, its error tree, and its template's one rule."""

from __future__ import annotations

import re
import types
from importlib import resources

import runner.dialects
from runner.dialects import DialectError, DialectLimitError, UnknownProviderError, UnsupportedActionError


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(runner.dialects).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert set(runner.dialects.__all__) == public
    assert runner.dialects.PROVIDERS == ("twilio", "plivo", "telnyx")


def test_every_error_is_a_dialect_error() -> None:
    for leaf in (UnknownProviderError, UnsupportedActionError, DialectLimitError):
        assert issubclass(leaf, DialectError)
    assert issubclass(DialectError, Exception)


def test_the_template_ships_inside_the_package() -> None:
    template = resources.files("runner.dialects").joinpath("templates", "document.xml.j2")
    assert template.is_file()


def test_the_template_spells_no_element_or_attribute_name_by_hand() -> None:
    source = resources.files("runner.dialects").joinpath("templates", "document.xml.j2").read_text("utf-8")
    body = source.replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    assert re.findall(r"</?[A-Za-z]", body) == []
    assert re.findall(r"[A-Za-z]=\"", body) == []
