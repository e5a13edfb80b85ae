"""Lists for organizers as CSV (UTF-8 with BOM, for Excel) and XLSX; times in the event's zone."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

import xlsxwriter
from flask_babel import gettext as _

from eventapp.collector import collection_paused
from eventapp.i18n import wallclock
from eventapp.labels import sector_label, status_label
from eventapp.models import ChoiceStatus, Event, Registration, RegistrationStatus, Session
from eventapp.questions import services as questions
from eventapp.registration.management import roster

BOM = "\ufeff"
DELIMITERS = {"comma": ",", "semicolon": ";"}
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_TITLE_MAX = 31


def _formula_cells(other_separator: str) -> re.Pattern[str]:
    """Where a spreadsheet program may start a cell inside a value of a CSV file.

    A cell starting with = + - @ (or a tab or CR before them) is run as a formula.
    Quoting keeps a value with the file's own separator in one cell. But German
    Excel splits a comma file on ";" (and English Excel a semicolon file on ","),
    and there a quote inside a line no longer holds a cell together: a new cell
    begins after the other separator, after a quote or after a line break.
    """
    return re.compile(rf'(?:^|(?<=[{other_separator}"\r\n]))(?=[=+\-@\t\r])')


FORMULA_CELLS = {",": _formula_cells(";"), ";": _formula_cells(",")}


@dataclass
class Table:
    """A list to export: its name, column headings and rows."""

    name: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _local(event: Event, moment: datetime | None) -> datetime | None:
    """Wall-clock time in the event's zone, without tzinfo (spreadsheets know no zones)."""
    return event.local(moment).replace(tzinfo=None) if moment else None


def registrations_table(event: Event) -> Table:
    """Every registration of the event, with its workshops and entrance check-in."""
    checked_in = roster.entrance_times(event)
    workshops = roster.workshop_titles(event)
    # One column per question of the event, also those taken off the form (answers stay).
    question_header, answers = questions.export_columns(event)
    no_answers = [""] * len(question_header)
    table = Table(
        name=_("Registrations"),
        header=[
            _("ID"),
            _("Status"),
            _("Last name"),
            _("First name"),
            _("Email"),
            _("Organisation"),
            _("Sector"),
            _("Municipality"),
            _("Workshops"),
            _("Waiting list for workshops"),
            _("Dietary preference"),
            _("Accessibility needs"),
            _("Photo consent"),
            _("Registered at"),
            _("Checked in at"),
            *question_header,
        ],
    )
    # Labels looked up once per value, not once per row.
    statuses = {status: status_label(status) for status in RegistrationStatus}
    sectors: dict[Any, str] = {}
    consent = {True: _("yes"), False: _("no")}
    rows = roster.participant_rows(
        event,
        Registration.id,
        Registration.status,
        Registration.last_name,
        Registration.first_name,
        Registration.email,
        Registration.organisation,
        Registration.sector,
        Registration.municipality,
        Registration.dietary_preference,
        Registration.accessibility_needs,
        Registration.photo_consent,
        Registration.created_at,
    )
    for row in rows:
        choices = workshops.get(row.id, {})
        if row.sector not in sectors:
            sectors[row.sector] = sector_label(row.sector)
        table.rows.append(
            [
                row.id,
                statuses[RegistrationStatus(row.status)],
                row.last_name,
                row.first_name,
                row.email,
                row.organisation,
                sectors[row.sector],
                row.municipality,
                "; ".join(choices.get(ChoiceStatus.CONFIRMED, ())),
                "; ".join(choices.get(ChoiceStatus.WAITLISTED, ())),
                row.dietary_preference,
                row.accessibility_needs,
                consent[bool(row.photo_consent)],
                _local(event, row.created_at),
                _local(event, checked_in.get(row.id)),
                *answers.get(row.id, no_answers),
            ]
        )
    return table


def attendance_table(session: Session) -> Table:
    """The confirmed participants of one workshop, with room to sign."""
    event = session.event
    table = Table(
        name=session.title,
        header=[
            _("Last name"),
            _("First name"),
            _("Organisation"),
            _("Email"),
            _("Checked in at"),
            _("Signature"),
        ],
    )
    for reg, check_in in roster.workshop_attendees(session):
        table.rows.append(
            [
                reg.last_name,
                reg.first_name,
                reg.organisation,
                reg.email,
                _local(event, check_in.checked_in_at if check_in else None),
                "",
            ]
        )
    return table


def checkin_table(event: Event) -> Table:
    """Everyone with a seat at the door, and whether and when they came in."""
    check_ins = roster.entrance_check_ins(event)
    table = Table(
        name=_("Check-in"),
        header=[
            _("Last name"),
            _("First name"),
            _("Organisation"),
            _("Checked in"),
            _("Checked in at"),
            _("Checked in by"),
        ],
    )
    confirmed = roster.participants(event, status=RegistrationStatus.CONFIRMED.value)
    for reg in confirmed:
        check_in = check_ins.get(reg.id)
        by = ""
        if check_in is not None and check_in.user is not None:
            by = check_in.user.name or check_in.user.email
        table.rows.append(
            [
                reg.last_name,
                reg.first_name,
                reg.organisation,
                _("yes") if check_in else _("no"),
                _local(event, check_in.checked_in_at if check_in else None),
                by,
            ]
        )
    return table


def _defuse(value: Any, delimiter: str) -> Any:
    """Keep participant text from being run as a spreadsheet formula (CSV injection)."""
    if isinstance(value, str):
        return FORMULA_CELLS[delimiter].sub("'", value)
    return value


def _csv_cell(value: Any, delimiter: str) -> Any:
    if isinstance(value, datetime):
        return wallclock(value)
    if value is None:
        return ""
    return _defuse(value, delimiter)


def to_csv(table: Table, separator: str = "comma") -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows umlauts; ``semicolon`` for German Excel.

    Every cell is quoted: one with either separator, a quote or a line break stays
    one cell whichever separator the spreadsheet program splits on.
    """
    delimiter = DELIMITERS.get(separator, ",")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(table.header)
    writer.writerows([_csv_cell(value, delimiter) for value in row] for row in table.rows)
    return (BOM + buffer.getvalue()).encode("utf-8")


def _sheet_title(name: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()
    return cleaned[:SHEET_TITLE_MAX] or "Sheet"


def write_xlsx(table: Table, out: BinaryIO) -> None:
    """An Excel workbook with one sheet, a bold header row and real date-time cells.

    Written with XlsxWriter cell by cell, each value with the writer of its type: text
    stays text (also one starting with "="), empty cells are left out. Column widths
    follow the longest value, measured while writing: on 10 000 × 20 cells XlsxWriter
    took 1.45 s in one run, openpyxl's write-only mode 3.6 s. The garbage collector
    pauses while the cells are written (``collection_paused``): the export of 10 000
    registrations then took about 0.8 s (``bench/scale.py``).
    """
    with collection_paused():
        _write_workbook(table, out)


def _write_workbook(table: Table, out: BinaryIO) -> None:
    workbook = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(_sheet_title(table.name))
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, table.header, workbook.add_format({"bold": True}))
    widths = [len(str(heading)) for heading in table.header]
    time_format = workbook.add_format({"num_format": XLSX_TIME_FORMAT})
    text, number, moment, other = (
        sheet.write_string,
        sheet.write_number,
        sheet.write_datetime,
        sheet.write,
    )
    for line, row in enumerate(table.rows, start=1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                text(line, column, value)
                length = len(value)
            elif isinstance(value, datetime):
                moment(line, column, value, time_format)
                length = 16
            elif isinstance(value, int | float) and not isinstance(value, bool):
                number(line, column, value)
                length = len(str(value))
            else:
                other(line, column, value)
                length = len(str(value))
            if length > widths[column]:
                widths[column] = length
    for column, width in enumerate(widths):
        sheet.set_column(column, column, min(max(width + 2, 8), 50))
    workbook.close()


def to_xlsx(table: Table) -> bytes:
    """The workbook of ``write_xlsx`` as bytes."""
    buffer = io.BytesIO()
    write_xlsx(table, buffer)
    return buffer.getvalue()
