"""Security headers on every response, and what a request may carry before any view reads it."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Flask, Response, abort, current_app, g, request
from flask import Request as FlaskRequest
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from eventapp.database import MAX_ID

# No request of this service nests deeper than a few levels; parsing and walking
# thousands of levels costs stack and time, and Python's recursion limit turns
# it into a server error.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"nested deeper than {MAX_JSON_DEPTH} levels"
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Back-office and scanner pages and staff-only JSON show personal data; the account
# pages (login, password) carry form tokens and the staff member's address.
STAFF_PATH_PREFIXES = ("/admin", "/checkin")
STAFF_BLUEPRINTS = frozenset({"admin", "checkin", "accounts"})


def content_security_policy() -> str:
    """Everything is served from this site; styles may be inline (track colours in attributes).

    Scripts come only from files of this site: no inline code, no event-handler attributes.
    """
    directives = (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
    return "; ".join(directives)


POLICY = content_security_policy()
# The scanner page uses the camera; nothing uses the microphone or the location.
PERMISSIONS = "camera=(self), microphone=(), geolocation=(), payment=()"


def add_security_headers(response: Response) -> Response:
    """Set the headers unless a view chose its own (e.g. ``Referrer-Policy: no-referrer``)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS)
    # A PDF opened in the browser is shown by its built-in viewer, which a policy can block.
    if response.mimetype != "application/pdf":
        headers.setdefault("Content-Security-Policy", POLICY)
    if current_app.config.get("PUBLIC_BASE_URL", "").startswith("https://"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def keep_staff_pages_out_of_caches(response: Response) -> Response:
    """``Cache-Control: no-store`` for staff pages and staff API answers.

    Neither a proxy nor the browser of a shared computer may keep them for the
    next person.
    """
    staff_api = request.path.startswith("/api/") and g.get("api_user") is not None
    if (
        staff_api
        or request.blueprint in STAFF_BLUEPRINTS
        or request.path.startswith(STAFF_PATH_PREFIXES)
    ):
        response.headers["Cache-Control"] = "no-store"
    return response


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character in a string"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "an unpaired surrogate in a string"
    return None


def _json_problem(value: Any) -> str | None:
    """Why a parsed body must be refused (for the log), or None; walks without recursion."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list) and depth > MAX_JSON_DEPTH:
            return TOO_DEEP
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list):
            pending.extend((member, depth + 1) for member in item)
        elif isinstance(item, str) and (problem := _text_problem(item)):
            return problem
    return None


def _refuse_json(problem: str) -> NoReturn:
    # One line, not a traceback: such bodies are sent on purpose, and often.
    current_app.logger.warning(
        "refused the JSON body of %s %r: %s", request.method, request.path, problem
    )
    if problem == TOO_DEEP:
        raise BadRequest(_("The request is nested too deeply."))
    raise BadRequest(_("The request contains characters that cannot be stored."))


class Request(FlaskRequest):
    """Flask's request; a JSON body is refused (400) when no database could store it.

    ``get_json`` is the one place every JSON body is parsed, so each view gets only
    text that PostgreSQL and SQLite can store: no NUL, no unpaired surrogate
    (``"\\ud800"`` decodes to a str that cannot be encoded as UTF-8), and no nesting
    that would exhaust the stack. The refusal is an ``HTTPException``, so it also
    ends requests whose view reads with ``get_json(silent=True)``.
    """

    _json_checked = False

    def get_data(  # type: ignore[override]
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> bytes | str:
        """The body; 413 also for a body without ``Content-Length`` (chunked) beyond the limit.

        Werkzeug stops reading such a body at ``MAX_CONTENT_LENGTH`` and returns what
        it has read, without an error, unless something reads again; a view would
        get the body cut off. One byte more from the server's stream tells.
        """
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        limit = self.max_content_length
        at_limit = limit is not None and len(data) >= limit
        if at_limit and self.content_length is None and self.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
        return data.decode(errors="replace") if as_text else data

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            value = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            _refuse_json(TOO_DEEP)
        if not self._json_checked:
            problem = _json_problem(value)
            if problem is not None:
                _refuse_json(problem)
            self._json_checked = cache
        return value


def refuse_unstorable_input() -> None:
    """Refuse what no database could store (NUL, ids beyond INTEGER) before any query sees it.

    Bodies are parsed only for a route that exists and takes the method, and only
    within ``MAX_CONTENT_LENGTH``; JSON bodies are checked when a view reads them.
    """
    # No resource has NUL in its name: such a path is simply not found.
    if "\x00" in request.path:
        abort(404)
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    if request.url_rule is None:
        return  # not found or method not allowed: the routing error answers, unread
    values = [*request.args.keys(), *request.args.values(), *request.headers.values()]
    if request.method not in {"GET", "HEAD", "OPTIONS"} and request.mimetype in FORM_MIMETYPES:
        if request.content_length is None:
            # Chunked: read through get_data, which enforces the limit; the form is
            # then parsed from that copy.
            request.get_data()
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in v for v in values):
        abort(400)
    # ``<int:...>`` takes any number of digits; ids no column can hold name nothing.
    if any(isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
        abort(404)


def init_app(app: Flask) -> None:
    app.request_class = Request
    app.before_request(refuse_unstorable_input)
    app.after_request(add_security_headers)
    app.after_request(keep_staff_pages_out_of_caches)
