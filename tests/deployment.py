"""The shipped deploy/ files, made runnable on loopback: nginx in a folder of its own, settings.

The nginx site and the settings file are used as shipped; only what names this machine
(addresses, ports, certificate and static paths) is replaced, and each replacement must
find its text, so a changed file cannot slip past the tests that use it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "eventapp.conf"
ENV_EXAMPLE = DEPLOY / "eventapp.env.example"
STATIC = ROOT / "eventapp" / "static"

# What the shipped site names that a test on loopback must replace.
SHIPPED_UPSTREAM = re.compile(r"^(\s*)server 10\.0\.0\.1[12]:8000 (.*)\n", re.M)
SHIPPED_IPV6_LISTEN = re.compile(r"^\s*listen \[::\]:\d+.*\n", re.M)
SHIPPED_CERTIFICATE = "/etc/letsencrypt/live/events.example.org/fullchain.pem"
SHIPPED_KEY = "/etc/letsencrypt/live/events.example.org/privkey.pem"
SHIPPED_STATIC = "/srv/eventapp/eventapp/static/"


def nginx_binary() -> str:
    """Debian's nginx (``make nginx`` installs it)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError("nginx is not installed; `make nginx` installs Debian's package")
    return found


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{NGINX_SITE.name} no longer holds {old!r} once"
    return text.replace(old, new)


def render_site(
    *, http_port: int, https_port: int, app_ports: list[int], certificate: Path, key: Path
) -> str:
    """The shipped site on loopback: the given ports, app servers and certificate."""
    text = NGINX_SITE.read_text()
    lines = SHIPPED_UPSTREAM.findall(text)
    assert len(lines) == 2, "the shipped upstream should name two app servers"
    indent, options = lines[0]
    servers = "".join(f"{indent}server 127.0.0.1:{port} {options}\n" for port in app_ports)
    text = SHIPPED_UPSTREAM.sub("", text, count=1)
    text = SHIPPED_UPSTREAM.sub(servers, text, count=1)
    # The machine may have no IPv6; loopback IPv4 is enough here.
    text, dropped = SHIPPED_IPV6_LISTEN.subn("", text)
    assert dropped == 2, "the shipped site should listen on IPv6 for both ports"
    text = _replace_once(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _replace_once(text, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    text = _replace_once(text, SHIPPED_CERTIFICATE, str(certificate))
    text = _replace_once(text, SHIPPED_KEY, str(key))
    return _replace_once(text, SHIPPED_STATIC, f"{STATIC}/")


def write_nginx_conf(prefix: Path, site: str) -> Path:
    """A main configuration around ``site`` that keeps pid, logs and buffers in ``prefix``."""
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "eventapp.conf").write_text(site)
    mime = Path("/etc/nginx/mime.types")
    types = (
        f"include {mime};"
        if mime.exists()
        else "types { text/css css; text/javascript js; image/svg+xml svg; }"
    )
    # Started by root, nginx's workers would run as nobody and could not enter the
    # private temporary folder; as anyone else this line is ignored.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/eventapp.conf;
}}
"""
    )
    return conf


def nginx_command(prefix: Path, conf: Path, *extra: str) -> list[str]:
    # -e: the error log before the configuration is read, which would else be /var/log/nginx.
    error_log = f"{prefix}/error.log"
    return [nginx_binary(), "-p", f"{prefix}/", "-c", str(conf), "-e", error_log, *extra]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 valid for a day, and its key."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate, key


def production_settings() -> dict[str, str]:
    """The settings the example file sets (its uncommented lines), quotes removed."""
    settings = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        settings[name.strip()] = value
    return settings


def documented_settings() -> set[str]:
    """Every variable the example file names, set or shown commented out with its default."""
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
