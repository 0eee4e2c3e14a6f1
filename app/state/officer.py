"""One officer: roster entry, qualification records and eligibility, authorizations (grant,
renew, revoke — with step-up), keys, and the full history."""

from __future__ import annotations

import reflex as rx

from app.db import transaction
from app.rules.people import authorizations
from app.rules.catalog import items as catalog
from app.rules.people import roster
from app.rules.calendar import clock
from app.rules.calendar.clock import local
from app.rules.errors import Refused
from app.rules.people.roles import ADMIN, ROLE_NAMES
from app.rules.people.scope import authorization_state
from app.state.auth import STEP_UP_ACTIONS, AuthState, to_int
from app.state.roster import AUTH_STATE, KEY_STATUS



class OfficerState(AuthState):
    officer_id: int = 0
    profile: dict[str, str] = {}
    role_codes: list[str] = []
    conditions: list[dict[str, str]] = []
    eligible: bool = False
    records: list[dict[str, str]] = []
    grants: list[dict[str, str]] = []
    officer_keys: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    categories: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []
    # The open dialog, if any: "renew", "widen" or "revoke" (an authorization, in dialog_grant), or "exit".
    dialog: str = ""
    dialog_grant: dict[str, str] = {}

    def _reload(self, principal) -> None:
        officer, department, records, conditions, auths, history = roster.officer_detail(principal, self.officer_id)
        with transaction() as session:
            cats, deps = catalog.lookups(session)
        self.categories = [{"code": c.code, "name": c.name} for c in cats]
        self.departments = [{"code": d.code, "name": d.name} for d in deps]
        self.profile = {"staff_no": officer.staff_no, "name": officer.name, "department": department,
                        "department_code": next((d.code for d in deps if d.id == officer.department_id), ""),
                        "joined_on": officer.joined_on.isoformat() if officer.joined_on else "",
                        "roles": "、".join(ROLE_NAMES[r] for r in officer.roles),
                        "status": "在岗" if officer.status == "active" else "已退出",
                        "active": "1" if officer.status == "active" else ""}
        # The profile form is rebuilt (its defaults re-read) whenever what it shows changes.
        self.profile["form_key"] = "|".join([officer.name, self.profile["department_code"], self.profile["joined_on"],
                                             *officer.roles])
        self.role_codes = list(officer.roles)
        self.conditions = [{"name": c.name, "ok": "1" if c.ok else "", "detail": c.detail} for c in conditions]
        self.eligible = all(c.ok for c in conditions)
        corrected = {r.corrects_id for r in records if r.corrects_id}
        self.records = [{"id": str(r.id), "kind": roster.QUALIFICATION_KINDS[r.kind],
                         "what": (f"{r.year} 年度：{r.grade}" if r.kind == "assessment" else
                                  f"{r.on_date} {r.title}" + (f"（{'通过' if r.passed else '未通过'}"
                                                               f"{'，' + r.score if r.score else ''}）"
                                                               if r.kind == "exam" else "")),
                         "note": r.note, "at": local(r.recorded_at),
                         "status": "已被更正" if r.id in corrected else (f"更正 #{r.corrects_id}" if r.corrects_id else "")}
                        for r in records]
        today = clock.today()
        self.grants = [{"id": str(a.id), "term": f"{a.valid_from} 至 {a.valid_until}",
                        "scope": "、".join([*(f"门类 {c}" for c in a.scope_categories), *a.scope_items]),
                        "state": AUTH_STATE.get(authorization_state(a, today), ""),
                        "open": "1" if authorization_state(a, today) in ("active", "pending") else "",
                        "renewable": "1" if authorization_state(a, today) in ("active", "expired") else "",
                        "reason": a.revoke_reason or a.grant_reason,
                        "pending": "、".join(authorizations.awaiting_widening(principal, a))} for a in auths]
        shown = roster.key_statuses(principal, officer.id)
        self.officer_keys = [{"id": str(k.id), "status": KEY_STATUS.get(shown.get(k.id, k.status), k.status),
                              "bound": f"授权 #{k.authorization_id}" if k.authorization_id else "仅登录",
                              "at": local(k.registered_at)} for k, _ in roster.keys_overview(principal, officer.id)]
        self.history = [{"at": local(at), "what": what, "reason": reason} for at, what, reason in history]

    @rx.event
    def load(self):
        self.error, self.notice = "", ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self.officer_id = to_int(self.router.url.query_parameters.get("id", "")) or 0
        self.dialog, self.dialog_grant = "", {}
        try:
            self._reload(principal)
        except Refused as exc:
            self.officer_id = 0
            self._refused(exc)

    def _officer_act(self, action: str | None, form_data, run, done: str):
        def finish(principal, result):
            self.dialog, self.dialog_grant = "", {}
            self._reload(principal)
            self.notice = done.format(result=result)
        return self._act(ADMIN, form_data, run, finish, action)

    @rx.event
    def ask(self, action: str, authorization_id: str):
        """Open the dialog for "renew", "widen" or "revoke" of an authorization this tab shows, or
        for "exit" (presentation only: the handlers check everything)."""
        if self._principal(ADMIN) is None:
            return self._exit()
        grant = next((g for g in self.grants if g["id"] == authorization_id), None) \
            if isinstance(authorization_id, str) else None
        if action not in ("renew", "widen", "revoke", "exit") or (action != "exit" and grant is None):
            return
        self.error, self.notice, self.dialog, self.dialog_grant = "", "", action, dict(grant or {})

    @rx.event
    def close_dialog(self):
        self.dialog, self.dialog_grant = "", {}

    @rx.event
    def save_profile(self, form_data: dict):
        return self._officer_act("officer.profile", form_data, lambda p, f: roster.update_officer(
            p, self.officer_id, {**f, "staff_no": self.profile.get("staff_no"),
                                 "roles": [r for r in ROLE_NAMES if f.get(f"role-{r}")]}, f.get("reason")),
            "名册信息已更新")

    @rx.event
    def add_record(self, form_data: dict):
        return self._officer_act("officer.record", form_data, lambda p, f: roster.add_qualification(p, self.officer_id, f),
                         "资格记录已登记")

    @rx.event
    def grant(self, form_data: dict):
        return self._officer_act("officer.grant", form_data, lambda p, f: authorizations.grant(
            p, self.officer_id, [c["code"] for c in self.categories if f.get(f"cat-{c['code']}")],
            [s.strip() for s in str(f.get("items") or "").replace("，", ",").split(",") if s.strip()],
            f.get("reason"), f.get("valid_from") or None, f.get("valid_until") or None),
            "已授权（授权 #{result.id}，至 {result.valid_until}）")

    @rx.event
    def renew(self, form_data: dict):
        return self._officer_act("officer.renew", form_data, lambda p, f: authorizations.renew(
            p, to_int(f.get("authorization_id")), f.get("reason")),
            "已续期（授权 #{result.id}，至 {result.valid_until}），密钥已重新绑定")

    @rx.event
    def revoke(self, form_data: dict):
        return self._officer_act("officer.revoke", form_data, lambda p, f: authorizations.revoke(
            p, to_int(f.get("authorization_id")), f.get("reason")), "授权已撤销，绑定的密钥即时停止使用")

    @rx.event
    def confirm_widening(self, form_data: dict):
        return self._officer_act("officer.widen", form_data, lambda p, f: authorizations.confirm_widening(
            p, to_int(f.get("authorization_id")), f.get("reason")),
            "已确认扩大密钥范围，新增事项：{result}")

    @rx.event
    def exit_officer(self, form_data: dict):
        return self._officer_act("officer.exit", form_data, lambda p, f: roster.exit_officer(p, self.officer_id, f.get("reason")),
                         "已办理退出：授权撤销，密钥停用")


STEP_UP_ACTIONS.update({"officer.record": OfficerState.add_record, "officer.profile": OfficerState.save_profile, "officer.widen": OfficerState.confirm_widening,
                        "officer.grant": OfficerState.grant, "officer.renew": OfficerState.renew,
                        "officer.revoke": OfficerState.revoke, "officer.exit": OfficerState.exit_officer})
