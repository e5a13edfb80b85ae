"""The same "Send notice" form posted several times at once queues each digest once."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest
from support import PASSWORD, all_at_once, csrf_token_in, outbox, workshop

from eventapp.extensions import db
from eventapp.models import ChoiceStatus, MailBatch, Role, SessionChoice

pytestmark = pytest.mark.slow

POSTS = 6


def browser() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )


def page(opener, url: str, data: dict | None = None) -> str:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with opener.open(url, data=body, timeout=60) as response:
        assert response.status == 200
        return response.read().decode()


def test_a_send_form_posted_at_once_from_several_tabs_queues_once(
    live_server, make_user, make_programme, make_registration
):
    admin = make_user(Role.ADMIN)
    event = make_programme()
    chosen = workshop(event)
    people = [
        make_registration(
            event, choices=[SessionChoice(session=chosen, status=ChoiceStatus.CONFIRMED)]
        )
        for _ in range(3)
    ]
    chosen.room = event.rooms[1]
    email, event_id = admin.email, event.id
    db.session.commit()  # the server's workers must be able to write (SQLite)

    opener = browser()
    login = page(opener, f"{live_server}/login")
    page(
        opener,
        f"{live_server}/login",
        {"email": email, "password": PASSWORD, "csrf_token": csrf_token_in(login)},
    )
    review = page(opener, f"{live_server}/admin/events/{event_id}/changes")
    form = {
        "csrf_token": csrf_token_in(review),
        "send_key": re.search(r'name="send_key"[^>]*value="([^"]+)"', review).group(1),
    }
    url = f"{live_server}/admin/events/{event_id}/changes/send"
    answers = all_at_once([lambda: page(opener, url, form) for _ in range(POSTS)])

    assert len(answers) == POSTS
    db.session.rollback()
    assert sorted(m.registration_id for m in outbox()) == sorted(p.id for p in people)
    assert len(db.session.execute(db.select(MailBatch)).all()) == 1
