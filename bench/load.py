"""Load: K approvers at their counters and A admins paging through lists, speaking the app's real
event protocol over websockets (Socket.IO frames, as the page's JavaScript sends them), with
software keys answering every key prompt. Loopback only; bounded in decisions and in time.

Each approver signs in (key prompt → assertion → bind ticket → POST /api/session → the socket
reconnects with the session cookie, as the page does), then until the budget is spent: opens the
counter, picks the item, accepts a case, clicks 签署 (→ the key prompt), touches the key (→ the
signed decision stored) and downloads the PDF. Admins sign in and page the catalog and the roster.

  # SQLite, one worker (started here on 127.0.0.1:3133 with a fresh data folder):
  .venv/bin/python bench/load.py --officers 50 --decisions 500
  # PostgreSQL + Redis, two workers (scripts/production.sh worker 1 and 2, on 3133 and 3134):
  .venv/bin/python bench/load.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/load_bench \\
      --redis-url redis://127.0.0.1:6379/5 --workers 2 --officers 50 --decisions 500

The database named by --db-url has its schema dropped; the Redis database is emptied. Officers
come from their own addresses (X-Forwarded-For, the workers trusting one proxy hop, as behind
nginx), so sign-in limits per address apply per officer. LOAD_DEBUG=1 prints every frame received.
Not a test: its figures go in the README, measured on a quiet machine."""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LOOPBACK = ("127.0.0.1", "localhost", "::1")


# --- measurements --------------------------------------------------------------------------------

@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    decided: list[float] = field(default_factory=list)  # monotonic time of each stored decision

    def add(self, name: str, ms: float) -> None:
        self.times[name].append(ms)

    def error(self, what: str) -> None:
        self.errors[what[:120]] += 1


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(len(ordered) * p)) - 1))] if ordered else float("nan")


# --- the protocol --------------------------------------------------------------------------------

class Tab:
    """One browser tab: a token, a websocket to one worker, the session cookie once bound."""

    def __init__(self, base: str, origin: str, address: str, states: dict[str, str], stats: Stats):
        self.base, self.origin, self.address, self.states, self.stats = base, origin, address, states, stats
        self.token = str(uuid.uuid4())
        self.cookie = ""
        self.ws = None
        self.http = None
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.reader: asyncio.Task | None = None

    async def connect(self) -> None:
        import aiohttp

        if self.http is None:
            self.http = aiohttp.ClientSession()
        url = self.base.replace("http", "ws", 1) + f"/_event/?EIO=4&transport=websocket&token={self.token}"
        headers = {"Origin": self.origin, "X-Forwarded-For": self.address}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.ws = await self.http.ws_connect(url, protocols=[importlib.metadata.version("reflex")], headers=headers,
                                             max_msg_size=8 * 1024 * 1024)
        first = await self.ws.receive(timeout=30)
        assert first.data.startswith("0"), first.data
        await self.ws.send_str("40/_event,")
        self.inbox = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())
        await self._wait(lambda m: m.startswith("40/_event,"), 30)

    async def _read(self) -> None:
        import aiohttp

        while True:
            message = await self.ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                await self.inbox.put(None)
                return
            if message.data == "2":
                await self.ws.send_str("3")
                continue
            await self.inbox.put(message.data)

    async def _wait(self, done, timeout: float) -> list[str]:
        seen, deadline = [], time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply in time")
            message = await asyncio.wait_for(self.inbox.get(), remaining)
            if message is None:
                raise ConnectionError("socket closed")
            seen.append(message)
            if os.environ.get("LOAD_DEBUG"):
                print("<<", message[:150], "…", message[-150:], flush=True)
            if done(message):
                return seen

    async def close(self) -> None:
        if self.reader:
            self.reader.cancel()
        if self.ws is not None:
            await self.ws.close()

    async def event(self, state: str, handler: str, payload: dict, until=None, timeout: float = 60,
                    label: str | None = None, path: str = "/counter") -> list[str]:
        """Send one event; wait for `until(message)` (default: the update marked final)."""
        event = {"name": f"{self.states[state]}.{handler}", "payload": payload,
                 "router_data": {"pathname": path, "query": {}}}
        while not self.inbox.empty():  # late updates of the previous event
            if self.inbox.get_nowait() is None:
                raise ConnectionError("socket closed")
        start = time.perf_counter()
        await self.ws.send_str("42/_event," + json.dumps(["event", event]))
        # Reflex 0.10 marks no last update: a handler is done when its state's delta arrives (or
        # the marker the caller names: the key prompt, the stored decision, the PDF), or a refusal.
        target = f'"{self.states[state]}":'
        done = until or (lambda m: target in m)
        seen = await self._wait(lambda m: done(m) or REFUSAL.search(m) is not None, timeout)
        self.stats.add(label or handler, (time.perf_counter() - start) * 1000)
        for message in seen:
            refusal = REFUSAL.search(message)
            if refusal:
                raise Refusal(json.loads(f'"{refusal.group(1)}"'))
        return seen


class Refusal(Exception):
    pass


REFUSAL = re.compile(r'"error_rx_state_":"([^"]+)"')


def _script(seen: list[str], marker: str) -> str:
    for message in seen:
        if marker in message:
            body = json.loads(message[len("42/_event,"):])[1]
            for event in (body if isinstance(body, dict) else json.loads(body)).get("events", []):
                code = json.dumps(event)
                if marker in code:
                    return event["payload"].get("javascript_code") or code
    raise ValueError(f"no {marker!r} in the replies")


def _options(seen: list[str]) -> str:
    code = _script(seen, "const options = ")
    return code.split("const options = ", 1)[1].split(";\n", 1)[0]


async def sign_in(tab: Tab, staff_no: str, key) -> None:
    """As the page: begin, the key answers, the bind ticket traded for the cookie, reconnect."""
    await tab.connect()
    seen = await tab.event("auth", "begin_sign_in", {"form_data": {"staff_no": staff_no}},
                           until=lambda m: "const options = " in m, label="sign-in: key prompt", path="/")
    result = {"ok": True, "response": key.get(_options(seen))}
    seen = await tab.event("auth", "finish_sign_in", {"result": result}, until=lambda m: "/api/session" in m,
                           label="sign-in: verified", path="/")
    ticket = json.loads(re.search(r'body: ("[^"]+")', _script(seen, "/api/session")).group(1))
    async with tab.http.post(f"{tab.base}/api/session", data=ticket,
                             headers={"Origin": tab.origin, "X-Forwarded-For": tab.address,
                                      "Content-Type": "text/plain"}) as response:
        if response.status != 204:
            raise Refusal(f"session bind {response.status}")
        tab.cookie = response.headers["set-cookie"].split(";", 1)[0]
    await tab.close()
    await asyncio.sleep(0.2)  # the server forgets the old socket before the same token reconnects
    await tab.connect()


async def approver(n: int, tab: Tab, key, item: dict, budget: "Budget", stats: Stats, think: float) -> None:
    await sign_in(tab, f"L{n:03d}", key)
    form = {"applicant_name": f"淄博市张店区压测{n}号店", "id_type": "居民身份证", "id_number": "11010519491231002X",
            "no_conflict": "on", **{f"material-{i}": "on" for i in range(item["materials"])}}
    sign_form = {"opinion": "经审查，申请材料齐全、符合法定形式，符合各项条件，同意准予许可。",
                 **{f"condition-{i}": "on" for i in range(item["conditions"])}}
    while budget.take():
        try:
            await tab.event("counter", "load", {}, label="counter: open")
            await tab.event("counter", "select_item", {"value": str(item["id"])}, label="counter: choose item")
            await tab.event("counter", "accept", {"form_data": form}, label="counter: accept")
            await asyncio.sleep(think)
            seen = await tab.event("counter", "start_signing", {"form_data": sign_form},
                                   until=lambda m: "const options = " in m, label="click 签署 → key prompt")
            result = {"ok": True, "response": key.get(_options(seen))}
            seen = await tab.event("counter", "finish_signing", {"result": result},
                                   until=lambda m: "已签署" in m, label="touch → decision stored", timeout=120)
            stats.decided.append(time.monotonic())
            decision_id = re.search(r'"decision_id_rx_state_":(\d+)', "".join(seen))
            if decision_id:
                seen = await tab.event("counter", "download", {"decision_id": decision_id.group(1)},
                                       until=lambda m: "application/pdf" in m, label="download PDF")
            else:
                stats.error("no decision id after signing")
            await asyncio.sleep(think)
        except Refusal as exc:
            stats.error(f"refused: {exc}")
        except (TimeoutError, asyncio.TimeoutError, ConnectionError, ValueError) as exc:
            stats.error(f"{type(exc).__name__}: {exc}")
            if isinstance(exc, ConnectionError):
                return


async def admin(n: int, tab: Tab, key, stop: asyncio.Event, stats: Stats, think: float) -> None:
    await sign_in(tab, f"M{n:03d}", key)
    page = 0
    while not stop.is_set():
        try:
            page = page % 5 + 1
            await tab.event("catalog", "load", {}, label="admin: catalog page", path="/catalog")
            await tab.event("catalog", "go_page", {"page": str(page)}, label="admin: catalog page", path="/catalog")
            await tab.event("roster", "load", {}, label="admin: roster page", path="/roster")
            await tab.event("roster", "go_page", {"page": str(page)}, label="admin: roster page", path="/roster")
        except Refusal as exc:
            stats.error(f"refused (admin): {exc}")
        except (TimeoutError, asyncio.TimeoutError, ConnectionError) as exc:
            stats.error(f"admin {type(exc).__name__}: {exc}")
            return
        await asyncio.sleep(think or 0.5)


class Budget:
    def __init__(self, decisions: int, deadline: float):
        self.left, self.deadline = decisions, deadline

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() > self.deadline:
            return False
        self.left -= 1
        return True


# --- set-up: data, officers with software keys, workers -----------------------------------------

def prepare_data(officers: int, admins: int, origin: str):
    """Migrate, test certificates, demo data; L001… approvers authorized for 市场准入 and M001…
    admins, each with a software key registered through the real rules. Returns the keys."""
    from datetime import date, timedelta

    from app.db import transaction
    from app.demo import load_demo_data
    from app.migrate import upgrade
    from app.models import Authorization, Department, Item, Officer, Qualification
    from app.rules.calendar import clock
    from app.rules.personal_data import encrypt
    from app.rules.people.roles import ADMIN, APPROVER
    from app.rules.people.keys import new_user_handle
    from app.signing import pki
    from sqlmodel import select
    from tests import flows

    upgrade()
    pki.init_test_pki()
    encrypt("")
    load_demo_data()
    today = clock.today()
    with transaction() as s:
        department = s.exec(select(Department).where(Department.code == "SCZT")).one()
        for n in range(1, officers + 1):
            officer = Officer(staff_no=f"L{n:03d}", name=f"压测审批员{n}", department_id=department.id,
                              roles=[APPROVER], joined_on=date(2018, 9, 1), user_handle=new_user_handle())
            s.add(officer)
            s.flush()
            s.add_all([Qualification(officer_id=officer.id, kind="assessment", year=today.year - 1, grade="优秀"),
                       Qualification(officer_id=officer.id, kind="training", on_date=today - timedelta(days=60),
                                     title="培训"),
                       Qualification(officer_id=officer.id, kind="exam", on_date=today - timedelta(days=30),
                                     title="考试", passed=True, score="90"),
                       Authorization(officer_id=officer.id, scope_categories=["SCZT"], scope_items=[],
                                     valid_from=today, valid_until=today + timedelta(days=300))])
        for n in range(1, admins + 1):
            s.add(Officer(staff_no=f"M{n:03d}", name=f"压测管理员{n}", department_id=department.id, roles=[ADMIN],
                          joined_on=date(2018, 9, 1), user_handle=new_user_handle()))
        item = s.exec(select(Item).where(Item.code == "370303-SCZT-001")).one()
        item_info = {"id": item.id, "materials": len(item.materials), "conditions": len(item.conditions)}
    root_admin, root_key = flows.enroll_admin()
    keys = {f"L{n:03d}": flows.register_key(root_admin, root_key, f"L{n:03d}") for n in range(1, officers + 1)}
    keys.update({f"M{n:03d}": flows.register_key(root_admin, root_key, f"M{n:03d}") for n in range(1, admins + 1)})
    return keys, item_info


def start_workers(args, env: dict, folder: Path) -> list[tuple[subprocess.Popen, int]]:
    procs = []
    for n in range(1, args.workers + 1):
        port = args.port + n - 1
        log = open(folder / f"worker{n}.log", "w")
        if args.workers == 1 and not args.redis_url:
            command = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-only", "--backend-port",
                       str(port), "--loglevel", "warning"]
            worker_env = {**env, "GRANIAN_WORKERS": "1", "REFLEX_TRUSTED_PROXY_HOPS": "1"}
        else:
            command = ["bash", str(ROOT / "scripts" / "production.sh"), "worker", str(n)]
            worker_env = {**env, "APP_WORKER_PORT": str(args.port), "APP_WORKERS": str(args.workers)}
        procs.append((subprocess.Popen(command, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True), port))
    for proc, port in procs:
        deadline = time.time() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"worker on {port} exited: see {folder}")
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10).status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"worker on {port} not healthy")
            time.sleep(1)
    return procs


def rss_mib(pgid: int) -> float:
    """Resident memory of a worker's whole process group (the server, its worker, the renderer)."""
    out = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in out:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


async def run_load(args, keys: dict, item: dict, bases: list[str], origin: str, stats: Stats) -> float:
    from app.state.auth import AuthState
    from app.state.catalog import CatalogState
    from app.state.counter import CounterState
    from app.state.roster import RosterState

    states = {"auth": AuthState.get_full_name(), "counter": CounterState.get_full_name(),
              "catalog": CatalogState.get_full_name(), "roster": RosterState.get_full_name()}
    start = time.monotonic()
    budget = Budget(args.decisions, start + args.seconds)
    stop = asyncio.Event()
    tabs = []
    officer_tasks, admin_tasks = [], []
    for n in range(1, args.officers + 1):
        tab = Tab(bases[n % len(bases)], origin, f"10.11.{n // 250}.{n % 250 + 1}", states, stats)
        tabs.append(tab)
        officer_tasks.append(asyncio.create_task(approver(n, tab, keys[f"L{n:03d}"], item, budget, stats, args.think)))
    for n in range(1, args.admins + 1):
        tab = Tab(bases[n % len(bases)], origin, f"10.12.0.{n}", states, stats)
        tabs.append(tab)
        admin_tasks.append(asyncio.create_task(admin(n, tab, keys[f"M{n:03d}"], stop, stats, args.think)))
    results = await asyncio.gather(*officer_tasks, return_exceptions=True)
    stop.set()
    results += await asyncio.gather(*admin_tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            stats.error(f"client gave up: {type(result).__name__}: {result}")
    for tab in tabs:
        try:
            await tab.close()
            if tab.http:
                await tab.http.close()
        except Exception:  # noqa: BLE001
            pass
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officers", type=int, default=50)
    parser.add_argument("--admins", type=int, default=2)
    parser.add_argument("--decisions", type=int, default=200, help="total decisions, then stop")
    parser.add_argument("--seconds", type=float, default=600, help="stop starting decisions after this")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between an officer's steps")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=3133, help="port of worker 1 (worker N: port+N-1)")
    parser.add_argument("--db-url", default=None, help="PostgreSQL (its schema is dropped); default SQLite")
    parser.add_argument("--redis-url", default=None, help="needed with --workers > 1 (the database is emptied)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args()
    if args.workers > 1 and not (args.redis_url and args.db_url):
        parser.error("several workers need --db-url (PostgreSQL) and --redis-url")
    for url in filter(None, (args.db_url, args.redis_url)):
        if urlsplit(url).hostname not in LOOPBACK:
            parser.error(f"loopback only: {url}")

    folder = Path(tempfile.mkdtemp(prefix="approval-load-"))
    # The origin the app believes it is served at (behind nginx with TLS); the load connects to the
    # workers directly over loopback, sending that Origin as a browser would.
    origin = f"https://localhost:{args.port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "REFLEX_"))}
    env.update({"APP_DATA_DIR": str(folder / "data"), "APP_ORIGIN": origin, "APP_ENV_FILE": "/nonexistent",
                "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
                "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"})
    if args.db_url:
        env.update({"REFLEX_DB_URL": args.db_url, "APP_FILE_STORE": "database"})
    if args.redis_url:
        env["REFLEX_REDIS_URL"] = args.redis_url
    os.environ.update({k: v for k, v in env.items() if k.startswith(("APP_", "REFLEX_"))})

    if args.db_url:
        from sqlalchemy import create_engine, text

        engine = create_engine(args.db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
    print(f"setting up {args.officers} approvers and {args.admins} admins with software keys …", flush=True)
    keys, item = prepare_data(args.officers, args.admins, origin)
    procs = start_workers(args, env, folder)
    stats = Stats()
    try:
        rss_before = [rss_mib(p.pid) for p, _ in procs]
        bases = [f"http://127.0.0.1:{port}" for _, port in procs]
        print(f"load: {args.officers} approvers, {args.admins} admins, {args.workers} worker(s), "
              f"{'PostgreSQL + Redis' if args.db_url else 'SQLite'}, up to {args.decisions} decisions "
              f"or {args.seconds:.0f} s", flush=True)
        elapsed = asyncio.run(run_load(args, keys, item, bases, origin, stats))
        rss_after = [rss_mib(p.pid) for p, _ in procs]
    finally:
        for proc, _ in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)

    from app.db import transaction
    from app.models import Decision
    from sqlmodel import func, select

    with transaction() as s:
        stored = s.exec(select(func.count()).select_from(Decision)).one()
    decided = sorted(stats.decided)
    steady = (len(decided) - 1) / (decided[-1] - decided[0]) if len(decided) > 1 else float("nan")
    print(f"\n{len(decided)} decisions signed in {elapsed:.1f} s ({stored} stored); "
          f"sustained {steady:.2f} decisions/s (first to last)")
    print(f"{'event':32s} {'n':>6s} {'p50 ms':>9s} {'p95 ms':>9s} {'max ms':>9s}")
    for name, values in sorted(stats.times.items()):
        print(f"{name:32s} {len(values):6d} {statistics.median(values):9.1f} {pct(values, 0.95):9.1f} "
              f"{max(values):9.1f}")
    others = [v for k, vs in stats.times.items() if not k.startswith(("click", "touch", "sign-in")) for v in vs]
    if others:
        print(f"{'other events (all)':32s} {len(others):6d} {statistics.median(others):9.1f} "
              f"{pct(others, 0.95):9.1f} {max(others):9.1f}")
    for n, (before, after) in enumerate(zip(rss_before, rss_after), 1):
        print(f"worker {n} memory (with its renderer): {before:.0f} → {after:.0f} MiB")
    print(f"errors: {sum(stats.errors.values())}")
    for what, count in sorted(stats.errors.items(), key=lambda x: -x[1]):
        print(f"  {count:5d}  {what}")
    if args.keep:
        print(f"data and logs: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
