"""The first admin's one-time enrollment link."""

from __future__ import annotations

import reflex as rx

from app.rules.people import keys
from app.rules.errors import Refused
from app.state.auth import AuthState
from app.state.webauthn_js import browser_error, create_script


class EnrollState(AuthState):
    _token: str = ""
    _enroll_challenge: str = ""
    enrolled: bool = False

    @rx.event
    def load(self):
        self._token = self.router.url.query_parameters.get("token", "")
        self.enrolled, self.error, self.notice = False, "", ""

    @rx.event
    def begin(self):
        self.error = ""
        try:
            self._enroll_challenge, options, name = keys.begin_enrollment(self._token)
        except Refused as exc:
            return self._refused(exc)
        self.busy = True
        self.notice = f"为 {name} 注册安全密钥：请插入密钥，按提示设置或输入 PIN 并触碰"
        return rx.call_script(create_script(options), callback=EnrollState.finish)

    @rx.event
    def finish(self, result: dict):
        self.busy = False
        challenge_id, self._enroll_challenge = self._enroll_challenge, ""
        message = browser_error(result)
        if message:
            self.error, self.notice = message, ""
            return
        try:
            officer = keys.finish_enrollment(self._token, challenge_id, result["response"])
        except Refused as exc:
            return self._refused(exc)
        self.enrolled = True
        self.notice = f"{officer.name} 的安全密钥已注册，请用它登录"
