"""季度抽查 (auditors): commit the quarter's population, the seed ceremony, the sample per approver,
review of each drawn case, rectifications to closure, redraw. 整改 (approvers): their own open
rectification requests and the report of what was done."""

import reflex as rx

from app.components.layout import for_role, page
from app.rules.supervision import spot_draw
from app.rules.people.roles import APPROVER, AUDITOR
from app.state.auth import AuthState
from app.state.spot_checks import RectificationState, SpotCheckState

NOWRAP = {"white_space": "nowrap"}  # 文号, case numbers, dates and status never wrap
LABEL = {"font-weight": "bold", "font-size": "14px"}


def labelled(label: str, control: rx.Component, for_id: str) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=for_id, style=LABEL), control, spacing="1", width="100%")


def table(headers, rows, row, id_: str) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, style=NOWRAP) for h in headers])),
        rx.table.body(rx.foreach(rows, row)), width="100%", id=id_), width="100%", overflow_x="auto")


def quarter_form() -> rx.Component:
    return rx.form(rx.hstack(
        rx.el.label("季度", html_for="quarter", style=LABEL),
        rx.input(name="quarter", id="quarter", default_value=SpotCheckState.quarter, key=SpotCheckState.quarter,
                 placeholder="如 2026Q3", max_length=6, width="8em"),
        rx.button("查看", type="submit", variant="soft", id="choose-quarter"), align="center", spacing="2"),
        on_submit=SpotCheckState.choose_quarter, reset_on_submit=False)


def commit_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("一、固定抽查总体", size="4"),
        rx.text("总体为本季度（北京时间）作出决定的全部办件（准予、不予许可和不予受理），按审批员工号、决定时间、办件编号排序，"
                "其摘要（SHA-256）在摇号前记入审计日志，之后不能再改动。", size="2"),
        rx.cond(SpotCheckState.can_commit,
                rx.button("固定本季度抽查总体", on_click=SpotCheckState.commit, loading=SpotCheckState.busy, id="commit"),
                rx.text(SpotCheckState.quarter_note, color="gray", id="quarter-note")),
        spacing="3", width="100%"), width="100%")


def population_card() -> rx.Component:
    c = SpotCheckState.check
    return rx.card(rx.vstack(
        rx.hstack(rx.heading("抽查总体", size="4"), rx.badge(c["state_name"], id="check-state"), align="center"),
        rx.cond(c["redraw_reason"] != "", rx.text("重抽理由：", c["redraw_reason"], size="2", id="redraw-reason-shown")),
        rx.text("办件 ", rx.text.strong(c["cases"], id="population-count"), " 件；抽查比例 ", c["rate"],
                "%（每名审批员至少 1 件）；固定于 ", c["committed"], size="2"),
        rx.hstack(rx.text("总体摘要 SHA-256：", size="2", style=NOWRAP), rx.code(c["digest"], id="population-digest"),
                  align="center", wrap="wrap"),
        rx.hstack(rx.button("下载总体文件", on_click=SpotCheckState.download_population, variant="soft", size="2",
                            id="download-population"),
                  rx.cond(c["state"] == "drawn",
                          rx.button("下载抽取结果", on_click=SpotCheckState.download_draw, variant="soft", size="2",
                                    id="download-draw")),
                  redraw_dialog(), spacing="3"),
        rx.text("任何人可用总体文件和随机数复核抽取结果：python -m app.cli spotcheck draw --population 总体文件 --seed 随机数"
                "（方法见 docs/spot-check.md）。", size="1", color="gray"),
        spacing="2", width="100%"), width="100%")


def seed_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("二、摇号：登记随机数", size="4"),
        rx.text(f"总体固定之后，当众掷十面骰（0–9），逐个读出数字并记录，至少 {spot_draw.MIN_SEED_DIGITS} 位（建议 24 位以上）；"
                "可由几个人各掷一段。随机数与总体摘要一起决定样本，登记后不能更改。", size="2"),
        labelled("随机数（十进制数字，可用空格分组）", rx.input(name="seed", id="seed", max_length=300, width="100%",
                                                       auto_complete="off"), "seed"),
        labelled("摇号记录（谁掷骰、谁读数、在场见证人）", rx.text_area(name="note", id="seed-note", max_length=2000,
                                                          width="100%"), "seed-note"),
        rx.button("登记随机数并抽取", type="submit", loading=SpotCheckState.busy, id="draw"),
        spacing="3", width="100%"), on_submit=SpotCheckState.draw, reset_on_submit=False), width="100%")


def redraw_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("重抽", variant="soft", color_scheme="red", size="2", id="redraw-open")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("重抽本季度样本"),
            rx.alert_dialog.description(
                "当前抽取将作废（记录保留，已作的评查和整改不受影响），本季度总体重新固定，须重新摇号登记新的随机数。"
                "重抽及其理由记入审计日志。", size="2"),
            rx.vstack(rx.el.label("重抽理由", html_for="redraw-reason", style=LABEL),
                      rx.text_area(id="redraw-reason", on_change=SpotCheckState.set_redraw_reason, max_length=500,
                                   width="100%"),
                      spacing="1", width="100%", margin_top="12px"),
            rx.flex(rx.alert_dialog.cancel(rx.button("取消", variant="soft", color_scheme="gray", id="redraw-cancel")),
                    rx.alert_dialog.action(rx.button("确认重抽", color_scheme="red", on_click=SpotCheckState.redraw,
                                                     id="redraw-confirm")),
                    spacing="3", margin_top="16px", justify="end")),
        on_open_change=SpotCheckState.redraw_dialog,
    )


def draw_card() -> rx.Component:
    c = SpotCheckState.check
    return rx.card(rx.vstack(
        rx.heading("三、抽取结果", size="4"),
        rx.hstack(rx.text("随机数：", size="2"), rx.code(c["seed"], id="seed-shown"), align="center"),
        rx.text("摇号记录：", c["seed_note"], size="2"),
        rx.text("登记于 ", c["seeded"], "；共抽取 ", c["sample"], " 件", size="2"),
        table(("审批员", "本季度办结", "抽取件数", "抽取的办件"), SpotCheckState.strata, lambda s: rx.table.row(
            rx.table.cell(s["approver"], style=NOWRAP), rx.table.cell(s["count"], style=NOWRAP),
            rx.table.cell(s["n"], style=NOWRAP), rx.table.cell(s["cases"]), id="stratum-" + s["staff_no"]), "strata"),
        spacing="2", width="100%"), width="100%")


def review_dialog(d: dict) -> rx.Component:
    i = d["id"]
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("评查", size="1", id="review-" + i)),
        rx.dialog.content(
            rx.dialog.title("评查：", d["case_no"], "（", d["number"], "）"),
            rx.dialog.description(d["item"], "；", d["approver"], "；", d["outcome"], " ", d["decided"], size="2"),
            rx.form(rx.vstack(
                rx.el.input(type="hidden", name="case_id", value=i),
                rx.text("评查表（符合的打勾，不符合的不勾）", style=LABEL),
                rx.foreach(SpotCheckState.checklist, lambda item: rx.checkbox(
                    item[1], name=item[0], id=item[0] + "-" + i)),
                labelled("评查结论", rx.select.root(
                    rx.select.trigger(placeholder="请选择", id="result-" + i, width="100%"),
                    rx.select.content(rx.foreach(SpotCheckState.results,
                                                 lambda r: rx.select.item(r[1], value=r[0]))),
                    name="result"), "result-" + i),
                labelled("问题说明（瑕疵、错误时必填）", rx.text_area(name="notes", id="notes-" + i, max_length=2000,
                                                           width="100%"), "notes-" + i),
                labelled("整改要求（瑕疵、错误时必填）", rx.text_area(name="request", id="request-" + i, max_length=2000,
                                                           width="100%"), "request-" + i),
                labelled(rx.fragment("整改期限（不填则为 15 个工作日后：", SpotCheckState.default_due, "）"),
                         rx.input(name="due", id="due-" + i, type="date", width="12em"), "due-" + i),
                rx.checkbox("建议依《行政许可法》第六十九条纠正或撤销该决定（仅限结论为错误；另行办理，以新的签署文书作出）",
                            name="propose_correction", id="propose-correction-" + i),
                rx.cond(AuthState.error != "", rx.callout(AuthState.error, color_scheme="red", size="1",
                                                          id="review-error")),
                rx.hstack(rx.dialog.close(rx.button("取消", type="button", variant="soft", color_scheme="gray")),
                          rx.button("提交评查结论", type="submit", id="submit-review-" + i),
                          justify="end", width="100%"),
                spacing="2", width="100%"), on_submit=SpotCheckState.review, reset_on_submit=False),
            max_width="560px"),
        open=SpotCheckState.reviewing == i,
        on_open_change=lambda is_open: SpotCheckState.set_reviewing(i, is_open),
    )


def drawn_table() -> rx.Component:
    return rx.vstack(
        rx.heading("四、逐件评查", size="4"),
        table(("受理编号", "文号", "事项", "审批员", "决定", "决定日期", "评查"), SpotCheckState.drawn, lambda d: rx.table.row(
            rx.table.cell(d["case_no"], style=NOWRAP), rx.table.cell(d["number"], style=NOWRAP),
            rx.table.cell(d["item"]), rx.table.cell(d["approver"], style=NOWRAP),
            rx.table.cell(d["outcome"], style=NOWRAP), rx.table.cell(d["decided"], style=NOWRAP),
            rx.table.cell(rx.cond(d["reviewed"] == "1", rx.text(d["status"], size="2"),
                                  rx.cond(d["own"] == "1", rx.text("本人经办，须回避", color="gray", size="2"),
                                          review_dialog(d))), style=NOWRAP),
            id="drawn-" + d["id"]), "drawn"),
        spacing="2", width="100%")


def close_form(r: dict) -> rx.Component:
    return rx.cond(
        r["statement"] == "", rx.text("待审批员提交整改说明", color="gray", size="2", style=NOWRAP),
        rx.form(rx.vstack(
            rx.el.input(type="hidden", name="review_id", value=r["id"]),
            rx.text_area(name="evidence", id="evidence-" + r["id"], max_length=2000, placeholder="核实的整改证据",
                         aria_label="整改证据", size="1", width="16em"),
            rx.button("结案", size="1", type="submit", id="close-" + r["id"]), spacing="1"),
            on_submit=SpotCheckState.close, reset_on_submit=False))


def rectification_cells(r: dict) -> list[rx.Component]:
    late = r["overdue"] == "1"
    return [rx.table.cell(r["quarter"], style=NOWRAP), rx.table.cell(r["case_no"], style=NOWRAP),
            rx.table.cell(r["number"], style=NOWRAP),
            rx.table.cell(rx.text(r["result"], color=rx.cond(r["result"] == "错误", "red", "orange")), style=NOWRAP),
            rx.table.cell(rx.vstack(rx.text("不符合：", r["failed"], size="2"), rx.text(r["notes"], size="2"),
                                    rx.text("整改要求：", r["request"], size="2"),
                                    rx.cond(r["correction"] != "", rx.text(r["correction"], color="red", size="2")),
                                    spacing="1")),
            rx.table.cell(rx.text(r["due"], color=rx.cond(late, "red", "inherit"),
                                  weight=rx.cond(late, "bold", "regular")), style=NOWRAP)]


def rectifications_table() -> rx.Component:
    return rx.vstack(
        rx.heading("五、未结案的整改", size="4"),
        rx.cond(SpotCheckState.rectifications.length() == 0, rx.text("没有未结案的整改。", color="gray", id="no-open"),
                table(("季度", "受理编号", "文号", "结论", "问题与整改要求", "整改期限", "审批员", "整改说明", "结案"),
                      SpotCheckState.rectifications, lambda r: rx.table.row(
                          *rectification_cells(r), rx.table.cell(r["approver"], style=NOWRAP),
                          rx.table.cell(rx.cond(r["statement"] != "",
                                                rx.vstack(rx.text(r["statement"], size="2"),
                                                          rx.text(r["reported_at"], size="1", color="gray", style=NOWRAP),
                                                          spacing="1"),
                                                rx.text("—", color="gray"))),
                          rx.table.cell(close_form(r)), id="open-" + r["id"]), "open-rectifications")),
        spacing="2", width="100%")


def superseded_table() -> rx.Component:
    return rx.cond(SpotCheckState.superseded.length() > 0, rx.vstack(
        rx.heading("已作废的抽取（重抽前）", size="4"),
        table(("固定时间", "总体摘要", "随机数", "抽取件数", "重抽理由"), SpotCheckState.superseded, lambda s: rx.table.row(
            rx.table.cell(s["committed"], style=NOWRAP), rx.table.cell(rx.code(s["digest"]), style=NOWRAP),
            rx.table.cell(s["seed"], style=NOWRAP), rx.table.cell(s["sample"], style=NOWRAP),
            rx.table.cell(s["reason"]), class_name="superseded-row"), "superseded"),
        spacing="2", width="100%"))


@rx.page(route="/spotchecks", title="季度抽查 · 独立审批系统", on_load=[AuthState.page_loaded, SpotCheckState.load])
def spotchecks() -> rx.Component:
    return page(
        "季度抽查",
        for_role(AUDITOR,
            rx.text("每季度按审批员分别抽取不少于 20% 的已办结办件（至少 1 件）评查。先固定总体并记录摘要，再当众摇号登记随机数，"
                    "样本由二者按公开的方法算出，任何人可以复核，无人能挑选。", size="2"),
            quarter_form(),
            rx.cond(SpotCheckState.check.contains("id"),
                    rx.fragment(population_card(),
                                rx.cond(SpotCheckState.check["state"] == "committed", seed_form(),
                                        rx.fragment(draw_card(), drawn_table()))),
                    commit_card()),
            superseded_table(),
            rectifications_table(),
        ),
    )


@rx.page(route="/rectifications", title="抽查整改 · 独立审批系统",
         on_load=[AuthState.page_loaded, RectificationState.load])
def rectifications() -> rx.Component:
    return page(
        "抽查整改",
        for_role(APPROVER,
            rx.hstack(rx.link("返回审批窗口", href="/counter"), width="100%"),
            rx.text("季度抽查中评查为瑕疵或错误的本人决定。请按整改要求整改后写明整改情况提交，由评查人员核实结案。", size="2"),
            rx.cond(RectificationState.rows.length() == 0, rx.text("没有待整改的事项。", color="gray", id="no-rectifications"),
                    rx.vstack(rx.foreach(RectificationState.rows, lambda r: rx.card(rx.vstack(
                        rx.hstack(rx.text.strong(r["case_no"], style=NOWRAP), rx.text(r["number"], style=NOWRAP),
                                  rx.badge(r["result"], color_scheme=rx.cond(r["result"] == "错误", "red", "orange")),
                                  rx.text(r["quarter"], "季度抽查", size="2", style=NOWRAP), wrap="wrap", align="center"),
                        rx.text(r["item"], size="2"),
                        rx.text("不符合：", r["failed"], size="2"), rx.text("问题：", r["notes"], size="2"),
                        rx.text("整改要求：", r["request"], size="2"),
                        rx.text("整改期限：", rx.text.span(r["due"], color=rx.cond(r["overdue"] == "1", "red", "inherit"),
                                                      style=NOWRAP), size="2"),
                        rx.cond(r["statement"] != "", rx.text("已提交的整改说明（", r["reported_at"], "）：", r["statement"],
                                                              size="2", color="gray")),
                        rx.form(rx.vstack(
                            rx.el.input(type="hidden", name="review_id", value=r["id"]),
                            rx.el.label("整改情况", html_for="statement-" + r["id"], style=LABEL),
                            rx.text_area(name="statement", id="statement-" + r["id"], max_length=2000, width="100%"),
                            rx.button("提交整改说明", type="submit", id="report-" + r["id"]), spacing="1", width="100%"),
                            on_submit=RectificationState.report, reset_on_submit=True, width="100%"),
                        spacing="2", width="100%"), width="100%", id="rectification-" + r["id"])),
                        spacing="3", width="100%", id="rectifications")),
        ),
    )
