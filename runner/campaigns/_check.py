"""Every row of a recipients file checked against a flow before any call is placed.

A row is checked as the call would use it: its cells bound to the flow's inputs by the
engine's ``bind_inputs`` (types, enums), its phone numbers made E.164, its ``to``
rendered, its texts rendered and held against the carrier's limits. Every problem is
collected, so one run lists them all. The work per row is constant: templates were
compiled with the flow, phone cells are made E.164 in a first pass over the file, each
distinct cell once, and duplicates are found through a dict of numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from jinja2 import meta

from flows import Data, cyclic_gc_paused, e164_problem, environment
from runner.campaigns._csv import RecipientsFile, Row
from runner.campaigns._phones import PhoneError, to_e164
from runner.campaigns._script import NotifyScript
from runner.campaigns._window import TIMEZONE_COLUMN, WindowError, zone_named
from runner.dialects import DialectError
from runner.engine import InputError, TemplateFailure, bind_inputs

#: The line of the header row, where problems with whole columns are reported.
HEADER_LINE = 1


@dataclass(frozen=True)
class CampaignProblem:
    """One problem of the recipients file, at the line a row starts on."""

    file: str
    line: int
    #: The column it is about; None for a problem of the whole row (a template that fails).
    column: str | None
    message: str
    warning: bool = False

    def format(self) -> str:
        where = f"{self.file}:{self.line}:" + ("" if self.column is None else f" column {self.column}:")
        return f"{where}{' warning:' if self.warning else ''} {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": "warning" if self.warning else "error",
            "message": self.message,
        }


@dataclass(frozen=True)
class Recipient:
    """A valid row: who is called, with what values, and what the call says."""

    line: int
    number: str
    values: Mapping[str, Data]
    spoken: tuple[str, ...]
    #: The row's ``timezone`` cell, for quiet hours; None when it has none.
    time_zone: str | None = None

    @property
    def message(self) -> str:
        return " ".join(self.spoken)


@dataclass
class CampaignCheck:
    file: str
    flow: str
    rows: int = 0
    recipients: list[Recipient] = field(default_factory=list)
    invalid_lines: list[int] = field(default_factory=list)
    problems: list[CampaignProblem] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for problem in self.problems if not problem.warning)


def check_recipients(table: RecipientsFile, script: NotifyScript, *, region: str | None) -> CampaignCheck:
    """Check every row of ``table`` for a campaign of ``script``'s flow.

    ``region`` is the country (``US``) of phone numbers written without one.
    """
    # A few objects a row, all kept: see cyclic_gc_paused.
    with cyclic_gc_paused():
        return _Checker(table, script, region).run()


class _Checker:
    def __init__(self, table: RecipientsFile, script: NotifyScript, region: str | None) -> None:
        flow = script.flow
        self.table, self.script, self.flow, self.region = table, script, flow, region
        self.result = CampaignCheck(table.path, flow.name, rows=len(table.rows))
        self.columns = [(index, name) for index, name in enumerate(table.header) if name in flow.inputs]
        to_reads = _names_read(script)
        self.to_column = next((name for name in table.header if name in to_reads), None)
        self.phone_columns = {
            name for _, name in self.columns if flow.inputs[name].type == "phone" or name in to_reads
        }
        # Phone cells are made E.164 by to_e164, a stricter check than bind_inputs' own; bound
        # as text, they are not parsed a second time (phonenumbers is most of a row's work).
        inputs = {
            name: dataclasses.replace(spec, type="string") if name in self.phone_columns else spec
            for name, spec in flow.inputs.items()
        }
        self.binding_flow = dataclasses.replace(flow, inputs=inputs)
        # One input each: binds a single cell with the engine's own conversion and messages.
        self.single_input_flows = {
            name: dataclasses.replace(flow, inputs={name: inputs[name]}) for _, name in self.columns
        }
        self.first_line_of: dict[str, int] = {}
        #: Each phone cell's E.164 form, or what is wrong with it.
        self.e164_of: dict[str, str] = {}
        self.phone_problem_of: dict[str, str] = {}
        self.missing = [
            spec.name for spec in flow.inputs.values() if spec.required and spec.name not in table.header
        ]
        header = table.header
        self.zone_index = header.index(TIMEZONE_COLUMN) if TIMEZONE_COLUMN in header else None

    def run(self) -> CampaignCheck:
        self._check_header()
        self._make_numbers_e164()
        for row in self.table.rows:
            before = len(self.result.problems)
            recipient = self._check_row(row)
            if recipient is not None and len(self.result.problems) == before:
                self.result.recipients.append(recipient)
            else:
                self.result.invalid_lines.append(row.line)
        return self.result

    def _make_numbers_e164(self) -> None:
        """Every phone cell made E.164 (or found wrong) once, before the rows are checked.

        phonenumbers takes markedly less time a number going from one number to the next
        than with Jinja rendering a row between two numbers (bench/campaign_rows.py).
        """
        width = len(self.table.header)
        indexes = [index for index, name in self.columns if name in self.phone_columns]
        for row in self.table.rows:
            if len(row.cells) != width:
                continue
            for index in indexes:
                cell = row.cells[index]
                if cell in self.e164_of or cell in self.phone_problem_of:
                    continue
                try:
                    self.e164_of[cell] = to_e164(cell, self.region)
                except PhoneError as error:
                    self.phone_problem_of[cell] = str(error)

    def _problem(self, line: int, column: str | None, message: str, *, warning: bool = False) -> None:
        self.result.problems.append(CampaignProblem(self.table.path, line, column, message, warning))

    def _check_header(self) -> None:
        for name in self.missing:
            spec = self.flow.inputs[name]
            self._problem(
                HEADER_LINE, name, f"missing: flow '{self.flow.name}' needs input '{name}' ({spec.type})"
            )
        for name in self.table.header:
            if name not in self.flow.inputs and name != TIMEZONE_COLUMN:
                known = ", ".join(self.flow.inputs) or "none"
                self._problem(
                    HEADER_LINE,
                    name,
                    f"not an input of flow '{self.flow.name}' (inputs: {known}); its cells are ignored",
                    warning=True,
                )

    def _check_row(self, row: Row) -> Recipient | None:
        if len(row.cells) != len(self.table.header):
            self._problem(
                row.line,
                None,
                f"the row has {len(row.cells)} cells and the header {len(self.table.header)} columns",
            )
            return None
        zone_valid, time_zone = self._time_zone(row)
        given = self._given(row)
        if given is None or self.missing or not zone_valid:
            return None
        try:
            values = bind_inputs(self.binding_flow, given)
        except InputError:
            self._bind_each(row.line, given)
            return None
        number = self._destination(row.line, values, given)
        try:
            spoken = self.script.spoken(values)
        except (TemplateFailure, DialectError) as error:
            self._problem(row.line, None, str(error))
            return None
        if number is None:
            return None
        return Recipient(row.line, number, values, tuple(spoken), time_zone)

    def _time_zone(self, row: Row) -> tuple[bool, str | None]:
        """Whether the row's ``timezone`` cell is a zone or empty, and the zone (None: none)."""
        if self.zone_index is None:
            return True, None
        cell = row.cells[self.zone_index].strip()
        if not cell:
            return True, None
        try:
            zone_named(cell)
        except WindowError as error:
            self._problem(row.line, TIMEZONE_COLUMN, str(error))
            return False, None
        return True, cell

    def _given(self, row: Row) -> dict[str, str] | None:
        """The row's cells by input name, phone numbers made E.164; None if a cell is bad."""
        given: dict[str, str] = {}
        valid = True
        for index, name in self.columns:
            cell = row.cells[index]
            if cell == "" and not self.flow.inputs[name].required:
                continue  # an empty cell takes the input's default
            if name in self.phone_columns:
                number = self.e164_of.get(cell)
                if number is None:
                    self._problem(row.line, name, self.phone_problem_of[cell])
                    valid = False
                else:
                    given[name] = number
            elif cell == "" and self.flow.inputs[name].type == "string":
                self._problem(row.line, name, f"input '{name}' needs a value, found an empty cell")
                valid = False
            else:
                given[name] = cell
        if not valid or self.missing:
            self._bind_each(row.line, given)
            return None
        return given

    def _bind_each(self, line: int, given: Mapping[str, str]) -> None:
        """A problem for each cell that does not bind to its input on its own."""
        for name, cell in given.items():
            try:
                bind_inputs(self.single_input_flows[name], {name: cell})
            except InputError as error:
                self._problem(line, name, str(error))

    def _destination(self, line: int, values: Mapping[str, Data], given: Mapping[str, str]) -> str | None:
        """The E.164 number ``to`` renders to, reported once per number; None if there is none."""
        column = self.to_column or "to"
        try:
            number = self.script.destination(values)
        except InputError as error:
            self._problem(line, column, str(error))
            return None
        # A number straight from a phone cell was checked by to_e164 already.
        checked = column in self.phone_columns and given.get(column) == number
        problem = None if checked else e164_problem(number)
        if problem is not None:
            self._problem(line, column, f"'to' is '{number}': {problem}")
            return None
        first = self.first_line_of.setdefault(number, line)
        if first != line:
            self._problem(line, column, f"{number} is already called for line {first}: a duplicate recipient")
            return None
        return number


def _names_read(script: NotifyScript) -> frozenset[str]:
    """The names the flow's ``to`` template reads."""
    if script.to.is_literal:
        return frozenset()
    return frozenset(meta.find_undeclared_variables(environment().parse(script.to.source)))
