"""CLI: `flask jobs work [--loop]` runs background jobs; `flask mail deliver` runs them too."""

from __future__ import annotations

import signal
import threading

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


@jobs_cli.command("work")
@click.option("--loop", is_flag=True, help="Keep running and take jobs as they come.")
@click.option("--batch", default=5, show_default=True, help="Jobs per run (per round).")
@click.option(
    "--interval", default=2.0, show_default=True, help="Seconds to wait when nothing is queued."
)
def work_command(loop: bool, batch: int, interval: float) -> None:
    """Run queued jobs (and recover stalled ones, delete expired files)."""
    if not loop:
        echo_report(services.work(limit=batch))
        return
    stop = threading.Event()

    def _stop(_signum, _frame) -> None:
        stop.set()

    # Finish the job in hand, then leave: SIGTERM from a process manager.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo("Running background jobs; stop with Ctrl+C.")
    while not stop.is_set():
        report = services.work(limit=batch)
        echo_report(report)
        if report.done + report.failed < batch:
            stop.wait(interval)
