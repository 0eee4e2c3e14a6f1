"""What an officer does in the browser, step by step, shared by the browser tests."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.flows import VALID_ID


def enroll_first_admin(page, origin: str, staff_no: str = "A001", name: str = "王建国") -> str:
    """Print the one-time link with the CLI and register the admin's key through it."""
    link = subprocess.run([sys.executable, "-m", "app.cli", "enroll-admin", staff_no, name],
                          capture_output=True, text=True, check=True).stdout.strip()
    page.goto(link)
    page.click("#enroll")
    page.wait_for_selector("#to-sign-in")
    return link


def sign_in(page, origin: str, staff_no: str, lands_on: str) -> None:
    page.goto(origin + "/")
    page.fill("#staff-no", staff_no)
    page.click("#sign-in")
    # Signing in reloads the home page (so the socket reconnects with the session cookie); the
    # static server may add a trailing slash.
    page.wait_for_url(re.compile(rf"{re.escape(lands_on)}/?$"))


def sign_out(page) -> None:
    page.click("#sign-out")
    page.wait_for_url("**/")


def choose(page, trigger: str, label: str) -> None:
    """Pick the option named `label` in the Radix select whose trigger is `trigger`."""
    page.click(trigger)
    page.get_by_role("option", name=label, exact=True).click()
    page.wait_for_selector(f"{trigger}:has-text('{label}')")


def register_key_for(page, staff_no: str) -> None:
    """On the roster: step-up if due, then the officer's key in this browser."""
    page.click(f"#register-{staff_no}")
    page.wait_for_selector(f"#notice:has-text('（{staff_no}）登记密钥')")


def choose(page, trigger: str, text: str) -> None:
    """Pick the option containing `text` in a Radix select."""
    page.click(trigger)
    page.locator("[role=option]", has_text=text).first.click()


def fill_application(page, code: str = "370303-SCZT-001", applicant: str = "淄博市张店区示例餐饮店",
                     received: int | None = None) -> None:
    """At the counter: choose the item, enter the applicant, tick the materials received (all by
    default), declare no conflict."""
    choose(page, "#item", code)
    page.wait_for_selector("#materials [role=checkbox]")
    page.fill("#applicant-name", applicant)
    page.fill("#id-number", VALID_ID)
    boxes = page.locator("#materials [role=checkbox]").all()
    for box in boxes[:len(boxes) if received is None else received]:
        box.check()
    page.check("#no-conflict")


def accept_case(page, code: str = "370303-SCZT-001", applicant: str = "淄博市张店区示例餐饮店") -> None:
    fill_application(page, code, applicant)
    page.click("#accept")
    page.wait_for_selector("#notice:has-text('已受理')")


OPINION = "经审查，申请材料齐全、符合法定形式，符合受理条件，同意准予许可。"


def review(page, opinion: str = OPINION) -> None:
    """Confirm every acceptance condition and write the review opinion."""
    for box in page.locator("#current-case [role=checkbox][id^=condition-]").all():
        box.check()
    page.fill("#opinion", opinion)


def review_and_sign(page) -> None:
    review(page)
    page.click("#sign")


def approver_at_counter(kb) -> None:
    """A001 enrolled, S001's key registered by A001, S001 signed in at the counter."""
    enroll_first_admin(kb.page, kb.origin)
    sign_in(kb.page, kb.origin, "A001", "/roster")
    register_key_for(kb.page, "S001")
    sign_out(kb.page)
    sign_in(kb.page, kb.origin, "S001", "/counter")
