"""A real WebSocket client (Debian's python3-websockets) for t/websocket.t.

    wsclient.py URL [Header:value ...]

Connects, waits for the server to close, and prints one JSON line:
  {"open": true, "code": 1008, "reason": "...", "received": [...]}
or, if the handshake was refused, {"open": false, "status": 403}.
Every wait is bounded (10 s).
"""
import asyncio
import json
import sys

import websockets
import websockets.exceptions as wse


async def main(url, headers):
    out = {"open": False}
    try:
        async with websockets.connect(url, extra_headers=headers,
                                      open_timeout=10, close_timeout=10,
                                      ping_interval=None) as ws:
            out["open"] = True
            out["received"] = []
            try:
                while True:
                    msg = await asyncio.wait_for(ws.recv(), 10)
                    out["received"].append(msg if isinstance(msg, str)
                                           else msg.hex())
            except wse.ConnectionClosed as e:
                out["code"] = e.rcvd.code if e.rcvd else None
                out["reason"] = e.rcvd.reason if e.rcvd else None
    except wse.InvalidStatusCode as e:
        out["status"] = e.status_code
    except wse.ConnectionClosed as e:
        out["code"] = e.rcvd.code if e.rcvd else None
        out["reason"] = e.rcvd.reason if e.rcvd else None
    except Exception as e:  # report, do not hide
        out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    hdrs = [tuple(h.split(":", 1)) for h in sys.argv[2:]]
    asyncio.run(main(sys.argv[1], hdrs))
