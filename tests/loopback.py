"""HTTP from a chosen loopback address, without redirects, and the fields a browser would post.

Every 127.0.0.0/8 address is the machine's own, so clients of a server on loopback can
come from different addresses, as they would from different machines.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def cookie(self) -> str:
        """The session cookie this answer sets, as a Cookie header."""
        found = re.search(r"(session=[^;]+)", self.headers.get("Set-Cookie", ""))
        assert found, "no session cookie set"
        return found.group(1)


def fetch(url, *, method="GET", body=None, headers=None, client="127.0.0.1", tls=None) -> Answer:
    """One request from the loopback address ``client``; redirects are not followed."""
    parts = urllib.parse.urlsplit(url)
    address = (client, 0)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=120, context=tls, source_address=address
        )
    else:
        connection = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=120, source_address=address
        )
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read().decode())
    finally:
        connection.close()


def post_form(url, fields, *, cookie, **options) -> Answer:
    body = urllib.parse.urlencode(fields, doseq=True)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    return fetch(url, method="POST", body=body, headers=headers, **options)


class FormFields(HTMLParser):
    """The values a browser would send for the form with ``form_id``."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "checkbox", "radio"}:
            self.fields.append((name, attrs.get("value") or ""))
        elif tag == "input" and name and "checked" in attrs:
            self.fields.append((name, attrs.get("value") or "y"))
        elif tag == "select":
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = attrs.get("value", "")
            if "selected" in attrs:
                self.fields.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            name, text = self.fields.pop()
            self.fields.append((name, text + data))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = any(name == self._select for name, _ in self.fields)
            if not chosen and self._first_option is not None:
                self.fields.append((self._select, self._first_option))
            self._select = None


def form_fields(html: str, form_id: str) -> list[tuple[str, str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.fields
