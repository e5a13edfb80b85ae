"""eventapp: congress and site-visit programme, registration, tickets and check-in."""

from __future__ import annotations

import gc
import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from eventapp import config as settings
from eventapp import extensions as ext


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides settings read from the environment."""
    app = Flask(
        __name__,
        # Unset, Flask picks ``instance/`` beside the package in a checkout and
        # ``<prefix>/var/eventapp-instance`` for an installed one (never site-packages).
        instance_path=os.environ.get("EVENTAPP_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    # The instance folder holds the key and the SQLite database: for the owner only.
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    app.config.from_mapping(settings.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    if "SESSION_COOKIE_SECURE" not in (config or {}):
        # Cookies go over HTTPS only where the site is served over HTTPS.
        app.config["SESSION_COOKIE_SECURE"] = app.config["PUBLIC_BASE_URL"].startswith("https://")

    if app.config.get("TRUSTED_PROXY_COUNT"):
        # Behind nginx the peer is the proxy; the client is in X-Forwarded-For. Without
        # proxies those headers come from the client itself and must not be believed.
        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    register_extensions(app)
    register_side_effects()
    register_blueprints(app)
    register_commands(app)
    return app


def freeze_startup_objects() -> None:
    """Leave what the process has set up so far out of the garbage collector's rounds.

    The app, its models, templates and libraries live as long as the process, but each
    full collection walked them all again, and a request that builds many objects (an
    export of 10 000 registrations) set off several: a third of its time, more than
    linear in its size. Called once the app is made, before serving (``wsgi.py``); with
    gunicorn's ``--preload`` the workers also share those pages with the master longer.
    """
    gc.collect()
    gc.freeze()


def register_extensions(app: Flask) -> None:
    from eventapp import (
        content,
        database,
        i18n,
        labels,
        pagecache,
        questions,
        salutation,
        security,
    )
    from eventapp.accounts.auth import configure_login
    from eventapp.i18n import current_locale, select_locale, select_timezone
    from eventapp.metrics import requests as request_metrics

    # Extensions are reached through their module: subpackages such as
    # ``eventapp.mail`` would shadow a bare ``mail`` name in this package.
    ext.db.init_app(app)
    # First, so that its hook runs before any other that may query.
    database.init_app(app)
    # Early, so that its after_request hook runs last and times the others too.
    request_metrics.init_app(app)
    # Inside the package, so that an installed wheel can upgrade its database.
    ext.migrate.init_app(
        app, ext.db, directory=os.path.join(app.root_path, "migrations"), render_as_batch=True
    )
    ext.csrf.init_app(app)
    # After CSRFProtect: stored pages carry a marker where each visitor's token goes.
    pagecache.init_app(app)
    ext.mail.init_app(app)
    ext.babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["current_locale"] = current_locale
    i18n.init_app(app)
    labels.init_app(app)
    content.init_app(app)
    questions.init_app(app)
    salutation.init_app(app)
    ext.login_manager.init_app(app)
    configure_login(ext.login_manager)
    ext.limiter.init_app(app)
    security.init_app(app)


def register_side_effects() -> None:
    """What a flush sets off besides the rows it writes, connected here where a reader finds it.

    - ``feeds.revisions``: raises ``Session.sequence`` and the calendar entries' stamps.
    - ``mail.listeners``: turns registration changes into outbox rows in the same
      transaction, and starts the inline sender after the commit.
    - ``checkin.versions``: stamps ``door_version`` of registrations whose door data
      changed (offline scanners download only what changed).
    - ``notices.recording``: records programme edits that matter to participants as
      pending changes for an organizer's review (nobody is mailed until they send).

    All listen on Flask-SQLAlchemy's session (``db.session``), not on every SQLAlchemy
    session, and connecting them twice (several apps in one process) adds nothing.
    """
    from eventapp.checkin import versions
    from eventapp.feeds import revisions
    from eventapp.mail import listeners
    from eventapp.notices import recording

    revisions.register(ext.db.session)
    listeners.register(ext.db.session)
    recording.register(ext.db.session)
    versions.register(ext.db.session)


def register_blueprints(app: Flask) -> None:
    from eventapp import i18n
    from eventapp.accounts import bp as accounts_bp
    from eventapp.admin.routes import bp as admin_bp
    from eventapp.api import bp as api_bp
    from eventapp.certificates import bp as certificates_bp
    from eventapp.checkin import bp as checkin_bp
    from eventapp.errors import register_error_handlers
    from eventapp.feeds import bp as feeds_bp
    from eventapp.legal.views import bp as legal_bp
    from eventapp.mail.views_optout import bp as optout_bp
    from eventapp.metrics import bp as metrics_bp
    from eventapp.public import bp as public_bp
    from eventapp.questions.views import bp as questions_bp
    from eventapp.registration import bp as registration_bp
    from eventapp.selfservice import bp as selfservice_bp
    from eventapp.tickets import bp as tickets_bp

    for blueprint in (
        i18n.bp,
        public_bp,
        registration_bp,
        selfservice_bp,
        questions_bp,
        tickets_bp,
        certificates_bp,
        feeds_bp,
        accounts_bp,
        checkin_bp,
        admin_bp,
        legal_bp,
        optout_bp,
        metrics_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from eventapp.accounts.cli import tokens_cli, users_cli
    from eventapp.demo.cli import demo_cli
    from eventapp.jobs.cli import jobs_cli
    from eventapp.mail.cli import mail_cli
    from eventapp.registration.cli import registrations_cli

    for group in (demo_cli, users_cli, tokens_cli, mail_cli, jobs_cli, registrations_cli):
        app.cli.add_command(group)
