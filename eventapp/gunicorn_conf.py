"""gunicorn settings: ``gunicorn -c python:eventapp.gunicorn_conf … wsgi:app``.

gunicorn has no setting for its ``Server: gunicorn`` header, which tells every
visitor which server to look up vulnerabilities for. Its responses are sent
without that line.
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server
