"""What door staff should know about a guest at a glance: an attention flag.

Only the person's stated accessibility needs and the organizer's note for the door,
shortened; nothing else personal. Shown on the scan result (online and offline).
"""

from __future__ import annotations

from eventapp.models import Registration

# Enough for "Rollstuhlplatz reserviert; Gebärdensprachdolmetschen" on a phone screen.
MAX_LENGTH = 160


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1].rstrip() + "…"


def attention_for(registration: Registration) -> str | None:
    """The flag for ``registration``: its note for the door, then its needs; None if none."""
    parts = [registration.attention_note, registration.accessibility_needs]
    text = "; ".join(part.strip() for part in parts if part and part.strip())
    return _shortened(text) if text else None
