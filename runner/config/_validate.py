"""Check config data against ``config.schema.json`` and the rules a schema cannot say,
without ever putting a secret into a message."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows import Data, Document, NodePath, Problem, Severity, check_schema, e164_problem
from runner.config._credentials import SECRET_KEYS
from runner.config._exposure import is_loopback
from runner.config._secret import MASK

CONFIG_SCHEMA = "config.schema.json"

# The same rule names as the flow schema check, so both read alike.
WRONG_TYPE = "wrong-type"
INVALID_VALUE = "invalid-value"
PHONE_NUMBER = "phone-number"
#: Who answers inbound calls, said in a way that cannot work.
INBOUND_AGENT = "inbound-agent"

#: Keys under which credentials live; a value there is never shown.
_SECRET_PATHS = frozenset(tuple(key.split(".")) for key in SECRET_KEYS)
# Scrubbing shorter text would garble messages, and such a value protects nothing anyway.
_MIN_SCRUBBED = 4
_URL = re.compile(r"^https?://\S+$")
_API_BASES = (("twilio", "api_base"), ("telnyx", "api_base"), ("plivo", "api_base"))


def validate(document: Document, known_secrets: Iterable[str] = ()) -> list[Problem]:
    """Every problem of the (substituted) config document, sorted by position.

    ``known_secrets`` are further values to keep out of messages, such as credentials
    taken from the environment.
    """
    shown, problems = _hide_secrets(document)
    problems.extend(check_schema(shown, CONFIG_SCHEMA))
    problems.extend(_value_problems(shown))
    # The original document: a hidden agent section is still a section, and no value is quoted.
    problems.extend(_inbound_agent_problems(document))
    return sorted(scrubbed(problems, document.data, known_secrets), key=lambda problem: problem.sort_key)


def scrubbed(problems: Iterable[Problem], data: Data, known_secrets: Iterable[str]) -> list[Problem]:
    """``problems`` with every secret of ``data`` and every one of ``known_secrets``
    masked wherever a message quotes it."""
    secrets = [*_secret_texts(data), *known_secrets]
    return [_scrub(problem, secrets) for problem in problems]


def _hide_secrets(document: Document) -> tuple[Document, list[Problem]]:
    """Report secrets of the wrong type by their kind alone, and put a harmless stand-in
    in their place so the schema check, which quotes what it found, never sees them."""
    data = document.data
    if not isinstance(data, dict):
        return document, []
    problems: list[Problem] = []
    shown = dict(data)

    def hidden(path: NodePath, wanted: str, value: Data, why: str) -> None:
        hint = "; write it in quotes" if wanted == "text" else ""
        problems.append(
            Problem(
                document.file,
                document.mark(path),
                Severity.ERROR,
                WRONG_TYPE,
                f"expected {wanted} in {_dotted(path)}, found {_kind(value)} (not shown: {why}){hint}",
            )
        )

    for path in sorted(_SECRET_PATHS):
        # Each mapping on the way to a secret is copied before a value in it is hidden.
        holder: dict[str, Data] = shown
        for depth, key in enumerate(path[:-1]):
            value = holder.get(key)
            if _is_scalar(value):
                hidden(path[: depth + 1], "a mapping", value, "it may hold a secret")
                # Gone rather than empty, so a section with required keys adds no second line.
                del holder[key]
                break
            if not isinstance(value, dict):
                break
            inner = dict(value)
            holder[key] = inner
            holder = inner
        else:
            leaf = path[-1]
            if leaf in holder and _is_scalar(holder[leaf]) and not isinstance(holder[leaf], str):
                hidden(path, "text", holder[leaf], "it is a secret")
                holder[leaf] = MASK
    return dataclasses.replace(document, data=shown), problems


def _value_problems(document: Document) -> Iterator[Problem]:
    """What the schema cannot check: phone numbers, IP addresses, a URL's host, a time zone."""

    def problem(path: NodePath, rule: str, message: str) -> Problem:
        return Problem(document.file, document.mark(path), Severity.ERROR, rule, message)

    from_number = document.get(("from_number",))
    if isinstance(from_number, str) and from_number:
        reason = e164_problem(from_number)
        if reason is not None:
            yield problem(("from_number",), PHONE_NUMBER, f"{reason}, found '{from_number}' (in from_number)")
    for path, number in _texts(document, ("inbound", "allow_from")):
        reason = e164_problem(number)
        if reason is not None:
            yield problem(path, PHONE_NUMBER, f"{reason}, found '{number}' (in {_dotted(path)})")
    for path, address in _texts(document, ("webhook_security", "trusted_proxy_ips")):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            yield problem(
                path,
                INVALID_VALUE,
                f"expected an IP address such as 10.0.0.5 in {_dotted(path)}, found '{address}'",
            )
    url = document.get(("public_url",))
    if isinstance(url, str) and _URL.match(url) and not _has_host(url):
        yield problem(
            ("public_url",),
            INVALID_VALUE,
            f"expected a URL with a host name or address, such as https://calls.example.com, "
            f"in public_url, found '{url}'",
        )
    zone = document.get(("timezone",))
    if isinstance(zone, str) and zone and not _is_time_zone(zone):
        yield problem(
            ("timezone",),
            INVALID_VALUE,
            f"expected an IANA time zone such as America/New_York in timezone, found '{zone}'",
        )
    agent_url = document.get(("agent", "base_url"))
    if isinstance(agent_url, str) and _URL.match(agent_url) and not _has_host(agent_url):
        # Plain http:// to another machine stays allowed: a model server on the local network is common.
        yield problem(
            ("agent", "base_url"),
            INVALID_VALUE,
            f"expected a URL with a host name or address, such as http://127.0.0.1:11434/v1, "
            f"in agent.base_url, found '{agent_url}'",
        )
    for path in _API_BASES:
        base = document.get(path)
        if isinstance(base, str) and _URL.match(base):
            reason = _api_base_problem(base)
            if reason is not None:
                yield problem(path, INVALID_VALUE, f"{reason} in {_dotted(path)}, found '{base}'")


def _inbound_agent_problems(document: Document) -> Iterator[Problem]:
    """``inbound.agent: true`` names who answers inbound calls: the configured agent, so not
    a flow as well, and not without an agent to ask."""
    if document.get(("inbound", "agent")) is not True:
        return
    where = ("inbound", "agent")
    if document.get(("inbound", "flow")) is not None:
        yield Problem(
            document.file,
            document.mark(where),
            Severity.ERROR,
            INBOUND_AGENT,
            "inbound.agent: true and inbound.flow both say what answers inbound calls: "
            "remove inbound.flow to let the agent answer, or inbound.agent to run the flow",
        )
    if document.get(("agent",)) is None:
        yield Problem(
            document.file,
            document.mark(where),
            Severity.ERROR,
            INBOUND_AGENT,
            "inbound.agent: true needs the agent section (agent: {base_url, model}) to answer "
            "inbound calls; add it, or answer them with a flow in inbound.flow",
        )


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _api_base_problem(url: str) -> str | None:
    """Credentials go to this address with every request: in the clear only to this machine."""
    if not _has_host(url):
        return "expected a URL with a host name or address, such as https://api.example.com,"
    parts = urlsplit(url)
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        return "expected an https:// URL (http:// only for a loopback host such as 127.0.0.1)"
    return None


def _texts(document: Document, path: NodePath) -> Iterator[tuple[NodePath, str]]:
    items = document.get(path)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, str) and item:
                yield (*path, index), item


def _has_host(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- reading it raises for a port that is not a number in range
    except ValueError:
        return False
    return bool(parts.hostname)


def _secret_texts(data: Data) -> Iterator[str]:
    if not isinstance(data, dict):
        return
    for path in _SECRET_PATHS:
        value: Data = data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else value
        if isinstance(value, str):
            yield value


def _scrub(problem: Problem, secrets: Iterable[str]) -> Problem:
    """Defense in depth: a secret that also stands elsewhere in the file (pasted into the
    wrong key, say) is masked wherever a message quotes it."""
    message = problem.message
    for secret in secrets:
        if len(secret) >= _MIN_SCRUBBED:
            message = message.replace(secret, MASK)
    return problem if message == problem.message else dataclasses.replace(problem, message=message)


def _is_scalar(value: Data) -> bool:
    return value is not None and not isinstance(value, dict | list)


def _kind(value: Data) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def _dotted(path: NodePath) -> str:
    return ".".join(str(part) for part in path)
