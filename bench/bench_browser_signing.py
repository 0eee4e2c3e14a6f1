"""Click 签署 → key prompt, and touch → decision shown, in a real browser against the production
build: Debian's Chromium with its virtual authenticator (which answers the prompt at once, so the
moment it asserts is the moment the prompt appeared).

    ./test.sh --co -q >/dev/null  # once: set-up (venv, bun, Chromium)
    .venv/bin/python bench/bench_browser_signing.py [--decisions 40] [--port 3190]

Serves the app from a fresh data folder (SQLite), enrols A001, registers S001's key, then signs
N cases at the counter one after another, as an approver would."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=40)
    parser.add_argument("--port", type=int, default=3190)
    args = parser.parse_args()
    os.environ["APP_DATA_DIR"] = tempfile.mkdtemp(prefix="approval-bench-browser-")
    os.environ["APP_ORIGIN"] = origin = f"http://localhost:{args.port}"
    os.environ.pop("REFLEX_DB_URL", None)
    sys.path.insert(0, str(ROOT))
    from app.demo import load_demo_data
    from app.migrate import upgrade
    from app.signing import pki
    from common import summary

    upgrade()
    pki.init_test_pki()
    load_demo_data()
    log = open(Path(os.environ["APP_DATA_DIR"]) / "app.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port",
                               "--frontend-port", str(args.port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        _wait(origin, server)
        click_to_prompt, touch_to_shown = _run(origin, args.decisions)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    for label, times in (("click 签署 -> key prompt", click_to_prompt), ("touch -> decision shown", touch_to_shown)):
        median, p95, worst = summary(times)
        print(f"{label}: median {median:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms (n={len(times)})")


def _wait(origin: str, server: subprocess.Popen) -> None:
    import urllib.request

    deadline = time.time() + 300
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit("the app exited")
        try:
            urllib.request.urlopen(origin + "/ping", timeout=2)
            urllib.request.urlopen(origin + "/", timeout=2)
            return
        except OSError:
            time.sleep(1)
    raise SystemExit("the app did not start")


def _run(origin: str, n: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    from tests.browser.steps import accept_case, enroll_first_admin, register_key_for, review, sign_in, sign_out

    click_to_prompt, touch_to_shown = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_context(locale="zh-CN").new_page()
        page.goto(origin + "/")
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable", {"enableUI": False})
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
            "isUserVerified": True, "automaticPresenceSimulation": True}})
        asserted: list[float] = []
        cdp.on("WebAuthn.credentialAsserted", lambda _: asserted.append(time.perf_counter()))
        enroll_first_admin(page, origin)
        sign_in(page, origin, "A001", "/roster")
        register_key_for(page, "S001")
        sign_out(page)
        sign_in(page, origin, "S001", "/counter")
        for i in range(n + 1):  # the first one warms the path up and is not counted
            accept_case(page)
            review(page)
            asserted.clear()
            clicked = time.perf_counter()
            page.click("#sign")
            page.wait_for_selector(f"#signed-number", timeout=60000)
            shown = time.perf_counter()
            if i and asserted:
                click_to_prompt.append((asserted[0] - clicked) * 1000)
                touch_to_shown.append((shown - asserted[0]) * 1000)
            page.goto(origin + "/counter")
        browser.close()
    return click_to_prompt, touch_to_shown


if __name__ == "__main__":
    main()
