"""The working group's roster: officers, authorizations and keys; register, revoke and clear
keys; the key-model (attestation) policy. Every action needs a fresh step-up of the admin."""

from __future__ import annotations

import reflex as rx

from app.db import transaction
from app.rules import authorizations, calendar, catalog, clock, keys, roster
from app.rules.clock import local
from app.rules.errors import Refused
from app.rules.roles import ADMIN, ROLE_NAMES
from app.state.auth import STEP_UP_ACTIONS, AuthState, to_int
from app.state.webauthn_js import browser_error, create_script

KEY_STATUS = {"active": "有效", "revoked": "已停用", "suspect": "计数器异常（疑似被复制），已暂停",
              "authorization_revoked": "已停用（授权已撤销）", "authorization_expired": "已停用（授权已到期）"}
AUTH_STATE = {"active": "有效", "expired": "已到期", "revoked": "已撤销", "pending": "未生效", "renewed": "已续期",
              "none": "无"}


class RosterState(AuthState):
    _register_challenge: str = ""
    officers: list[dict[str, str]] = []
    total: int = 0
    page_no: int = 1
    pages: int = 1
    query: str = ""
    department_filter: str = ""
    role_filter: str = ""
    departments: list[dict[str, str]] = []
    expiring: list[str] = []
    missing_years: list[str] = []
    keys: list[dict[str, str]] = []
    suspects: list[str] = []
    policy_models: list[str] = []
    policy_since: str = ""

    def _reload(self, principal) -> None:
        page = roster.search(principal, self.query, self.department_filter, self.role_filter, self.page_no)
        self.total, self.page_no, self.pages = page.total, page.page, page.pages
        self.officers = [{"id": str(o.id), "staff_no": o.staff_no, "name": o.name,
                          "roles": "、".join(ROLE_NAMES[r] for r in o.roles),
                          "authorization": AUTH_STATE.get(state, state) + (f"（至 {auth.valid_until}）" if auth else ""),
                          "scope": scope, "keys": str(n_keys), "status": "" if o.status == "active" else "已退出"}
                         for o, auth, state, scope, n_keys in page.rows]
        key_rows = roster.keys_overview(principal)
        shown = roster.key_statuses(principal)
        self.keys = [{"id": str(k.id), "officer": f"{o.name}（{o.staff_no}）", "aaguid": k.aaguid,
                      "status": KEY_STATUS.get(shown.get(k.id, k.status), k.status), "state": k.status,
                      "registered_at": local(k.registered_at),
                      "bound": f"授权 #{k.authorization_id}" if k.authorization_id else "仅登录",
                      "reason": k.revoke_reason or ""}
                     for k, o in key_rows]
        self.suspects = [f"{o.name}（{o.staff_no}）的密钥 {k.id}，{local(k.suspect_at) if k.suspect_at else ''}"
                         for k, o in key_rows if k.status == "suspect"]
        self.expiring = [f"{o.name}（{o.staff_no}）授权 #{a.id} 于 {a.valid_until} 到期"
                         for a, o in authorizations.expiring(principal)]
        with transaction() as session:
            self.missing_years = [str(y) for y in calendar.years_needing_data(session, clock.today())]
            cats, deps = catalog.lookups(session)
        self.departments = [{"code": d.code, "name": d.name} for d in deps]
        policy = roster.attestation_policy(principal)
        self.policy_models = list(policy.allowed_aaguids) if policy else []
        self.policy_since = local(policy.created_at) if policy else ""

    @rx.event
    def search(self, form_data: dict):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        form = form_data if isinstance(form_data, dict) else {}
        self.query = str(form.get("query") or "")[:50]
        self.department_filter = str(form.get("department") or "")[:32]
        self.role_filter = form.get("role") if form.get("role") in ROLE_NAMES else ""
        self.page_no = 1
        self._reload(principal)

    @rx.event
    def go_page(self, page: str):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self.page_no = to_int(page) or 1
        self._reload(principal)

    @rx.event
    def add_officer(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: roster.create_officer(
            p, {**f, "roles": [r for r in ROLE_NAMES if f.get(f"role-{r}")]}, f.get("reason")),
            lambda _, officer: rx.redirect(f"/officer?id={officer.id}"), "roster.add_officer")

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
            return self._ask_step_up(exc, "roster.register", officer_id)
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

    def _done(self, message: str):
        def finish(principal, result):
            self._reload(principal)
            self.notice = message.format(result=result)
        return finish

    @rx.event
    def revoke(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: keys.revoke_key(p, to_int(f.get("key_id")), f.get("reason")),
                         self._done("密钥 {result.id} 已停用"), "roster.revoke")

    @rx.event
    def clear_suspect(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: keys.clear_suspect(p, to_int(f.get("key_id")), f.get("reason")),
                         self._done("密钥 {result.id} 已解除暂停"), "roster.clear_suspect")

    @rx.event
    def save_policy(self, form_data: dict):
        """Add one key model (AAGUID + root certificate) to the allow list, or reset to any model."""
        def run(principal, form):
            allowed, roots = roster.policy_with(principal, form.get("aaguid"), form.get("root_pem"),
                                                form.get("mode") == "any")
            keys.set_attestation_policy(principal, allowed, roots, form.get("reason"))
        return self._act(ADMIN, form_data, run, self._done("密钥型号策略已更新"), "roster.policy")


STEP_UP_ACTIONS.update({"roster.add_officer": RosterState.add_officer, "roster.register": RosterState.begin_register, "roster.revoke": RosterState.revoke,
                        "roster.clear_suspect": RosterState.clear_suspect, "roster.policy": RosterState.save_policy})
