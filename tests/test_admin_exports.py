"""Back office exports: CSV and XLSX read back with umlauts intact, and the badge PDF."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from clock import CONGRESS_YEAR
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pypdf import PdfReader
from support import prepared_file, workshop

from eventapp.extensions import db
from eventapp.models import (
    ENTRANCE,
    CheckIn,
    ChoiceStatus,
    RegistrationStatus,
    Role,
    Sector,
    SessionChoice,
)

BOM = b"\xef\xbb\xbf"
A6_POINTS = (297.6, 419.5)


@pytest.fixture
def congress(make_programme, make_registration, make_user):
    """Two confirmed people (one checked in), one waiting, one cancelled; a workshop."""
    event = make_programme()
    workshop_a = workshop(event)
    door = make_user(Role.CHECKIN, name="Türsteherin Jana")
    joerg = make_registration(
        event,
        first_name="Jörg",
        last_name="Größe",
        organisation="Stadt Bürstadt – Amt für Soziales",
        sector=Sector.MUNICIPALITY,
        created_at=datetime(CONGRESS_YEAR, 5, 1, 10, 0, tzinfo=UTC),
    )
    aylin = make_registration(
        event, first_name="Aylin", last_name="Şahin", organisation='=HYPERLINK("http://x")'
    )
    waiting = make_registration(event, last_name="Wartend", status=RegistrationStatus.WAITLISTED)
    gone = make_registration(event, last_name="Storniert", status=RegistrationStatus.CANCELLED)
    with db.session.no_autoflush:
        for status, person in (
            (ChoiceStatus.CONFIRMED, joerg),
            (ChoiceStatus.WAITLISTED, aylin),
            (ChoiceStatus.CONFIRMED, waiting),
        ):
            db.session.add(SessionChoice(registration=person, session=workshop_a, status=status))
        db.session.add(
            CheckIn(
                registration=joerg,
                list_key=ENTRANCE,
                user=door,
                checked_in_at=datetime(CONGRESS_YEAR, 5, 16, 7, 5, tzinfo=UTC),
            )
        )
        db.session.add(
            CheckIn(
                registration=joerg,
                list_key=f"session:{workshop_a.id}",
                checked_in_at=datetime(CONGRESS_YEAR, 5, 16, 9, 2, tzinfo=UTC),
            )
        )
    db.session.commit()
    return event, workshop_a, joerg, aylin, waiting, gone


def read_csv(response, delimiter=","):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


def read_xlsx(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def by_last_name(rows, header_index):
    return {row[header_index]: row for row in rows[1:]}


def test_registrations_csv_keeps_umlauts_and_uses_the_event_time_zone(admin_client, congress):
    event, _workshop, joerg, *_ = congress
    response = admin_client.get(f"/admin/events/{event.id}/registrations.csv")
    assert f'filename="{event.slug}-registrations.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    header = rows[0]
    assert len(rows) == 5  # header + all four, cancelled ones included
    row = by_last_name(rows, header.index("Last name" if "Last name" in header else "Nachname"))
    joerg_row = row["Größe"]
    assert joerg_row[0] == str(joerg.id)
    assert "Jörg" in joerg_row and "Stadt Bürstadt – Amt für Soziales" in joerg_row
    assert "Werkstatt A: Teilhabe" in joerg_row
    assert f"{CONGRESS_YEAR}-05-01 12:00" in joerg_row  # 10:00 UTC is 12:00 in Bürstadt
    assert f"{CONGRESS_YEAR}-05-16 09:05" in joerg_row  # entrance check-in
    assert "Şahin" in row


def test_semicolon_csv_for_german_excel(admin_client, congress):
    event, *_ = congress
    response = admin_client.get(f"/admin/events/{event.id}/registrations.csv?sep=semicolon")
    assert response.get_data().split(b"\r\n")[0].count(b";") >= 10
    rows = read_csv(response, delimiter=";")
    assert any("Größe" in row for row in rows)


def test_participant_text_is_never_run_as_a_spreadsheet_formula(admin_client, congress):
    event, *_ = congress
    rows = read_csv(admin_client.get(f"/admin/events/{event.id}/registrations.csv"))
    assert any('\'=HYPERLINK("http://x")' in row for row in rows)
    sheet, _rows = read_xlsx(admin_client.get(f"/admin/events/{event.id}/registrations.xlsx"))
    cells = [c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("http://x")']
    assert cells and all(c.data_type == "s" for c in cells)


def test_registrations_xlsx_reads_back_with_umlauts_and_local_times(admin_client, congress):
    event, *_ = congress
    sheet, rows = read_xlsx(admin_client.get(f"/admin/events/{event.id}/registrations.xlsx"))
    assert len(rows) == 5
    joerg_row = next(row for row in rows if "Größe" in row)
    assert "Stadt Bürstadt – Amt für Soziales" in joerg_row
    assert datetime(CONGRESS_YEAR, 5, 1, 12, 0) in joerg_row
    assert sheet["A1"].font.bold
    # The header stays in view, and each column is as wide as its longest value.
    assert sheet.freeze_panes == "A2"
    email = rows[0].index("Email" if "Email" in rows[0] else "E-Mail") + 1
    longest = max(len(row[email - 1] or "") for row in rows)
    width = sheet.column_dimensions[get_column_letter(email)].width
    assert longest + 2 <= width <= longest + 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_attendance_list_has_the_confirmed_seats_of_confirmed_people(admin_client, congress, fmt):
    _event, workshop, *_ = congress
    response = admin_client.get(f"/admin/sessions/{workshop.id}/attendance.{fmt}")
    rows = read_csv(response) if fmt == "csv" else read_xlsx(response)[1]
    # Jörg holds a seat; Aylin only waits; the waitlisted registration has no event seat.
    assert [row[0] for row in rows[1:]] == ["Größe"]
    assert rows[1][4] in (f"{CONGRESS_YEAR}-05-16 11:02", datetime(CONGRESS_YEAR, 5, 16, 11, 2))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_checkin_list_has_every_confirmed_person_and_who_let_them_in(admin_client, congress, fmt):
    event, *_ = congress
    response = admin_client.get(f"/admin/events/{event.id}/checkin-list.{fmt}")
    rows = read_csv(response) if fmt == "csv" else read_xlsx(response)[1]
    people = {row[0]: row for row in rows[1:]}
    assert set(people) == {"Größe", "Şahin"}
    assert people["Größe"][5] == "Türsteherin Jana"
    assert people["Größe"][4] in (
        f"{CONGRESS_YEAR}-05-16 09:05",
        datetime(CONGRESS_YEAR, 5, 16, 9, 5),
    )
    assert people["Şahin"][4] in ("", None)


def test_badges_are_one_a6_page_per_confirmed_person(admin_client, congress, make_registration):
    event, *_ = congress
    make_registration(event, first_name="Dritte", last_name="Person")
    response = prepared_file(admin_client, event.id, "badges")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    assert len(reader.pages) == 3
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width, 1), round(height, 1)) == A6_POINTS
        assert page.images  # the QR code
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Şahin needs the DejaVu font, which not every machine has; Latin-1 always works.
    assert "Jörg Größe" in text and "Aylin" in text and "Wartend" not in text


def test_badges_for_an_event_without_participants_still_open(admin_client, make_event):
    event = make_event()
    reader = PdfReader(io.BytesIO(prepared_file(admin_client, event.id, "badges").data))
    assert len(reader.pages) == 1


def test_exports_page_links_every_list(admin_client, congress):
    event, workshop, *_ = congress
    page = admin_client.get(f"/admin/events/{event.id}/exports").get_data(as_text=True)
    for href in (
        f"/admin/events/{event.id}/registrations.xlsx",
        f"/admin/events/{event.id}/registrations.csv?sep=semicolon",
        f"/admin/events/{event.id}/checkin-list.csv",
        f"/admin/sessions/{workshop.id}/attendance.xlsx",
        f"/admin/events/{event.id}/jobs?start=badges",
    ):
        assert href in page


def test_unknown_export_format_is_404(admin_client, congress):
    event, *_ = congress
    assert admin_client.get(f"/admin/events/{event.id}/registrations.pdf").status_code == 404


# --- CSV for German Excel: a value stays one cell, whichever separator splits it ----------

FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def tricky(make_event, make_registration):
    """A registration whose text holds both separators, quotes, a line break and formulas."""
    event = make_event()
    make_registration(
        event,
        first_name='Anna "Nana", die Erste',
        last_name="Beispiel",
        organisation="ACME;=1+1;x",
        municipality='Bürstadt,=HYPERLINK("http://x");-2',
        accessibility_needs="Rollstuhl\n@SUM(A1)",
    )
    return event


@pytest.mark.parametrize(("sep", "own", "other"), [("comma", ",", ";"), ("semicolon", ";", ",")])
def test_no_csv_cell_starts_a_formula_whichever_separator_excel_splits_on(
    admin_client, tricky, sep, own, other
):
    response = admin_client.get(f"/admin/events/{tricky.id}/registrations.csv?sep={sep}")
    text = response.get_data().decode("utf-8-sig")

    # As written, and as Excel set to the other separator reads the same file.
    for delimiter in (own, other):
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
        starts = [cell for cell in cells if cell.startswith(FORMULA_CHARS)]
        assert not starts, (delimiter, starts)


def test_the_semicolon_csv_keeps_a_value_with_semicolons_as_one_cell(admin_client, tricky):
    response = admin_client.get(f"/admin/events/{tricky.id}/registrations.csv?sep=semicolon")
    rows = read_csv(response, delimiter=";")
    person = next(row for row in rows[1:] if "Beispiel" in row)

    assert len(person) == len(rows[0])
    assert "ACME;=1+1;x" in person
    assert 'Anna "Nana", die Erste' in person
    assert "Rollstuhl\n'@SUM(A1)" in person  # a line break may start a cell elsewhere


def test_the_comma_csv_keeps_a_value_with_commas_as_one_cell(admin_client, tricky):
    rows = read_csv(admin_client.get(f"/admin/events/{tricky.id}/registrations.csv"))
    person = next(row for row in rows[1:] if "Beispiel" in row)

    assert len(person) == len(rows[0])
    assert 'Anna "Nana", die Erste' in person
    assert "ACME;'=1+1;x" in person


@pytest.mark.parametrize("sep", ["comma", "semicolon"])
def test_csv_content_type_names_one_charset(admin_client, tricky, sep):
    response = admin_client.get(f"/admin/events/{tricky.id}/registrations.csv?sep={sep}")

    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
