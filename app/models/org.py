"""Organisation: departments, categories, items, officers and their authorizations."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Column, UniqueConstraint
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
    item_type: str = Field(default="即办件", max_length=16)  # 办件类型: 即办件 | 承诺件
    legal_basis: str = ""
    conditions: list = json_field()  # 受理条件: one review checklist line each
    materials: list = json_field()  # 申请材料: [{"name", "originals", "copies", "required"}]
    statutory_limit_days: int = 20
    promised_limit_days: int = 0  # 0 = decided on the spot (当场办结)
    fee: str = "不收费"
    permit_content: str = ""  # 许可内容 stated in an approval, where the item has one
    validity_months: int = 0  # the permit's validity period; 0 = none
    handling_form: str = Field(default="窗口办理", max_length=100)  # 办理形式
    consult_phone: str = Field(default="", max_length=50)
    supervise_phone: str = Field(default="", max_length=50)
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
    roles: list = json_field()  # subset of app.rules.people.roles.ROLES
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
    grant_reason: str = ""
    renews_id: Optional[int] = Field(default=None, foreign_key="authorization.id")  # the one it continues
    superseded_at: Optional[datetime] = None  # when a renewal took over
    revoked_at: Optional[datetime] = None
    revoked_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    revoke_reason: Optional[str] = None


class ItemRevision(SQLModel, table=True):
    """Every version of an item, as it was: the catalog's history (三(三))."""

    __tablename__ = "item_revision"
    __table_args__ = (UniqueConstraint("item_id", "revision"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    revision: int
    snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changed_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    changed_at: datetime = Field(default_factory=utcnow)
    reason: str = ""


class OfficerRevision(SQLModel, table=True):
    """Every version of an officer's roster entry (department, roles, status…)."""

    __tablename__ = "officer_revision"

    id: Optional[int] = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changed_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    changed_at: datetime = Field(default_factory=utcnow)
    reason: str = ""


class Qualification(SQLModel, table=True):
    """资格记录 (四): routine assessment per year, training attended, special exam taken.
    A correction is a new record that names the one it corrects."""

    id: Optional[int] = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    kind: str = Field(max_length=16)  # assessment | training | exam
    year: Optional[int] = None  # assessment year
    grade: Optional[str] = Field(default=None, max_length=16)  # 优秀 称职 基本称职 不称职
    on_date: Optional[date] = None  # training or exam date
    title: str = Field(default="", max_length=200)
    passed: Optional[bool] = None
    score: Optional[str] = Field(default=None, max_length=32)
    corrects_id: Optional[int] = Field(default=None, foreign_key="qualification.id")
    recorded_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    recorded_at: datetime = Field(default_factory=utcnow)
    note: str = ""


class CalendarEntry(SQLModel, table=True):
    """An admin's entry in the holiday table: a holiday, a make-up working day (调休), or the
    withdrawal of an earlier entry. The newest entry for a day wins; nothing is deleted."""

    __tablename__ = "calendar_entry"

    id: Optional[int] = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    kind: str = Field(max_length=16)  # holiday | workday | withdrawn
    name: str = Field(default="", max_length=50)
    created_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    created_at: datetime = Field(default_factory=utcnow)
    reason: str = ""


class CalendarYear(SQLModel, table=True):
    """An admin's statement that a year's official schedule has been entered in full."""

    __tablename__ = "calendar_year"

    id: Optional[int] = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    created_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    created_at: datetime = Field(default_factory=utcnow)
    note: str = ""
