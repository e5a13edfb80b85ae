"""CLI: `flask mail ...` — deliver the outbox, watch it, retry failures, send reminders.

``mail deliver`` first queues the scheduled mail that is due (reminders, thank-you
mails; see ``eventapp.mail.schedule``), then sends: no cron job needed. Each run (each
round of ``--loop``) also erases the personal data of events past their retention period
(``eventapp.registration.retention``) and runs one background job (``eventapp.jobs``:
badges, certificates, large exports), so one worker service does all the background work.
"""

from __future__ import annotations

import click
from flask import current_app

from eventapp.extensions import db
from eventapp.jobs import cli as jobs_cli
from eventapp.jobs import services as jobs
from eventapp.mail import schedule, services
from eventapp.models import Event
from eventapp.models.base import utcnow
from eventapp.registration import retention

mail_cli = click.Group("mail", help="Email delivery from the outbox.")


@mail_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep running and deliver as messages fall due.")
@click.option("--batch", default=100, show_default=True, help="Messages per run (per round).")
@click.option(
    "--interval", default=5.0, show_default=True, help="Seconds to wait when nothing is due."
)
def deliver_command(loop: bool, batch: int, interval: float) -> None:
    """Queue the scheduled mail that is due, then send what the outbox holds.

    Failures are retried with backoff.
    """

    def one_round() -> bool:
        _erase_due()
        scheduled = _queue_scheduled()
        report = services.deliver_due(batch=batch)
        if report.handled or scheduled.queued or not loop:
            _echo_report(report, scheduled)
        # One job per round: mail waits at most one job's time (badges for 10 000: seconds).
        job_report = jobs.work(limit=1)
        jobs_cli.echo_report(job_report)
        return report.handled >= batch or bool(job_report.done + job_report.failed)

    if loop:
        jobs_cli.run_until_stopped("Delivering mail; stop with Ctrl+C.", one_round, interval)
    else:
        one_round()


def _erase_due() -> None:
    """Anonymize the events whose retention period is over (once each, even with two workers)."""
    erased = retention.erase_due()
    if erased:
        click.echo(
            f"erased the personal data of {len(erased)} event(s) after their retention period"
        )


def _queue_scheduled() -> schedule.ScheduledReport:
    scheduled = schedule.queue_scheduled_mail()
    # This process sends right after; no background sender on top.
    services.deliver_in_foreground()
    db.session.commit()
    return scheduled


def _echo_report(
    report: services.DeliveryReport, scheduled: schedule.ScheduledReport | None = None
) -> None:
    line = (
        f"sent {report.sent}, retrying {report.retrying}, failed {report.failed},"
        f" discarded {report.discarded}"
    )
    if scheduled is not None:
        line += (
            f"; scheduled: queued {scheduled.reminders} reminders,"
            f" {scheduled.thank_yous} thank-you mails"
        )
    click.echo(line)


@mail_cli.command("status")
@click.option("--limit", default=20, show_default=True, help="Failed messages to list.")
def status_command(limit: int) -> None:
    """Messages per status and the ones that failed for good."""
    counts = services.outbox_counts()
    click.echo("  ".join(f"{status}: {count}" for status, count in counts.items()))
    _echo_schedule()
    oldest = services.oldest_pending()
    if oldest is not None:
        minutes = int((utcnow() - oldest).total_seconds() // 60)
        click.echo(f"oldest pending message: queued {minutes} min ago")
    retrying = db.session.execute(services.retrying_messages().limit(limit)).scalars().all()
    if retrying:
        click.echo("waiting for a retry:")
    for message in retrying:
        click.echo(
            f"  #{message.id} {message.kind} to {message.recipient or '(erased)'},"
            f" attempt {message.attempts + 1} at {message.next_attempt_at:%Y-%m-%d %H:%M} UTC:"
            f" {message.last_error[:200]}"
        )
    failed = db.session.execute(services.failed_messages().limit(limit)).scalars().all()
    if failed:
        click.echo("failed (retry with `mail retry ID` or `mail retry --all-failed`):")
    for message in failed:
        click.echo(
            f"  #{message.id} {message.kind} to {message.recipient or '(erased)'}"
            f" after {message.attempts} attempts: {message.last_error[:200]}"
        )


def _echo_schedule() -> None:
    """Scheduled mail of open or coming windows: when due, and how many queued so far."""
    windows = schedule.scheduled_windows(utcnow())
    if windows:
        click.echo("scheduled mail (queued by `mail deliver` when due):")
    for window in windows:
        zone = window.event.timezone
        opens = window.event.local(window.opens)
        closes = window.event.local(window.closes)
        queued = schedule.queued_count(window.kind, window.event)
        click.echo(
            f"  {window.kind} for {window.event.slug}: due {opens:%Y-%m-%d %H:%M}"
            f" until {closes:%Y-%m-%d %H:%M} ({zone}), {queued} queued so far"
        )


@mail_cli.command("retry")
@click.argument("message_id", type=int, required=False)
@click.option("--all-failed", is_flag=True, help="Requeue every failed message.")
def retry_command(message_id: int | None, all_failed: bool) -> None:
    """Requeue a failed message (by id) or all of them."""
    if all_failed == (message_id is not None):
        raise click.UsageError("Give a message id or --all-failed (not both).")
    if all_failed:
        count = services.retry_failed()
    else:
        if not services.retry_message(message_id):
            raise click.ClickException(f"No failed message with id {message_id}.")
        count = 1
    db.session.commit()
    click.echo(f"requeued {count}")


@mail_cli.command("remind")
@click.option("--event", "slug", required=True, help="The event's slug.")
def remind_command(slug: str) -> None:
    """Queue the reminder for each confirmed participant (once per participant, ever)."""
    event = db.session.execute(db.select(Event).where(Event.slug == slug)).scalar_one_or_none()
    if event is None:
        raise click.ClickException(f"No event {slug!r}.")
    if event.ends_at <= utcnow():
        raise click.ClickException(f"{slug} is over; no reminders.")
    count = schedule.queue_for(services.MessageKind.REMINDER, event)
    # A background thread would die with this short-lived process.
    services.deliver_in_foreground()
    db.session.commit()
    click.echo(f"queued {count} reminders")
    if count and current_app.config.get("MAIL_SEND_INLINE"):
        _echo_report(services.deliver_due(batch=count))
