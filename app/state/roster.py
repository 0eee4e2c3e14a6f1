"""The working group's roster: officers, authorizations and keys; add officers; register, revoke
and clear keys. Every action needs a fresh step-up of the admin. (The key-model policy is on the
settings page, app/state/settings.py.)"""

from __future__ import annotations

import reflex as rx

from app.components.controls import ANY
from app.db import transaction
from app.rules.people import authorizations
from app.rules.calendar import holidays as calendar
from app.rules.catalog import items as catalog
from app.rules.calendar import clock
from app.rules.people import keys
from app.rules.people import roster
from app.rules.calendar.clock import local
from app.rules.errors import Refused
from app.rules.people.roles import ADMIN, ROLE_NAMES
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
    # The open dialog, if any: "add" (new officer), "revoke" or "clear" (a key, named in confirm_key).
    dialog: str = ""
    confirm_key: dict[str, str] = {}

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

    @rx.event
    def search(self, form_data: dict):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        form = form_data if isinstance(form_data, dict) else {}
        self.query = str(form.get("query") or "")[:50]
        department = str(form.get("department") or "")[:32]
        self.department_filter = "" if department == ANY else department
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
        def done(_, officer):
            self.dialog = ""
            return rx.redirect(f"/officer?id={officer.id}")
        return self._act(ADMIN, form_data, lambda p, f: roster.create_officer(
            p, {**f, "roles": [r for r in ROLE_NAMES if f.get(f"role-{r}")]}, f.get("reason")),
            done, "roster.add_officer")

    @rx.event
    def open_add(self):
        """Open the new-officer dialog (presentation only: add_officer checks everything)."""
        if self._principal(ADMIN) is None:
            return self._exit()
        self.error, self.notice, self.dialog, self.confirm_key = "", "", "add", {}

    @rx.event
    def ask_key_action(self, action: str, key_id: str):
        """Open the confirmation for "revoke" or "clear" naming the key and its holder, as this
        tab last loaded them (presentation only: revoke and clear_suspect check everything)."""
        if self._principal(ADMIN) is None:
            return self._exit()
        key = next((k for k in self.keys if k["id"] == key_id), None) if isinstance(key_id, str) else None
        if action not in ("revoke", "clear") or key is None:
            return
        self.error, self.notice, self.dialog, self.confirm_key = "", "", action, dict(key)

    @rx.event
    def close_dialog(self):
        self.dialog, self.confirm_key = "", {}

    @rx.event
    def load(self):
        self.error, self.notice = "", ""
        self.dialog, self.confirm_key = "", {}
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
            self.dialog, self.confirm_key = "", {}
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


STEP_UP_ACTIONS.update({"roster.add_officer": RosterState.add_officer, "roster.register": RosterState.begin_register,
                        "roster.revoke": RosterState.revoke,
                        "roster.clear_suspect": RosterState.clear_suspect})
