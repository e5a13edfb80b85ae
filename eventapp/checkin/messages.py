"""Texts of the scanner page's script, translated on the server like every other text."""

from __future__ import annotations

from flask_babel import gettext as _


def scanner_messages() -> dict[str, str]:
    """Messages keyed by redeem status and by the script's own states."""
    return {
        "ok": _("Checked in"),
        "already_checked_in": _("Already checked in at %(time)s"),
        "cancelled": _("Registration cancelled – no entry"),
        "waitlisted": _("On the waiting list – no valid ticket"),
        "wrong_event": _("Ticket for another event"),
        "not_registered_for_session": _("Not registered for this workshop"),
        "unknown": _("Unknown ticket"),
        "event_cancelled": _("Event cancelled – no entry"),
        # Exit scans: "ok" with direction "exit", and an exit of someone not inside.
        "left": _("Exit recorded"),
        "not_inside": _("Not inside – no exit recorded"),
        "retrying": _("No connection – retrying…"),
        "pending": _("%(count)s scans waiting for the network"),
        "logged_out": _("You have been logged out. Please log in again."),
        "error": _("The server refused the scan."),
        "camera_error": _("The camera could not be started."),
        "camera_unsupported": _("This browser cannot use the camera here."),
        "check_in": _("Check in"),
        "no_results": _("Nobody found."),
        "search_too_short": _("Please type at least 2 characters of a name or organisation."),
        "checked_in_at": _("checked in %(time)s"),
        "status_confirmed": _("confirmed"),
        "status_waitlisted": _("waiting list"),
        "status_cancelled": _("cancelled"),
        "ready": _("Ready to scan"),
        "checking": _("Checking …"),
        "ok_exit": _("Exit recorded"),
        "unknown_offline": _("Not on this device's list for this event"),
        "offline_decided": _("Decided offline – will be sent when the network is back."),
        "offline_queued": _("The scan is kept and sent when the network is back."),
        "no_data": _("No connection and no local data yet"),
        "attention": _("Note:"),
        "offline": _("offline"),
        "synced": _("sent later"),
        "online": _("Online"),
        "offline_state": _("Offline"),
        "pending_count": _("%(count)s pending"),
        "data_age": _("data from %(age)s ago"),
        "no_data_yet": _("no local data yet"),
        "age_seconds": _("%(n)s s"),
        "age_minutes": _("%(n)s min"),
        "age_hours": _("%(n)s h"),
        "logout_pending": _(
            "%(count)s scans have not been sent yet and will be lost when you log out. "
            "Log out anyway?"
        ),
    }
