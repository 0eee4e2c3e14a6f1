"""The working group's path in a real browser: add an item, put it on the list, add and qualify
an officer, grant an authorization covering the item (with step-up), register the officer's key;
the item is offered at that officer's counter; taken off the list, it is gone and signing refused."""

from __future__ import annotations

import pytest

from tests.browser.steps import (accept_case, choose, enroll_first_admin, register_key_for, review_and_sign, sign_in,
                                 sign_out)

pytestmark = pytest.mark.browser
CODE = "370303-SHSW-077"


def test_item_to_counter_and_back(key_browser, tmp_path):
    page, origin = key_browser.page, key_browser.origin
    enroll_first_admin(page, origin)
    sign_in(page, origin, "A001", "/roster")

    # A new item (in the new-item dialog), then onto the independent list.
    page.goto(origin + "/catalog")
    page.wait_for_selector("#items >> text=370303-SCZT-001")
    page.click("#open-new-item")
    page.fill("#new-code", CODE)
    page.fill("#new-name", "社会团体负责人备案")
    choose(page, "#new-category", "社会事务")
    choose(page, "#new-department", "社会事务科")
    page.fill("#new-legal_basis", "《社会团体登记管理条例》第十八条")
    page.fill("#new-conditions", "负责人已依章程产生\n负责人无不良信用记录")
    page.fill("#new-materials", "备案表|1|0|是\n负责人身份证明|0|1|是")
    page.fill("#new-reason", "工作组会议决定新增")
    page.click("#create-item")
    page.wait_for_url("**/item?id=*")
    page.wait_for_selector("#flowchart svg")
    assert "负责人已依章程产生" in page.inner_text("#flowchart")
    page.click("#tab-listing")
    choose(page, "#listing", "列入独立审批清单")
    page.fill("#listing-reason", "流程简单、风险较低，列入清单")
    page.click("#set-listed")
    page.wait_for_selector("#listed:has-text('在独立审批清单内')")

    # The catalog goes out as Excel and comes back unchanged.
    page.goto(origin + "/catalog")
    page.wait_for_selector(f"#items >> text={CODE}")
    with page.expect_download() as download:
        page.click("#export")
    workbook = tmp_path / "catalog.xlsx"
    download.value.save_as(workbook)
    page.set_input_files("#import-file", str(workbook))
    page.fill("#import-reason", "核对导出文件")
    page.click("#import")
    page.wait_for_selector("#notice:has-text('导入完成：新增 0 项，修订 0 项')")

    # A new officer (in the new-officer dialog), qualified per 四, authorized for the new item.
    page.goto(origin + "/roster")
    page.wait_for_selector("#officers >> text=S001")
    page.click("#open-add-officer")
    page.fill("#new-staff-no", "S077")
    page.fill("#new-name", "孙丽")
    choose(page, "#new-department", "社会事务科")
    page.fill("#new-joined", "2019-09-01")
    page.check("#new-role-approver")
    page.fill("#new-officer-reason", "补充独立审批员队伍")
    page.click("#add-officer")
    page.wait_for_url("**/officer?id=*")
    page.wait_for_selector("#eligibility:has-text('不符合')")
    from app.rules.calendar import clock

    today = clock.today()
    for n, (kind, extra) in enumerate((("年度考核", {"#q-year": str(today.year - 1)}),
                        ("业务培训", {"#q-date": today.isoformat(), "#q-title": "业务培训"}),
                        ("专门考试", {"#q-date": today.isoformat(), "#q-title": "独立审批员专门考试"})), start=1):
        choose(page, "#q-kind", kind)
        for selector, value in extra.items():
            page.fill(selector, value)
        if kind == "年度考核":
            choose(page, "#q-grade", "优秀")
        if kind == "专门考试":
            choose(page, "#q-passed", "通过")
        page.click("#add-record")
        page.wait_for_selector(f"#records tbody tr:nth-child({n})")
    page.wait_for_selector("#eligibility:has-text('符合全部条件')")
    page.fill("#grant-items", CODE)
    page.fill("#grant-reason", "工作组会议纪要第 7 号")
    page.click("#grant")  # step-up first (the admin's key), then the grant resumes
    page.wait_for_selector("#notice:has-text('已授权')")
    page.goto(origin + "/roster")
    register_key_for(page, "S077")
    sign_out(page)

    # The new item is offered at S077's counter; a case is accepted.
    sign_in(page, origin, "S077", "/counter")
    accept_case(page, CODE, "张店区某某协会")
    sign_out(page)

    # Taken off the list: gone from the counter, and the accepted case cannot be signed.
    sign_in(page, origin, "A001", "/roster")
    page.goto(origin + "/catalog")
    page.click(f"#items >> text={CODE}")
    page.wait_for_url("**/item?id=*")
    page.wait_for_selector("#listed:has-text('在独立审批清单内')")
    page.click("#tab-listing")
    choose(page, "#listing", "移出独立审批清单")
    page.fill("#listing-reason", "发现需现场核查，暂停独立审批")
    page.click("#set-listed")
    page.wait_for_selector("#listed:has-text('不在清单内')")
    sign_out(page)
    sign_in(page, origin, "S077", "/counter")
    page.wait_for_selector("text=张店区某某协会")
    assert not any(CODE in o for o in page.locator("#item option").all_inner_texts())
    page.click("text=打开")
    review_and_sign(page)
    page.wait_for_selector("#error:has-text('已不在独立审批事项清单内')", timeout=60000)
