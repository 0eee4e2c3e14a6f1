"""The working group's roster: officers, their authorizations and keys; register and revoke keys."""

from __future__ import annotations


import reflex as rx

from app.rules import clock, keys, roster
from app.rules.clock import local
from app.rules.errors import Refused
from app.rules.roles import ADMIN, ROLE_NAMES
from app.state.auth import AuthState, to_int
from app.state.webauthn_js import browser_error, create_script

KEY_STATUS = {"active": "有效", "revoked": "已停用", "suspect": "疑似复制，已暂停"}
AUTH_STATE = {"active": "有效", "expired": "已到期", "revoked": "已撤销", "pending": "未生效", "none": "无"}



class RosterState(AuthState):
    _register_challenge: str = ""
    officers: list[dict[str, str]] = []
    keys: list[dict[str, str]] = []

    def _reload(self, principal) -> None:
        today = clock.today()
        self.officers = [{"id": str(o.id), "staff_no": o.staff_no, "name": o.name,
                          "roles": "、".join(ROLE_NAMES[r] for r in o.roles),
                          "authorization": AUTH_STATE[state] + (f"（至 {auth.valid_until}）" if auth else ""),
                          "scope": scope, "keys": str(n_keys)}
                         for o, auth, state, scope, n_keys in roster.officers_overview(principal, today)]
        self.keys = [{"id": str(k.id), "officer": f"{o.name}（{o.staff_no}）", "aaguid": k.aaguid,
                      "status": KEY_STATUS.get(k.status, k.status), "active": "1" if k.status == "active" else "",
                      "registered_at": local(k.registered_at),
                      "bound": f"授权 #{k.authorization_id}" if k.authorization_id else "仅登录",
                      "reason": k.revoke_reason or ""}
                     for k, o in roster.keys_overview(principal)]

    @rx.event
    def load(self):
        self.error = ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self._reload(principal)

    @rx.event
    def begin_register(self, officer_id: str):
        self.error, self.notice = "", ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        try:
            self._register_challenge, options = keys.begin_key_registration(principal, to_int(officer_id))
        except Refused as exc:
            return self._refused(exc)
        self.busy = True
        self.notice = "请本人插入其安全密钥，设置或输入 PIN 并触碰"
        return rx.call_script(create_script(options), callback=RosterState.finish_register)

    @rx.event
    def finish_register(self, result: dict):
        self.busy = False
        challenge_id, self._register_challenge = self._register_challenge, ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        message = browser_error(result)
        if message:
            self.error, self.notice = message, ""
            return
        try:
            key = keys.finish_key_registration(principal, challenge_id, result["response"])
        except Refused as exc:
            return self._refused(exc)
        self._reload(principal)
        holder = next(o for o in self.officers if o["id"] == str(key.officer_id))
        self.notice = f"已为 {holder['name']}（{holder['staff_no']}）登记密钥（编号 {key.id}）"

    @rx.event
    def revoke(self, form_data: dict):
        self.error, self.notice = "", ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        form = form_data if isinstance(form_data, dict) else {}
        try:
            key = keys.revoke_key(principal, to_int(form.get("key_id")), form.get("reason"))
        except Refused as exc:
            return self._refused(exc)
        self.notice = f"密钥 {key.id} 已停用"
        self._reload(principal)
