"""Basic auth, when the user and password hash are in the environment: it guards the pages,
the dashboard's callbacks and the read API; /directives keeps its own tokens, /healthz is open."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from tests.e2e.browser import VIEWPORT, Site, serve_site, wait_for_graphs

USER, PASSWORD = "finance", "correct horse battery staple"


@pytest.fixture(scope="module")
def guarded(demo_site: Site) -> Iterator[Site]:
    environ = {
        "GOVERNANCE_DASHBOARD_USER": USER,
        # A cheap hash: the default scrypt costs ~100 ms a request, here every asset pays it.
        "GOVERNANCE_DASHBOARD_PASSWORD_HASH": generate_password_hash(PASSWORD, "pbkdf2:sha256:1"),
    }
    yield from serve_site(replace(demo_site.governance, environ=environ))


def _status(url: str, password: str | None = None, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=data)
    if password is not None:
        token = base64.b64encode(f"{USER}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        assert exc.code != 401 or exc.headers["WWW-Authenticate"].startswith("Basic ")
        return exc.code


def test_pages_callbacks_and_read_api_need_the_password(guarded: Site) -> None:
    for path in ("/", "/spend", "/_dash-layout", "/metrics", "/api/v1/status"):
        assert _status(guarded.url + path) == 401, path
        assert _status(guarded.url + path, "wrong") == 401, path
        assert _status(guarded.url + path, PASSWORD) == 200, path
    callback = guarded.url + "/_dash-update-component"
    assert _status(callback, data=b"{}") == 401
    for header in ("Basic !!!", "Basic " + base64.b64encode(b"no colon").decode(), "Bearer x"):
        request = urllib.request.Request(guarded.url + "/", headers={"Authorization": header})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        refused.value.close()
        assert refused.value.code == 401, header  # malformed: refused, never a 500
    assert _status(guarded.url + "/directives") == 200  # the routers' own tokens (none here)
    assert _status(guarded.url + "/healthz") == 200


def _open(browser: Any, url: str, password: str) -> tuple[Any, Any, int]:
    context = browser.new_context(
        viewport=VIEWPORT, http_credentials={"username": USER, "password": password}
    )
    page = context.new_page()
    response = page.goto(url)
    return context, page, response.status


def test_the_browser_is_refused_a_wrong_password_and_let_in_with_the_right_one(
    browser: Any, guarded: Site
) -> None:
    context, page, status = _open(browser, guarded.url + "/", "wrong")
    assert status == 401
    assert page.locator(".js-plotly-plot").count() == 0
    context.close()
    context, page, status = _open(browser, guarded.url + "/", PASSWORD)
    assert status == 200
    page.wait_for_selector("#page > *")
    wait_for_graphs(page)
    assert page.locator(".js-plotly-plot").count() >= 3  # a burn chart per category
    context.close()
