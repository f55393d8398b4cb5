"""Open a page in headless chromium and print the text of its #result once
it starts with "closed" (or whatever it holds after the time limit).

    pageresult.py CHROMIUM URL [SECONDS]
    pageresult.py CHROMIUM URL SECONDS EXPRESSION

With an EXPRESSION (JavaScript; a promise is awaited), print its value
once the page has loaded instead: the page's title, its text, a fetch()
made from it.

Drives chromium through its DevTools protocol on a loopback port
(python3-websockets), so the answer does not depend on when chromium
decides a page is loaded.
"""
import asyncio
import json
import os
import socket
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def value_of(ws_url, limit, expression, url):
    """The value of expression once url has loaded (the page is about:blank
    first, complete too)."""
    async with websockets.connect(ws_url, max_size=None) as ws:
        deadline = time.time() + limit
        n = 0

        async def evaluate(expr):
            nonlocal n
            n += 1
            await ws.send(json.dumps({
                "id": n, "method": "Runtime.evaluate",
                "params": {"expression": expr, "returnByValue": True,
                           "awaitPromise": True}}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("id") == n:
                    return msg

        while time.time() < deadline:
            msg = await evaluate("[document.readyState, location.href]")
            if msg.get("result", {}).get("result", {}).get("value") == \
                    ["complete", url]:
                msg = await evaluate(expression)
                if msg.get("error") or \
                        "exceptionDetails" in msg.get("result", {}):
                    return "evaluation failed: " + json.dumps(msg)[:200]
                value = msg.get("result", {}).get("result", {}).get("value")
                return value if isinstance(value, str) else json.dumps(value)
            await asyncio.sleep(0.1)
        return ""


async def result_of(ws_url, limit):
    async with websockets.connect(ws_url, max_size=None) as ws:
        deadline = time.time() + limit
        n = 0
        text = ""
        while time.time() < deadline:
            n += 1
            await ws.send(json.dumps({
                "id": n, "method": "Runtime.evaluate",
                "params": {"expression":
                           "(document.getElementById('result')||{})"
                           ".textContent || ''",
                           "returnByValue": True}}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("id") == n:
                    break
            text = msg.get("result", {}).get("result", {}).get("value") or ""
            if text.startswith("closed"):
                return text
            if msg.get("error") or "exceptionDetails" in msg.get("result", {}):
                text = "evaluation failed: " + json.dumps(msg)[:200]
            await asyncio.sleep(0.1)
        return text


def stop(proc):
    """Ends chromium's whole process group (its helpers still write to the
    profile after its first process is gone): TERM, then KILL, 5 s each."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.time() + 5
        while time.time() < deadline:
            proc.poll()     # reap the leader, or the group lives on
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def main():
    chromium, url = sys.argv[1], sys.argv[2]
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 10
    expression = sys.argv[4] if len(sys.argv) > 4 else None
    port = free_port()
    # chromium's profile and its own temporary files (its singleton
    # socket's directory) in one directory, removed whole at the end
    with tempfile.TemporaryDirectory() as top:
        profile = os.path.join(top, "profile")
        tmp = os.path.join(top, "tmp")
        os.mkdir(tmp)
        proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run",
             "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + profile,
             "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=%d" % port, url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, TMPDIR=tmp), start_new_session=True)
        try:
            pages = []
            deadline = time.time() + 15
            while time.time() < deadline and not pages:
                try:
                    with urllib.request.urlopen(
                            "http://127.0.0.1:%d/json/list" % port,
                            timeout=2) as r:
                        pages = [p for p in json.load(r)
                                 if p.get("type") == "page"]
                except OSError:
                    time.sleep(0.2)
            if not pages:
                print("no page: chromium did not answer on its DevTools port")
                return
            ws_url = pages[0]["webSocketDebuggerUrl"]
            text = asyncio.run(value_of(ws_url, limit, expression, url)
                               if expression else result_of(ws_url, limit))
            print(text if text else "nothing after %gs on %s" % (
                limit, pages[0].get("url")))
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
