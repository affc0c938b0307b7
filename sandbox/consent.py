"""A scripted person at a sandbox consent page: open it, pick, press Allow, return the redirect.

Used by `manage.py connect_sandbox` and tests that need a connection without a browser; it drives
the same OAuth endpoints a browser does.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields, self.selects, self._select = None, {}, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag == "input" and a.get("name") and a.get("type", "text") in ("hidden", "text"):
            self.fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            self.selects.setdefault(self._select, []).append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def consent(authorize_url: str, choices: dict | None = None, session: requests.Session | None = None) -> str:
    """Allow access at the consent page; returns the redirect URL (with ?code=…&state=…)."""
    session = session or requests.Session()
    page = session.get(authorize_url, timeout=10)
    page.raise_for_status()
    reader = _FormReader()
    reader.feed(page.text)
    form = dict(reader.fields)
    for name, options in reader.selects.items():
        form[name] = options[0] if options else ""
    form.update(choices or {})
    form["decision"] = "allow"
    action = urljoin(page.url, reader.action) if reader.action else page.url
    answer = session.post(action, data=form, allow_redirects=False, timeout=10)
    if answer.status_code not in (302, 303) or "Location" not in answer.headers:
        raise RuntimeError(f"consent page did not redirect (HTTP {answer.status_code}): {answer.text[:200]}")
    return answer.headers["Location"]
