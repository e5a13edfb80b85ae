"""The garbage collector pauses while a large workbook is written, and always resumes."""

from __future__ import annotations

import gc
import io
import threading
from datetime import datetime

import pytest
from openpyxl import load_workbook

from eventapp.collector import collection_paused
from eventapp.registration.management import exports
from eventapp.registration.management.exports import Table


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    assert gc.isenabled(), "a test left the collector switched off"
    if not was:
        gc.disable()


def test_the_collector_pauses_inside_and_resumes_after():
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_resumes_after_an_error_inside():
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("the export failed")
    assert gc.isenabled()


def test_it_resumes_only_when_the_last_of_two_overlapping_writers_ends():
    first_inside, second_done, first_may_end = (threading.Event() for _ in range(3))
    seen = {}

    def first():
        with collection_paused():
            first_inside.set()
            first_may_end.wait(5)
            seen["first, before its end"] = gc.isenabled()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_inside.wait(5)
    with collection_paused():
        seen["second"] = gc.isenabled()
    second_done.set()
    # The second writer ended first: the first one is still writing.
    seen["between"] = gc.isenabled()
    first_may_end.set()
    thread.join(5)
    assert seen == {"second": False, "between": False, "first, before its end": False}
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_no_collection_runs_while_a_large_workbook_is_written(monkeypatch):
    rows = [
        [n, "Vorname", f"Nachname {n}", f"person{n}@example.org", datetime(2026, 5, 4, 9, 30)]
        for n in range(3000)
    ]
    table = Table("Teilnehmende", ["Nr.", "Vorname", "Nachname", "E-Mail", "Angemeldet"], rows)
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    write_cells = exports._write_workbook

    def watched(*args):
        gc.callbacks.append(count)
        try:
            write_cells(*args)
        finally:
            gc.callbacks.remove(count)

    monkeypatch.setattr(exports, "_write_workbook", watched)
    out = io.BytesIO()
    exports.write_xlsx(table, out)
    # The collections put off run once the writing is done.
    assert collections == []
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.max_row == 3001
    assert sheet["C3001"].value == "Nachname 2999"


def test_without_the_pause_the_same_workbook_sets_off_collections():
    """The check above can fail: the same writing, unpaused, collects many times."""
    rows = [[n, f"Nachname {n}", f"person{n}@example.org"] for n in range(3000)]
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        exports._write_workbook(Table("T", ["Nr.", "Name", "E-Mail"], rows), io.BytesIO())
    finally:
        gc.callbacks.remove(count)
    assert len(collections) > 10
