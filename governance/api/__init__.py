"""The HTTP API: ``/directives`` for routers, ``/healthz``, ``/metrics``, ``/api/v1/status``
and ``/openapi.json``, as a WSGI app (``make_wsgi_app``) served by uvicorn (``Server``,
``serve``), which answers ``/directives`` on its event loop. Other paths go to an optional
second WSGI app: the dashboard."""

from governance.api.app import ApiApp, make_wsgi_app
from governance.api.server import Server, freeze_start_up, serve

__all__ = ["ApiApp", "Server", "freeze_start_up", "make_wsgi_app", "serve"]
