"""A hostile client: raw Reflex events over the app's own websocket, with the tab's token.

Reflex resolves any event name sent by any client (notes/reflex-0.10.md §3); this speaks the
Socket.IO framing by hand from inside the signed-in page, so the server sees exactly what a
modified frontend would send."""

from __future__ import annotations

import importlib.metadata

_SCRIPT = """async ([url, protocol, events, waitFor, quietMs]) => {
  const ws = new WebSocket(url, [protocol]);
  const received = [];
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  ws.onmessage = (m) => { received.push(m.data); if (m.data === "2") ws.send("3"); };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject("ws error"); });
  while (!received.some((m) => m.startsWith("0"))) await sleep(50);
  ws.send("40/_event,");  // Reflex's Socket.IO namespace is the endpoint path
  while (!received.some((m) => m.startsWith("40/_event,"))) await sleep(50);
  for (const [event, expected] of events.map((e, i) => [e, waitFor[i]])) {
    const before = received.length;
    ws.send("42/_event," + JSON.stringify(["event", event]));
    const deadline = Date.now() + 15000;
    while (expected && Date.now() < deadline && !received.slice(before).some((m) => m.includes(expected))) await sleep(50);
  }
  // Events of one tab are processed one after another: wait until the server has gone quiet.
  let seen = received.length, quietSince = Date.now();
  const hardStop = Date.now() + 120000;
  while (quietMs && Date.now() - quietSince < quietMs && Date.now() < hardStop) {
    await sleep(100);
    if (received.length !== seen) { seen = received.length; quietSince = Date.now(); }
  }
  ws.close();
  return received;
}"""


def send_events(page, origin: str, events: list[tuple[str, dict, str | None]], quiet_ms: int = 0) -> str:
    """Send (handler full name, payload, text to wait for in the replies or None); optionally wait
    until no reply has come for quiet_ms; return all replies. The page is left on /ping."""
    token = page.evaluate("window.sessionStorage.getItem('token')")
    # Reflex gives a second live connection with the same token a new token (and so a fresh,
    # signed-out state): leave the app first, staying on its origin, so that ours takes over.
    page.goto(origin + "/ping")
    page.wait_for_timeout(500)
    url = origin.replace("http", "ws", 1) + f"/_event/?EIO=4&transport=websocket&token={token}"
    raw = [{"name": name, "payload": payload, "router_data": {"pathname": "/counter", "query": {}}}
           for name, payload, _ in events]
    replies = page.evaluate(_SCRIPT, [url, importlib.metadata.version("reflex"), raw, [w for _, _, w in events],
                                      quiet_ms])
    return "\n".join(replies)
