"""The browser fixtures of ``tests/e2e/browser.py``, for every e2e module.

Defined here once, so that the session-scoped ones (one Chromium, one demo site) are shared:
a module importing them itself would get its own session instances, and a second Playwright
in one process fails.
"""

from tests.e2e.browser import browser, demo_site, empty_site, page

__all__ = ["browser", "demo_site", "empty_site", "page"]
