"""Organisation: departments, categories, items, officers and their authorizations."""

from datetime import date, datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from app.models.base import json_field, utcnow


class Department(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=100)


class Category(SQLModel, table=True):
    """审批门类: authorizations are granted per category (三(二))."""

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=100)


class Item(SQLModel, table=True):
    """事项, with the implementation-list fields and the regulation's exclusion flags."""

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    category_id: int = Field(foreign_key="category.id")
    department_id: int = Field(foreign_key="department.id")
    item_type: str = Field(default="即办件", max_length=16)
    legal_basis: str = ""
    conditions: list = json_field()  # 受理条件: one review checklist line each
    materials: list = json_field()  # 申请材料: [{"name", "form", "required"}]
    statutory_limit_days: int = 20
    promised_limit_days: int = 0  # 0 = decided on the spot (当场办结)
    fee: str = "不收费"
    excl_technical_review: bool = False
    excl_site_inspection: bool = False
    excl_expert_appraisal: bool = False
    excl_hearing: bool = False
    excl_interested_parties: bool = False
    excl_major_legal_review: bool = False
    independent: bool = False  # on the independent-approval list
    revision: int = 1
    updated_at: datetime = Field(default_factory=utcnow)


class Officer(SQLModel, table=True):
    """工作人员: one personal account each (六(二))."""

    id: Optional[int] = Field(default=None, primary_key=True)
    staff_no: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=50)
    department_id: Optional[int] = Field(default=None, foreign_key="department.id")
    joined_on: Optional[date] = None
    roles: list = json_field()  # subset of app.rules.roles.ROLES
    status: str = Field(default="active", max_length=16)  # active | exited
    user_handle: str = Field(unique=True, max_length=64)  # WebAuthn user.id, random hex
    created_at: datetime = Field(default_factory=utcnow)


class Authorization(SQLModel, table=True):
    """授权: scope = categories and/or items, one-year term (五). Revocation is recorded, never deleted."""

    id: Optional[int] = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    scope_categories: list = json_field()  # category codes
    scope_items: list = json_field()  # item codes
    valid_from: date
    valid_until: date  # last day on which the authorization is in force
    granted_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    granted_at: datetime = Field(default_factory=utcnow)
    revoked_at: Optional[datetime] = None
    revoked_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    revoke_reason: Optional[str] = None
