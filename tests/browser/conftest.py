"""The real app, built and served by Reflex in production mode, driven by Debian's Chromium
with Chrome's virtual WebAuthn authenticator (notes/webauthn.md §1)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import _reset_database

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("TEST_APP_PORT", "3123"))
ORIGIN = os.environ["APP_ORIGIN"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _wait_until_up(proc: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited:\n{log.read_text()[-4000:]}")
        try:
            if urllib.request.urlopen(f"{ORIGIN}/ping", timeout=2).read() and \
                    urllib.request.urlopen(f"{ORIGIN}/", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"app did not start in {timeout}s:\n{log.read_text()[-4000:]}")


def _our_errors(log: str, hostile: bool) -> list[str]:
    """Backend exceptions in the app's own code. A module that sends hostile events
    (HOSTILE = True) may see Reflex's own handlers fail on them, never ours."""
    blocks = log.split("[Reflex Backend Exception]")[1:]
    ours = ("/app/state/", "/app/rules/", "/app/signing/", "/app/pages/", "/app/components/")
    return [b[:3000] for b in blocks if not hostile or any(path in b.replace("\n", "") for path in ours)]


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, request):
    """Serve the app on the test database (the same one this process inspects); fail the module
    if the app raised."""
    _reset_database()
    from app.demo import load_demo_data

    load_demo_data()
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", PORT)) == 0:
            pytest.fail(f"port {PORT} is busy")
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = dict(os.environ)  # APP_ORIGIN, APP_DATA_DIR and the database come from tests/conftest.py
    # Served as behind one reverse proxy: the client address comes from X-Forwarded-For's last hop
    # (a browser cannot set that header, so browser clients are still seen by their own address).
    env["REFLEX_TRUSTED_PROXY_HOPS"] = "1"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port",
                                 "--frontend-port", str(PORT)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(proc, log)
        yield ORIGIN
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    errors = _our_errors(log.read_text(), getattr(request.module, "HOSTILE", False))
    assert not errors, "the app raised:\n" + "\n".join(errors)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


class KeyBrowser:
    """A browser context with a virtual security key plugged in (user verification = PIN)."""

    def __init__(self, browser, origin: str):
        self.context = browser.new_context(accept_downloads=True, locale="zh-CN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(30000)
        self.origin = origin
        self.page.goto(origin + "/")
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.authenticator = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def key_browser(browser, app_server):
    """One browser with one virtual key for the module: keys enrolled early are used later."""
    kb = KeyBrowser(browser, app_server)
    yield kb
    kb.close()
