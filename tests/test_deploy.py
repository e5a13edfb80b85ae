"""The deploy/ files stay valid: nginx accepts the site, the settings file names every setting."""

from __future__ import annotations

import re
import subprocess
import sys

from deployment import (
    ROOT,
    documented_settings,
    nginx_command,
    production_settings,
    render_site,
    self_signed_certificate,
    write_nginx_conf,
)


def configuration_table_variables() -> set[str]:
    """The variables of the README's configuration table."""
    section = (ROOT / "README.md").read_text().split("\n## Configuration\n", 1)[1]
    rows = re.search(r"^\|.*?(?=^[^|])", section, re.M | re.S).group(0)
    return {
        name
        for row in rows.splitlines()[2:]
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    }


def test_nginx_accepts_the_shipped_site(tmp_path):
    certificate, key = self_signed_certificate(tmp_path)
    site = render_site(
        http_port=8080, https_port=8443, app_ports=[8000, 8001], certificate=certificate, key=key
    )
    conf = write_nginx_conf(tmp_path / "nginx", site)
    result = subprocess.run(
        nginx_command(tmp_path / "nginx", conf, "-t"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_the_shipped_site_passes_the_client_and_keeps_bodies_to_the_apps_limit():
    site = (ROOT / "deploy" / "nginx" / "eventapp.conf").read_text()
    for header in ("Host $host", "X-Forwarded-For $proxy_add_x_forwarded_for"):
        assert f"proxy_set_header {header};" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header X-Forwarded-Host $host;" in site
    # MAX_REQUEST_BYTES defaults to 1 MiB.
    assert "client_max_body_size 1m;" in site


def test_the_settings_example_names_every_setting_of_the_readme():
    table = configuration_table_variables()
    assert {"DATABASE_URL", "CACHE_URL", "TRUSTED_PROXY_COUNT", "METRICS_TOKEN"} <= table
    assert table - documented_settings() == set()


def test_the_settings_example_is_for_production_behind_one_proxy():
    settings = production_settings()
    assert settings["EVENTAPP_ENV"] == "production"
    assert settings["TRUSTED_PROXY_COUNT"] == "1"
    assert settings["DATABASE_URL"].startswith("postgresql://")
    assert settings["CACHE_URL"].startswith("redis://")
    assert settings["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert settings["MAIL_SEND_INLINE"] == "0"
    # No working key ships: left empty, a production start refuses.
    assert settings["SECRET_KEY"] == ""


def test_the_units_run_the_web_service_and_the_worker_with_the_settings_file():
    web = (ROOT / "deploy" / "systemd" / "eventapp-web.service").read_text()
    worker = (ROOT / "deploy" / "systemd" / "eventapp-worker.service").read_text()
    assert "gunicorn -c python:eventapp.gunicorn_conf" in web
    assert "flask --app wsgi mail deliver --loop" in worker
    for unit in (web, worker):
        assert "EnvironmentFile=/etc/eventapp/eventapp.env" in unit
        assert "NoNewPrivileges=yes" in unit
        assert "ProtectSystem=strict" in unit


def test_the_served_app_leaves_its_startup_objects_out_of_garbage_collection(tmp_path):
    """``wsgi.py`` freezes what the app set up: full collections then walk only what
    requests made (an export of 10 000 registrations spent a third of its time there)."""
    probe = (
        "import gc; before = gc.get_freeze_count(); import wsgi; "
        "print(before, gc.get_freeze_count())"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "SECRET_KEY": "deploy-test",
        "EVENTAPP_INSTANCE_PATH": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    before, after = map(int, result.stdout.split())
    assert before == 0 and after > 10_000
