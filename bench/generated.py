"""Generated decisions for the search and archive benchmarks: officers, items, keys, cases and
decisions inserted in bulk (COPY on PostgreSQL, executemany on SQLite), never through the signing
path. Deterministic for a seed.

Distributions: decision times over the last three years, working days only (Monday to Friday),
08:30–17:30 Beijing time; ~20 approvers, some busier than others (weights 1–4); ~200 items with a
Zipf-like popularity (weight 1/rank); outcomes 85 % 准予, 10 % 不予, 5 % 不予受理; applicants two thirds
natural persons (two or three characters from common surnames and given names), one third
companies (淄博 + a district or trade word + 有限公司). The payload, signature and key fields are
small placeholders; pdf_sha256 is given by the caller (or a placeholder)."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from sqlalchemy import insert, select, text

from app.db import get_engine
from app.models import Case, Category, Decision, Department, Item, Officer, SecurityKey
from app.rules.calendar import clock

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
WORDS = ["张店", "博山", "临淄", "周村", "淄川", "齐鲁", "鲁中", "华光", "金城", "天成", "恒信", "万达", "宏远", "鑫源",
         "瑞丰", "民生", "新华", "东方", "开元", "泰和", "嘉禾", "永盛", "兴业", "德润"]
TRADES = ["商贸", "餐饮", "食品", "文化传媒", "演艺", "建材", "科技", "物流", "医药", "酒店管理", "教育咨询", "健身"]
OUTCOMES = (("approved", 85), ("refused", 10), ("not_accepted", 5))
PATTERNS = {"approved": "张行审许字〔{year}〕{seq}号", "refused": "张行审不许字〔{year}〕{seq}号",
            "not_accepted": "张行审不受字〔{year}〕{seq}号"}


def applicant(rng: random.Random) -> str:
    if rng.random() < 2 / 3:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return f"淄博{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"


def working_times(rng: random.Random, n: int, years: int = 3) -> list[datetime]:
    """n aware UTC times on weekdays, 08:30–17:30 Beijing, over the last `years` years, sorted."""
    end = clock.today()
    start = end - timedelta(days=365 * years)
    days = [start + timedelta(days=i) for i in range((end - start).days) if (start + timedelta(days=i)).weekday() < 5]
    out = []
    for _ in range(n):
        d = rng.choice(days)
        seconds = 8 * 3600 + 1800 + rng.randrange(9 * 3600)
        local = datetime(d.year, d.month, d.day, tzinfo=clock.BEIJING) + timedelta(seconds=seconds,
                                                                                  microseconds=rng.randrange(10**6))
        out.append(local.astimezone(timezone.utc))
    out.sort()
    return out


def setup_people_and_items(approvers: int = 20, items: int = 200) -> tuple[list[int], list[int], dict[int, int]]:
    """Bulk officers (approvers), items and one key per approver. Returns (approver ids, item ids,
    key id by approver)."""
    engine = get_engine()
    with engine.begin() as conn:
        dep = conn.execute(select(Department.id).order_by(Department.id)).scalars().first()
        cat = conn.execute(select(Category.id).order_by(Category.id)).scalars().first()
        conn.execute(insert(Officer), [
            {"staff_no": f"G{n:03d}", "name": f"审批员{n:03d}", "department_id": dep, "roles": ["approver"],
             "status": "active", "user_handle": hashlib.sha256(f"bench-{n}".encode()).hexdigest()[:32],
             "created_at": datetime.now(timezone.utc)} for n in range(approvers)])
        conn.execute(insert(Item), [
            {"code": f"370303-GEN-{n:03d}", "name": f"生成事项{n:03d}", "category_id": cat, "department_id": dep,
             "item_type": "即办件", "legal_basis": "", "conditions": ["条件"], "materials": [],
             "statutory_limit_days": 20, "promised_limit_days": 0, "fee": "不收费", "permit_content": "",
             "validity_months": 0, "handling_form": "窗口办理", "consult_phone": "", "supervise_phone": "",
             "excl_technical_review": False, "excl_site_inspection": False, "excl_expert_appraisal": False,
             "excl_hearing": False, "excl_interested_parties": False, "excl_major_legal_review": False,
             "independent": True, "revision": 1, "updated_at": datetime.now(timezone.utc)} for n in range(items)])
        approver_ids = list(conn.execute(select(Officer.id).where(Officer.staff_no.like("G%")).order_by(Officer.id)).scalars())
        item_ids = list(conn.execute(select(Item.id).where(Item.code.like("370303-GEN-%")).order_by(Item.id)).scalars())
        conn.execute(insert(SecurityKey), [
            {"officer_id": a, "credential_id": f"bench-key-{a}".encode(), "credential_data": b"", "aaguid": "",
             "attestation_format": "none", "transports": [], "sign_count": 0, "scope_items": [],
             "registered_at": datetime.now(timezone.utc), "status": "active", "attestation_object": b""}
            for a in approver_ids])
        keys = dict(conn.execute(select(SecurityKey.officer_id, SecurityKey.id)
                                 .where(SecurityKey.officer_id.in_(approver_ids))).all())
    return approver_ids, item_ids, keys


def generate(n: int, approver_ids: list[int], item_ids: list[int], keys: dict[int, int], seed: int = 10,
             pdf: Optional[Callable[[int], tuple[str, int]]] = None, report: Callable[[str], None] = print) -> None:
    """n cases, each with its decision. `pdf(i)` gives (sha256, size) of decision i's file."""
    rng = random.Random(seed)
    times = working_times(rng, n)
    approver_weights = [rng.choice((1, 2, 3, 4)) for _ in approver_ids]
    item_weights = [1 / (rank + 1) for rank in range(len(item_ids))]
    outcomes, outcome_weights = zip(*OUTCOMES)
    approvers = rng.choices(approver_ids, approver_weights, k=n)
    items = rng.choices(item_ids, item_weights, k=n)
    results = rng.choices(outcomes, outcome_weights, k=n)
    engine = get_engine()
    with engine.begin() as conn:
        base = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM case_file")).scalar() + 1
        dbase = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM decision")).scalar() + 1
    seqs: dict[tuple[str, int], int] = {}
    case_cols = ["id", "case_no", "item_id", "item_revision", "approver_id", "applicant_name", "applicant_id_type",
                 "applicant_id_encrypted", "applicant_id_masked", "applicant_phone_encrypted", "materials_received",
                 "conditions_met", "no_conflict_declared", "state", "outcome", "created_at", "accepted_at",
                 "decided_at", "correction", "deadline_provisional"]
    decision_cols = ["id", "case_id", "outcome", "document_number", "verification_code", "decided_at", "approver_id",
                     "key_id", "scope_items", "payload", "payload_sha256", "challenge", "credential_id",
                     "authenticator_data", "client_data_json", "signature", "sign_count", "document_sha256",
                     "pdf_sha256", "pdf_size", "created_at"]

    def rows(start: int, stop: int):
        cases, decisions = [], []
        for i in range(start, stop):
            at = times[i]
            local = at.astimezone(clock.BEIJING)
            cid, did = base + i, dbase + i
            outcome = results[i]
            key = (outcome, local.year)
            seqs[key] = seqs.get(key, 0) + 1
            number = PATTERNS[outcome].format(year=local.year, seq=seqs[key])
            sha, size = pdf(i) if pdf else (hashlib.sha256(f"pdf-{did}".encode()).hexdigest(), 71_000)
            accepted = at - timedelta(minutes=rng.randrange(5, 60))
            cases.append((cid, f"SL{local:%Y%m%d}{cid:06d}", items[i], 1, approvers[i], applicant(rng), "居民身份证",
                          b"x", "3703**********001X", b"", "[0]", "[0]", True,
                          "not_accepted" if outcome == "not_accepted" else "decided", outcome, accepted, accepted, at,
                          "[]", False))
            decisions.append((did, cid, outcome, number, f"V{did:015d}", at, approvers[i], keys[approvers[i]], "[]",
                              "{}", "0" * 64, b"c", b"k", b"a", b"j", b"s", i, "0" * 64, sha, size, at))
        return cases, decisions

    chunk = 50_000
    for start in range(0, n, chunk):
        cases, decisions = rows(start, min(n, start + chunk))
        _insert(engine, "case_file", case_cols, cases)
        _insert(engine, "decision", decision_cols, decisions)
        report(f"  {min(n, start + chunk):,} / {n:,} decisions inserted")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE case_file"))
            conn.execute(text("VACUUM ANALYZE decision"))
            for seq_table in ("case_file", "decision"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{seq_table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {seq_table}))"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _insert(engine, table: str, columns: list[str], rows: list[tuple]) -> None:
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        return
    placeholders = ", ".join("?" for _ in columns)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                        [tuple(_sqlite(v) for v in row) for row in rows])
        cur.execute("COMMIT")
    finally:
        raw.close()


def _sqlite(value):
    """SQLModel's UTCDateTime stores naive UTC text on SQLite."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
