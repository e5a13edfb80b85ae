"""CLI: `flask jobs work [--loop]` runs background jobs; `flask mail deliver` runs them too."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import click

from eventapp.jobs import services

jobs_cli = click.Group("jobs", help="Background jobs: badges, certificates, large exports.")


def echo_report(report: services.WorkReport) -> None:
    if report.done or report.failed or report.recovered or report.expired:
        click.echo(
            f"jobs: done {report.done}, failed {report.failed},"
            f" taken over from stopped workers {report.recovered},"
            f" files deleted after retention {report.expired}"
        )


def run_until_stopped(banner: str, one_round: Callable[[], bool], interval: float) -> None:
    """Run ``one_round`` until SIGTERM (a process manager) or Ctrl+C; the round in hand
    is finished first. A round that returns False found nothing more to do: then wait
    ``interval`` seconds before the next."""
    stop = threading.Event()

    def _stop(_signum, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(banner)
    while not stop.is_set():
        if not one_round():
            stop.wait(interval)


@jobs_cli.command("work")
@click.option("--loop", is_flag=True, help="Keep running and take jobs as they come.")
@click.option("--batch", default=5, show_default=True, help="Jobs per run (per round).")
@click.option(
    "--interval", default=2.0, show_default=True, help="Seconds to wait when nothing is queued."
)
def work_command(loop: bool, batch: int, interval: float) -> None:
    """Run queued jobs (and recover stalled ones, delete expired files)."""

    def one_round() -> bool:
        report = services.work(limit=batch)
        echo_report(report)
        return report.done + report.failed >= batch

    if loop:
        run_until_stopped("Running background jobs; stop with Ctrl+C.", one_round, interval)
    else:
        one_round()
