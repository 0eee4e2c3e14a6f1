"""Roles and what they may do. One personal account per officer; an approver's account is for nothing else (六(二))."""

from app.rules.errors import refuse

APPROVER = "approver"
ADMIN = "admin"
AUDITOR = "auditor"
ROLES = (APPROVER, ADMIN, AUDITOR)
ROLE_NAMES = {APPROVER: "独立审批员", ADMIN: "工作组管理员", AUDITOR: "评查人员"}

def validate_roles(roles: list[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise refuse("roles.empty", "至少需要一个角色")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise refuse("roles.unknown", f"未知角色：{'、'.join(unknown)}")
    if APPROVER in roles and len(roles) > 1:
        raise refuse("roles.approver_exclusive", "独立审批员的审批账号不得与其他业务账号混用")
    return roles
