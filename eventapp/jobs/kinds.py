"""What a job can do: each kind checks its parameters, names its file and does the work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from flask_babel import lazy_gettext as _l

from eventapp.domain import InvalidInput

if TYPE_CHECKING:
    from eventapp.models import Job

MIMETYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Progress(Protocol):
    """How a job tells its progress (``services.Progress``)."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int = 1) -> None: ...


@dataclass(frozen=True)
class JobKind:
    """One kind of job: ``run`` writes the result to a file and returns its download name.

    A kind without ``extension`` makes no file: its ``run`` works in the database
    (``out`` is None), commits as it goes and returns "".
    """

    name: str
    label: Any
    extension: str
    run: Callable[[Job, BinaryIO | None, Progress], str]
    # Allowed values per parameter; the first is the default.
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    prepare: Callable[[Job], None] = lambda job: None

    def check(self, params: dict[str, Any]) -> None:
        """Fill in defaults and refuse values the kind does not know."""
        for key, allowed in self.choices.items():
            params.setdefault(key, allowed[0])
            if params[key] not in allowed:
                raise InvalidInput(f"{key} must be one of {', '.join(allowed)}")

    @property
    def makes_file(self) -> bool:
        return bool(self.extension)

    def extension_for(self, params: dict[str, Any]) -> str:
        """The result's file type: the kind's, or the ``format`` asked for."""
        return params.get("format", self.extension)


def _badges(job: Job, out: BinaryIO, progress: Progress) -> str:
    from eventapp.registration.management import badges

    event, layout = job.event, job.params["layout"]
    people = badges.badge_people(event)
    progress.start(len(people))
    badges.write_badges(event, out, layout, people, progress.advance)
    suffix = "-a4" if layout == "a4" else ""
    return f"{event.slug}-badges{suffix}.pdf"


def _certificates_codes(job: Job) -> None:
    from eventapp.certificates import services

    services.event_certificates(job.event)  # makes the codes not made yet


def _certificates(job: Job, out: BinaryIO, progress: Progress) -> str:
    from eventapp.certificates import pdf, services

    people = services.event_certificates(job.event)
    progress.start(len(people))
    pdf.write_certificates(people, out, progress.advance)
    return f"{job.event.slug}-certificates.pdf"


def _registrations(job: Job, out: BinaryIO, progress: Progress) -> str:
    from eventapp.registration.management import exports

    event, fmt = job.event, job.params["format"]
    table = exports.registrations_table(event)
    progress.start(len(table.rows))
    if fmt == "xlsx":
        exports.write_xlsx(table, out)
    else:
        out.write(exports.to_csv(table, job.params["sep"]))
    progress.advance(len(table.rows))
    return f"{event.slug}-registrations.{fmt}"


def _bulk_send(job: Job, _out: BinaryIO | None, progress: Progress) -> str:
    from eventapp.registration.management import bulk_queue

    bulk_queue.queue_in_chunks(job.params["batch_id"], progress.start, progress.advance)
    return ""


KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        JobKind(
            "badges",
            _l("Name badges"),
            "pdf",
            _badges,
            choices={"layout": ("a6", "a4")},
        ),
        JobKind(
            "certificates",
            _l("Certificates of attendance"),
            "pdf",
            _certificates,
            prepare=_certificates_codes,
        ),
        JobKind(
            "registrations",
            _l("All registrations"),
            "csv",
            _registrations,
            choices={"format": ("xlsx", "csv"), "sep": ("comma", "semicolon")},
        ),
        JobKind("bulk_send", _l("Email to participants"), "", _bulk_send),
    )
}
