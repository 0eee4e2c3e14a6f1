"""A client outside any browser: Reflex's event protocol spoken over a raw websocket, with the
headers and cookies the test chooses (a stolen tab token without the cookie, a forged
X-Forwarded-For), as an attacker's script would."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
from concurrent.futures import ThreadPoolExecutor

import aiohttp


async def _exchange(origin: str, token: str, events: list[tuple[str, dict]], headers: dict,
                    quiet_seconds: float) -> list[str]:
    url = origin.replace("http", "ws", 1) + f"/_event/?EIO=4&transport=websocket&token={token}"
    received: list[str] = []
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, protocols=[importlib.metadata.version("reflex")],
                                   headers={"Origin": origin, **headers}) as ws:

            async def read(until: float) -> None:
                while True:
                    try:
                        message = await ws.receive(timeout=until)
                    except asyncio.TimeoutError:
                        return
                    if message.type != aiohttp.WSMsgType.TEXT:
                        return
                    received.append(message.data)
                    if message.data == "2":
                        await ws.send_str("3")

            await read(2)
            await ws.send_str("40/_event,")
            await read(2)
            for name, payload in events:
                event = {"name": name, "payload": payload, "router_data": {"pathname": "/", "query": {}}}
                await ws.send_str("42/_event," + json.dumps(["event", event]))
                await read(quiet_seconds)
    return received


def send(origin: str, token: str, events: list[tuple[str, dict]], headers: dict | None = None,
         quiet_seconds: float = 3.0) -> str:
    """Send each event, waiting until the server has been quiet for quiet_seconds; all replies.
    Runs in a thread of its own: Playwright's sync API already runs an event loop here."""
    with ThreadPoolExecutor(1) as pool:
        replies = pool.submit(asyncio.run, _exchange(origin, token, events, headers or {}, quiet_seconds)).result()
    return "\n".join(replies)
