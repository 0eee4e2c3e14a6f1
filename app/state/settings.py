"""System settings (admins): the key-model (attestation) policy, and the runtime parameters read
from the environment (shown, never edited here). Every change needs a fresh step-up."""

from __future__ import annotations

import reflex as rx

from app.config import settings
from app.rules.people import keys
from app.rules.people import roster
from app.rules.calendar.clock import local
from app.rules.people.roles import ADMIN
from app.state.auth import STEP_UP_ACTIONS, AuthState

# What the page shows of the environment: names the bureau chose, time limits. Never paths,
# database URLs or secrets.
PARAMETERS = (
    ("发文机关", "APP_ORGAN_NAME", lambda: settings.organ_name),
    ("行政复议机关", "APP_RECONSIDERATION_BODY", lambda: settings.reconsideration_body),
    ("准予决定文号格式", "APP_DOC_NUMBER_PATTERN", lambda: settings.doc_number_pattern),
    ("不予决定文号格式", "APP_REFUSAL_NUMBER_PATTERN", lambda: settings.refusal_number_pattern),
    ("系统地址", "APP_ORIGIN", lambda: settings.origin),
    ("登录空闲超时", "APP_SESSION_IDLE_MINUTES", lambda: f"{settings.session_idle_minutes} 分钟"),
    ("登录最长时间", "APP_SESSION_MAX_HOURS", lambda: f"{settings.session_max_hours} 小时"),
    ("管理操作再次确认有效期", "APP_STEP_UP_MINUTES", lambda: f"{settings.step_up_minutes} 分钟"),
    ("首位管理员注册链接有效期", "APP_ENROLLMENT_TTL_HOURS", lambda: f"{settings.enrollment_ttl_hours} 小时"),
)


class SettingsState(AuthState):
    policy_models: list[str] = []
    policy_since: str = ""
    policy_reason: str = ""
    parameters: list[dict[str, str]] = []
    confirm_reset: bool = False

    def _reload(self, principal) -> None:
        policy = roster.attestation_policy(principal)
        self.policy_models = list(policy.allowed_aaguids) if policy else []
        self.policy_since = local(policy.created_at) if policy else ""
        self.policy_reason = policy.reason if policy else ""
        self.parameters = [{"label": label, "name": name, "value": value()} for label, name, value in PARAMETERS]

    @rx.event
    def load(self):
        self.error, self.notice = "", ""
        self.confirm_reset = False
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self._reload(principal)

    def _done(self, message: str):
        def finish(principal, _result):
            self.confirm_reset = False
            self._reload(principal)
            self.notice = message
        return finish

    @rx.event
    def save_policy(self, form_data: dict):
        """Add one key model (AAGUID + root certificate) to the allow list, or reset to any model."""
        def run(principal, form):
            allowed, roots = roster.policy_with(principal, form.get("aaguid"), form.get("root_pem"),
                                                form.get("mode") == "any")
            keys.set_attestation_policy(principal, allowed, roots, form.get("reason"))
        return self._act(ADMIN, form_data, run, self._done("密钥型号策略已更新"), "settings.policy")

    @rx.event
    def ask_reset(self):
        """Open the confirmation (presentation only: save_policy checks everything)."""
        if self._principal(ADMIN) is None:
            return self._exit()
        self.error, self.notice, self.confirm_reset = "", "", True

    @rx.event
    def close_reset(self):
        self.confirm_reset = False


STEP_UP_ACTIONS.update({"settings.policy": SettingsState.save_policy})
