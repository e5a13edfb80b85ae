"""The attention flag door staff see: the note for the door and the stated needs, short."""

from __future__ import annotations

from eventapp.checkin.attention import MAX_LENGTH, attention_for


def test_no_needs_and_no_note_is_no_flag(make_event, make_registration):
    assert attention_for(make_registration(make_event())) is None
    blank = make_registration(
        make_event(slug="zwei"), attention_note="  ", accessibility_needs="\n"
    )
    assert attention_for(blank) is None


def test_the_note_comes_first_then_the_needs_on_one_line(make_event, make_registration):
    registration = make_registration(
        make_event(),
        attention_note="Rollstuhlplatz reserviert",
        accessibility_needs="Gebärdensprach-\ndolmetschen  bitte",
    )
    assert attention_for(registration) == (
        "Rollstuhlplatz reserviert; Gebärdensprach- dolmetschen bitte"
    )


def test_a_long_text_is_shortened(make_event, make_registration):
    registration = make_registration(make_event(), accessibility_needs="x" * 1000)
    flag = attention_for(registration)
    assert len(flag) == MAX_LENGTH and flag.endswith("…")
