"""Public verification by code and by PDF, including the bureau's records at signing time."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import Authorization
from app.rules import personal_data
from app.rules.people import authorizations
from app.rules.counter import decisions
from app.rules.counter import verification
from tests import flows


@pytest.fixture()
def signed(db):
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    decision = flows.sign_case(approver, key, flows.accept_case(approver))
    return admin, admin_key, decision


def test_by_code_shows_the_public_record(signed):
    _, _, decision = signed
    record = verification.by_code(decision.verification_code.lower())
    assert record.document_number == decision.document_number and record.approver == "张晓梅"
    assert "11010519" not in str(record)  # no ID number
    # A natural person's name is masked as the ID number is (issue 7.13); legal persons keep theirs.
    assert record.applicant == "淄*********店"
    assert personal_data.public_name("张晓梅", "居民身份证") == "张*梅"
    assert personal_data.public_name("李四", "护照") == "李*"
    assert personal_data.public_name("淄博市示例餐饮有限公司", "统一社会信用代码") == "淄博市示例餐饮有限公司"
    flows.assert_refused(lambda: verification.by_code("0000000000000000"), "verify.unknown_code", audited=False)
    flows.assert_refused(lambda: verification.by_code("<script>"), "verify.bad_code", audited=False)


def test_pdf_is_valid_and_stays_valid_after_a_later_revocation(signed):
    admin, admin_key, decision = signed
    pdf = decisions.read_pdf(decision)
    result = verification.check_pdf(pdf)
    assert result.valid and all(c.ok for c in result.checks), [c for c in result.checks if not c.ok]
    assert result.record.document_number == decision.document_number
    assert result.headline.startswith("有效：准予行政许可决定书") and "张晓梅" in result.headline
    with transaction() as s:
        auth = s.exec(select(Authorization).where(Authorization.id == decision.authorization_id)).one()
    flows.step_up(admin, admin_key)
    authorizations.revoke(admin, auth.id, "次年调岗")  # publishes a CRL naming the key's certificate
    later = verification.check_pdf(pdf)
    assert later.valid  # lifetime: it was in scope, and the key not revoked, when it was signed
    assert any(c.name == "签署时密钥未被撤销" and "签署后" in c.detail for c in later.checks)


def test_tampered_or_foreign_pdfs_fail(signed):
    _, _, decision = signed
    pdf = bytearray(decisions.read_pdf(decision))
    pdf[len(pdf) // 5] ^= 0x01
    result = verification.check_pdf(bytes(pdf))
    failed = {c.name for c in result.checks if not c.ok}
    assert not result.valid and result.headline.startswith("无效")
    assert "决定书正文未被改动" in failed and "文件与登记的决定书一致" in failed
    flows.assert_refused(lambda: verification.check_pdf(b"%PDF-1.7\n%%EOF"), "verify.no_evidence", audited=False)
    flows.assert_refused(lambda: verification.check_pdf(b"hello"), "verify.not_pdf", audited=False)
