"""Signed-in session state. The session id lives in a backend var; every handler of every page
state (all substates of AuthState) asks `_principal(role)` first, which asks the database."""

from __future__ import annotations

import asyncio
import logging
from typing import Optional

import reflex as rx

from app.rules.counter import decisions

from app.rules.people import sessions

from app.rules.people import stepup
from app.rules.errors import Refused
from app.rules.principal import Principal
from app.rules.people.roles import ADMIN, APPROVER, AUDITOR
from app.state.webauthn_js import bind_session_script, browser_error, get_script

log = logging.getLogger(__name__)

def to_int(value) -> int | None:
    """Client arguments arrive as whatever the client sent: accept an int or digits only."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else None


# Actions that resume after a step-up: name -> event handler. Filled by the states that hold admin
# power; the name comes from the server, never from the client.
STEP_UP_ACTIONS: dict = {}

HOME_BY_ROLE = ((APPROVER, "/counter"), (ADMIN, "/roster"), (AUDITOR, "/audits"))


class AuthState(rx.State):
    _session_id: str = ""
    _signin_challenge: str = ""
    _stepup_challenge: str = ""
    _pending_action: dict = {}
    _bind_pending: bool = False
    officer_name: str = ""
    staff_no: str = ""
    roles: list[str] = []
    error: str = ""
    notice: str = ""
    busy: bool = False

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.staff_no)

    def _clear(self) -> None:
        self._session_id = ""
        self._signin_challenge = ""
        self.officer_name, self.staff_no, self.roles = "", "", []

    def _principal(self, role: Optional[str] = None) -> Optional[Principal]:
        """The signed-in officer, or None with the refusal shown (and logged by the rule)."""
        try:
            principal = sessions.current(self._session_id, role,
                                         cookie_header=self.router.headers.raw_headers.get("cookie", ""))
            self._bind_pending = False  # the cookie arrived: the bind is over, whatever its callback
            return principal
        except Refused as exc:
            if exc.code == "role.denied":
                self._bind_pending = False
            self.error = exc.message
            # A client holding this tab's token but not the browser's cookie must not be able to
            # sign the real tab out either.
            if exc.code.startswith("session.") and exc.code != "session.unbound":
                self._clear()
            return None

    def _exit(self):
        """After a refused session: back to sign-in; after a refused role: stay and show why."""
        return None if self.staff_no else rx.redirect("/")

    def _refused(self, exc: Refused) -> None:
        self.error, self.notice = exc.message, ""

    def _act(self, role: str, form_data, run, done=None, step_up_action: str | None = None):
        """The shape of every action handler: clear messages, check the officer and role on the
        server, run the rule with the submitted form, show its refusal (asking for the key again
        when the rule wants a step-up), then `done(principal, result)`."""
        self.error, self.notice = "", ""
        principal = self._principal(role)
        if principal is None:
            return self._exit()
        form = form_data if isinstance(form_data, dict) else {}
        try:
            result = run(principal, form)
        except Refused as exc:
            return self._ask_step_up(exc, step_up_action, form) if step_up_action else self._refused(exc)
        return done(principal, result) if done else None

    async def _blocking(self, role: str, run, *args):
        """For background handlers: check the officer, then run a blocking rule `run(principal,
        *args)` in a worker thread. (principal, result, None), or (None, None, the event to yield —
        None after a refusal, which is shown)."""
        async with self:
            principal = self._principal(role)
            if principal is None:
                return None, None, self._exit()
        try:
            return principal, await asyncio.to_thread(run, principal, *args), None
        except Refused as exc:
            async with self:
                self._refused(exc)
            return None, None, None

    def _with_decision_pdf(self, role: str, decision_id, respond):
        """A decision PDF through the socket, never from a public folder; the rule checks who may."""
        principal = self._principal(role)
        if principal is None:
            return self._exit()
        try:
            number, pdf = decisions.pdf_for(principal, to_int(decision_id))
        except Refused as exc:
            return self._refused(exc)
        return respond(number, pdf)

    def _download(self, role: str, decision_id):
        return self._with_decision_pdf(role, decision_id, lambda number, pdf: rx.download(
            data=pdf, filename=f"{number}.pdf", mime_type="application/pdf"))

    def _ask_step_up(self, exc: Refused, action: str, *args):
        """On 'step-up required', ask for the officer's own key, then resume the action."""
        if exc.code != "stepup.required" or action not in STEP_UP_ACTIONS:
            return self._refused(exc)
        principal = self._principal()
        if principal is None:
            return self._exit()
        try:
            self._stepup_challenge, options = stepup.begin(principal)
        except Refused as refusal:
            return self._refused(refusal)
        self._pending_action = {"action": action, "args": list(args)}
        self.error, self.notice, self.busy = "", "此操作需要您本人再次确认：请触碰您的安全密钥并输入 PIN", True
        return rx.call_script(get_script(options), callback=AuthState.finish_step_up)

    @rx.event
    def finish_step_up(self, result: dict):
        self.busy = False
        challenge_id, self._stepup_challenge = self._stepup_challenge, ""
        pending, self._pending_action = self._pending_action, {}
        message = browser_error(result)
        if message:
            self.error, self.notice = message, ""
            return
        principal = self._principal()
        if principal is None:
            return self._exit()
        try:
            stepup.finish(principal, challenge_id, result["response"])
        except Refused as exc:
            return self._refused(exc)
        handler = STEP_UP_ACTIONS.get(pending.get("action"))
        return handler(*pending["args"]) if handler else None

    @rx.event
    def page_loaded(self):
        """First on_load of every page: a reload abandons any ceremony the lost page had open (its
        callback will never come), so no spinner outlives it; the challenge expires unused."""
        self.busy, self._bind_pending = False, False
        self._signin_challenge, self._stepup_challenge, self._pending_action = "", "", {}
        self.error, self.notice = "", ""  # a message belongs to the page it happened on

    @rx.event
    def clear_messages(self):
        self.error, self.notice = "", ""

    @rx.event
    def begin_sign_in(self, form_data: dict):
        self.error, self.notice = "", ""
        staff_no = form_data.get("staff_no") if isinstance(form_data, dict) else None
        try:
            # The address only (behind a proxy: REFLEX_TRUSTED_PROXY_HOPS), never the client's token,
            # which a client changes at will.
            client = self.router.session.client_ip or "unknown"
            self._signin_challenge, options = sessions.begin_sign_in(staff_no, client)
        except Refused as exc:
            return self._refused(exc)
        self.busy = True
        return rx.call_script(get_script(options), callback=AuthState.finish_sign_in)

    @rx.event
    def finish_sign_in(self, result: dict):
        self.busy = False
        challenge_id, self._signin_challenge = self._signin_challenge, ""
        message = browser_error(result)
        if message:
            self.error = message
            return
        try:
            principal = sessions.finish_sign_in(challenge_id, result["response"])
        except Refused as exc:
            return self._refused(exc)
        try:
            ticket = sessions.issue_bind_ticket(principal.session_id)
        except Refused as exc:
            return self._refused(exc)
        self._session_id = principal.session_id
        self.officer_name, self.staff_no, self.roles = principal.name, principal.staff_no, list(principal.roles)
        home = next(path for role, path in HOME_BY_ROLE if role in principal.roles)
        # Not busy: on success the page reloads at once, and a busy flag would outlive it.
        self._bind_pending = True
        return rx.call_script(bind_session_script(ticket, home), callback=AuthState.finish_bind)

    @rx.event
    def finish_bind(self, result: dict):
        """On success the page is already loading the home page; on failure the tab forgets the
        session (unusable without the cookie; its ticket expires unused)."""
        if not self._bind_pending:
            return
        self._bind_pending = False
        if not (isinstance(result, dict) and result.get("ok") is True):
            self._clear()
            self.error = "登录凭据未能保存到本浏览器（请确认浏览器允许本站 Cookie），请重新登录"

    @rx.event
    def sign_out(self):
        sessions.sign_out(self._session_id)
        self._clear()
        self.error, self.notice = "", "已退出登录"
        return rx.redirect("/")
