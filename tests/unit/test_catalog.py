"""The item catalog: exclusion flags, the list, revisions, flowchart, notice, Excel."""

from __future__ import annotations

import random
import resource
import struct
import zipfile
from io import BytesIO
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import func, select

from app.db import transaction
from app.models import Case, Item, ItemRevision
from app.rules.catalog import items as catalog
from app.rules.catalog import excel as catalog_io
from app.rules.counter import cases
from app.rules.counter import decisions
from app.rules.catalog.flowchart import flowchart_svg
from tests import flows

NEW_ITEM = {"code": "370303-SHSW-010", "name": "养犬登记证补办", "category_code": "SCZT", "department_code": "SCZT",
            "item_type": "即办件", "legal_basis": "《淄博市养犬管理条例》第十二条",
            "conditions": "原登记证遗失或损毁\n登记信息未变更", "materials": "补办申请表|1|0|是\n身份证明|0|1|是",
            "statutory_limit_days": "20", "promised_limit_days": "0"}


@pytest.fixture()
def admin(db):
    principal, key = flows.enroll_admin()
    return principal, key


def count(model) -> int:
    with transaction() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_new_item_and_revisions(admin):
    principal, _ = admin
    item = catalog.create_item(principal, NEW_ITEM, "新梳理事项", independent=True)
    assert item.revision == 1 and item.materials[1] == {"name": "身份证明", "originals": 0, "copies": 1,
                                                         "required": True}
    revised = catalog.update_item(principal, item.id, {"promised_limit_days": "0", "fee": "不收费",
                                                       "conditions": "原登记证遗失或损毁"}, "精简条件")
    assert revised.revision == 2
    _, current, revisions = catalog.item_with_revisions(principal, item.id)
    assert [r.revision for r in revisions] == [2, 1] and revisions[0].reason == "精简条件"
    with transaction() as s:
        assert catalog.revision_snapshot(s, item.id, 1)["conditions"] == ["原登记证遗失或损毁", "登记信息未变更"]
    assert current["conditions"] == ["原登记证遗失或损毁"]
    flows.assert_refused(lambda: catalog.update_item(principal, item.id, {"fee": "不收费"}, "无变化"),
                         "item.unchanged", audited=False)


def test_excluded_item_can_never_be_listed(admin):
    principal, _ = admin
    err = flows.assert_refused(lambda: catalog.create_item(principal, {**NEW_ITEM, "excl_hearing": True}, "x",
                                                           independent=True), "item.excluded")
    assert "听证" in err.message
    item = catalog.create_item(principal, {**NEW_ITEM, "excl_interested_parties": True}, "未列入")
    err = flows.assert_refused(lambda: catalog.set_listed(principal, item.id, True, "试图列入"), "item.excluded")
    assert "利害关系人" in err.message
    listed = catalog.create_item(principal, {**NEW_ITEM, "code": "X-2"}, "列入", independent=True)
    flows.assert_refused(lambda: catalog.update_item(principal, listed.id, {"excl_site_inspection": True}, "改"),
                         "item.excluded")


@pytest.mark.parametrize("change, message", [
    ({"promised_limit_days": "30"}, "承诺时限不得超过法定时限"),
    ({"statutory_limit_days": "abc"}, "法定时限"),
    ({"conditions": ""}, "受理条件"),
    ({"materials": "只有名称|0|0|是"}, "原件或复印件至少一份"),
    ({"category_code": "NOPE"}, "审批门类"),
    ({"name": ""}, "事项名称"),
])
def test_bad_item_fields_are_refused_with_the_reason(admin, change, message):
    principal, _ = admin
    err = flows.assert_refused(lambda: catalog.create_item(principal, {**NEW_ITEM, **change}, "x"), "item.invalid")
    assert message in err.message


def test_case_keeps_the_revision_in_force_at_acceptance_and_delisting_stops_counter_and_signing(admin):
    principal, admin_key = admin
    key = flows.register_key(principal, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    case = flows.accept_case(approver)
    request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION)
    item_id = flows.item_id("370303-SCZT-001")
    catalog.update_item(principal, item_id, {"fee": "免费"}, "收费表述统一")
    with transaction() as s:
        assert s.get(Case, case.id).item_revision == 1
    catalog.set_listed(principal, item_id, False, "本季度评估后暂停独立审批")
    assert "370303-SCZT-001" not in {i.code for i in cases.offered_items(approver)}
    flows.assert_refused(lambda: decisions.complete(approver, request.challenge_id, key.get(request.options_json)),
                         "item.not_independent")


def test_flowchart_is_svg_from_the_items_own_data(admin):
    with transaction() as s:
        item = s.exec(select(Item).where(Item.code == "370303-SHSW-002")).one()
    svg = flowchart_svg(item)
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    for expected in ("申请", "受理", "审查", "决定", "送达", "变更事项经理事会审议通过", "承诺 3 个工作日"):
        assert expected in text


def test_public_notice_renders_as_pdf(admin):
    from app.signing.notice import notice_html
    from app.signing.renderer import render_pdf

    with transaction() as s:
        item = s.exec(select(Item).where(Item.code == "370303-SCZT-001")).one()
    html = notice_html(item, "市场主体", "市场准入科")
    for expected in ("设定依据", "受理条件", "申请材料目录", "办理程序", "承诺办结时限", "食品经营许可申请书"):
        assert expected in html
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_excel_round_trip_and_all_or_nothing_import(admin):
    principal, _ = admin
    data = catalog_io.export_xlsx(principal)
    assert catalog_io.import_xlsx(principal, data, "原样导回") == (0, 0)
    wb = load_workbook(BytesIO(data))
    ws = wb.active
    headers = [c.value for c in ws[1]]
    ws.append([{"code": "370303-NEW-001", "name": "新事项", "category_code": "SCZT", "department_code": "SCZT",
                "item_type": "即办件", "legal_basis": "某条例", "conditions": "条件一", "materials": "申请书|1|0|是",
                "statutory_limit_days": 20, "promised_limit_days": 0, "validity_months": 12}.get(field, "否")
               for _, field in catalog_io.COLUMNS])
    ws.cell(row=2, column=headers.index("收费") + 1, value="每件 10 元")
    good = BytesIO()
    wb.save(good)
    assert catalog_io.import_xlsx(principal, good.getvalue(), "新增一项、修订一项") == (1, 1)
    items, revisions = count(Item), count(ItemRevision)
    ws.cell(row=3, column=headers.index("承诺时限（工作日，0=当场办结）") + 1, value=99)
    ws.cell(row=2, column=headers.index("收费") + 1, value="每件 20 元")
    bad = BytesIO()
    wb.save(bad)
    err = flows.assert_refused(lambda: catalog_io.import_xlsx(principal, bad.getvalue(), "有错行"), "import.row",
                               audited=False)
    assert "第 3 行" in err.message and "承诺时限" in err.message
    assert (count(Item), count(ItemRevision)) == (items, revisions)  # row 2's change was not kept either
    flows.assert_refused(lambda: catalog_io.import_xlsx(principal, b"not a workbook", "x"), "import.unreadable",
                         audited=False)


def test_search_filters_and_pages_on_the_server(admin):
    principal, _ = admin
    for n in range(45):
        catalog.create_item(principal, {**NEW_ITEM, "code": f"B-{n:03d}", "name": f"批量事项{n}"}, "批量")
    page = catalog.search(principal, text="批量", page=3, page_size=20)
    assert (page.total, page.pages, page.page, len(page.rows)) == (45, 3, 3, 5)
    assert catalog.search(principal, listed="yes").total == 3
    assert catalog.search(principal, category_code="WHLY").total == 1


FORMULA_TEXTS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def sheet_cells(data: bytes) -> list[ElementTree.Element]:
    with zipfile.ZipFile(BytesIO(data)) as z:
        return list(ElementTree.fromstring(z.read(SHEET)).iter(f"{MAIN}c"))


def test_formula_like_text_is_exported_as_literal_strings_and_round_trips(admin):
    principal, _ = admin
    ids = [catalog.create_item(principal, {**NEW_ITEM, "code": f"F-{n}", "name": text, "legal_basis": text,
                                           "conditions": f"{text}\n第二条", "materials": f"{text}|1|0|是"}, "公式样文字").id
           for n, text in enumerate(FORMULA_TEXTS)]

    def stored():
        with transaction() as s:
            return [(i.name, i.legal_basis, i.conditions, i.materials, i.revision)
                    for i in (s.get(Item, n) for n in ids)]

    before = stored()
    assert before[0][0] == '=HYPERLINK("http://x","y")' and before[3][2][0] == "@SUM(A1)"
    data = catalog_io.export_xlsx(principal)
    cells = sheet_cells(data)
    assert not [c for c in cells if c.find(f"{MAIN}f") is not None]  # no formula anywhere
    texts = {"".join(c.itertext()): c.get("t") for c in cells}
    for name, *_ in before:
        assert texts[name] == "inlineStr"
    ws = load_workbook(BytesIO(data)).active
    quoted = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert len(quoted) >= 4 * len(ids) and all(c.quotePrefix and c.data_type == "s" for c in quoted)
    assert catalog_io.import_xlsx(principal, data, "原样导回") == (0, 0)
    assert stored() == before

    # Tab and CR cannot survive the item form (text is stripped), so put them straight into the store.
    with transaction() as s:
        item = s.get(Item, ids[0])
        item.fee, item.handling_form = "\t=1", "\r=1"
        s.add(item)
    data = catalog_io.export_xlsx(principal)
    assert not [c for c in sheet_cells(data) if c.find(f"{MAIN}f") is not None]
    row = next(r for r in load_workbook(BytesIO(data)).active.iter_rows() if r[0].value == "F-0")
    headers = [h for h, _ in catalog_io.COLUMNS]
    fee, form = row[headers.index("收费")], row[headers.index("办理形式")]
    assert (fee.value, form.value) == ("\t=1", "\r=1") and fee.quotePrefix and form.quotePrefix


def test_a_formula_cell_in_an_upload_is_imported_as_its_text(admin):
    principal, _ = admin
    wb = load_workbook(BytesIO(catalog_io.export_xlsx(principal)))
    ws = wb.active
    fee = ws.cell(row=2, column=[h for h, _ in catalog_io.COLUMNS].index("收费") + 1, value='=HYPERLINK("http://x","y")')
    assert fee.data_type == "f"
    out = BytesIO()
    wb.save(out)
    assert "<f>" in zipfile.ZipFile(out).read(SHEET).decode()
    assert catalog_io.import_xlsx(principal, out.getvalue(), "公式单元格") == (0, 1)
    with transaction() as s:
        assert s.exec(select(Item).where(Item.code == ws.cell(row=2, column=1).value)).one().fee == \
            '=HYPERLINK("http://x","y")'


def shared_string_xlsx(chars: int) -> bytes:
    """A workbook whose A1 is one shared string of `chars` × "A", written to the zip in chunks so
    that building even a 200 MiB cell takes little memory here."""
    wb = Workbook()
    wb.active["A1"] = "P"
    src, out = BytesIO(), BytesIO()
    wb.save(src)
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name in z.namelist():
            part = z.read(name)
            if name == "[Content_Types].xml":
                part = part.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif name == SHEET:
                part = part.replace(b'<c r="A1" t="inlineStr"><is><t>P</t></is></c>', b'<c r="A1" t="s"><v>0</v></c>')
            bomb.writestr(name, part)
        with bomb.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                    b"<si><t>")
            for start in range(0, chars, 1 << 20):
                f.write(b"A" * min(1 << 20, chars - start))
            f.write(b"</t></si></sst>")
    return out.getvalue()


def test_decompression_bomb_is_refused_before_it_is_parsed(admin):
    principal, _ = admin
    assert load_workbook(BytesIO(shared_string_xlsx(10))).active["A1"].value == "A" * 10  # a real workbook
    bomb = shared_string_xlsx(200 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    items = count(Item)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    err = flows.assert_refused(lambda: catalog_io.import_xlsx(principal, bomb, "炸弹"), "import.too_large",
                               audited=False)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 50 * 1024
    assert "解压后超过 20 MB" in err.message and count(Item) == items


def test_a_zip_member_whose_header_understates_its_size_is_stopped(admin):
    principal, _ = admin
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b"A" * (30 * 1024 * 1024))
    data = bytearray(out.getvalue())
    central = zipfile.ZipFile(BytesIO(bytes(data))).start_dir
    for at in (22, central + 24):  # uncompressed size: local header, central directory
        data[at:at + 4] = struct.pack("<I", 1000)
    with zipfile.ZipFile(BytesIO(bytes(data))) as z:
        assert z.getinfo("xl/sharedStrings.xml").file_size == 1000
    items = count(Item)
    flows.assert_refused(lambda: catalog_io.import_xlsx(principal, bytes(data), "谎报大小"), "import.corrupt",
                         audited=False)
    assert count(Item) == items
    # The running cap itself: a member read past its cap is refused as soon as it gets there.
    with zipfile.ZipFile(out) as z, z.open("xl/sharedStrings.xml") as member:
        err = flows.assert_refused(lambda: catalog_io._read_capped(member, 1024 * 1024), "import.too_large",
                                   audited=False)
        assert "解压后超过" in err.message and member.tell() <= 1024 * 1024 + catalog_io.UNZIP_CHUNK_BYTES
    with zipfile.ZipFile(out) as z, z.open("xl/sharedStrings.xml") as member:
        assert catalog_io._read_capped(member, 30 * 1024 * 1024) == 30 * 1024 * 1024


def zip_of(members: dict[str, bytes]) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, part in members.items():
            z.writestr(name, part)
    return out.getvalue()


def encrypted_zip() -> bytes:
    """One member marked encrypted (general-purpose flag bit 0, local header and central directory)."""
    data = bytearray(zip_of({"xl/workbook.xml": b"<x/>"}))
    for at in (6, zipfile.ZipFile(BytesIO(bytes(data))).start_dir + 8):
        data[at] |= 0x1
    return bytes(data)


def with_rows(data: bytes, rows: list[tuple[int, str]]) -> bytes:
    wb = load_workbook(BytesIO(data))
    for number, text in rows:
        wb.active.cell(row=number, column=1, value=text)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("upload, code, message", [
    (lambda data: zip_of({f"part{n}.xml": b"<x/>" for n in range(65)}), "import.too_many_parts", "超过 64 个部件"),
    (lambda data: encrypted_zip(), "import.encrypted", "已加密"),
    (lambda data: with_rows(data, [(n, f"T-{n}") for n in range(2, 5003)]), "import.too_many", "一次最多导入 5000 行"),
    (lambda data: with_rows(data, [(catalog_io.MAX_SHEET_ROWS + 1, "T")]), "import.too_many", "含空行"),
    (lambda data: with_rows(data, [(2, "名" * 5001)]), "import.cell_too_long", "第 2 行有单元格超过 5000 字"),
    (lambda data: random.Random(7).randbytes(4096), "import.unreadable", ".xlsx"),
], ids=["too_many_parts", "encrypted", "too_many_rows", "too_many_sheet_rows", "cell_too_long", "not_a_zip"])
def test_oversized_or_malformed_uploads_are_refused_and_nothing_is_imported(admin, upload, code, message):
    principal, _ = admin
    data = upload(catalog_io.export_xlsx(principal))
    items, revisions = count(Item), count(ItemRevision)
    err = flows.assert_refused(lambda: catalog_io.import_xlsx(principal, data, "超限文件"), code, audited=False)
    assert message in err.message
    assert (count(Item), count(ItemRevision)) == (items, revisions)


def test_guide_rows_read_limits_materials_and_validity_as_people_do():
    from app.rules.catalog.items import validity_text
    from app.signing.notice import guide_materials, guide_rows

    item = {"name": "某事项", "code": "X-1", "item_type": "即办件", "legal_basis": "某条例", "permit_content": "",
            "statutory_limit_days": 0, "promised_limit_days": 0, "validity_months": 0}
    rows = dict(guide_rows(item, "市场主体", "市场准入科"))
    assert rows["法定办结时限"] == rows["承诺办结时限"] == "当场办结"
    assert (rows["许可内容"], rows["许可有效期"], rows["收费"], rows["办理形式"]) == ("—", "不设有效期", "不收费", "窗口办理")
    rows = dict(guide_rows({**item, "statutory_limit_days": 20, "promised_limit_days": 3, "validity_months": 60,
                            "permit_content": "预包装食品销售"}, "市场主体", "市场准入科"))
    assert (rows["法定办结时限"], rows["承诺办结时限"], rows["许可有效期"], rows["许可内容"]) == \
        ("20 个工作日", "3 个工作日", "5 年", "预包装食品销售")
    assert [validity_text(m) for m in (0, 6, 12, 18, 36)] == ["不设有效期", "6 个月", "1 年", "18 个月", "3 年"]
    assert guide_materials([{"name": "申请书", "originals": 1, "copies": 0, "required": True},
                            {"name": "营业执照", "originals": 0, "copies": 2, "required": False}]) == \
        [("申请书", "原件1份", "必需"), ("营业执照", "复印件2份", "可选")]
