"""The reference: the exceptions of t/conformance.t raised by FastAPI.

Each route raises what the <Location /conf/...> of the same name in
t/conf/extra.conf.in raises through mod_fastexc; t/conformance.t runs this
app under uvicorn on 127.0.0.1 and compares the two responses byte for byte.
"""
from fastapi import FastAPI, HTTPException, Request

app = FastAPI()

CASES = {
    "text": (404, "Item not found", None),
    "default": (404, None, None),
    "teapot": (418, None, {"X-Tea": "green"}),
    "json": (422, {"loc": ["body", "name"], "msg": "field required",
                   "type": "value_error.missing",
                   "ctx": {"limit": 0.1, "big": 1e16, "small": 1.5e-7,
                           "neg": -0.0, "int": -7},
                   "ok": True, "none": None, "ü": "€ ✓"}, None),
    "array": (400, [1, "two", 3.5, [], {}], None),
    "escapes": (400, "quote \" backslash \\ ctl \x01\x1f tab \t nl \n"
                     " del \x7f nul \x00 sep \u2028", None),
    "unicode": (404, "Ünïcödé ✓ 😀", None),
    "auth": (401, "Not authenticated", {"WWW-Authenticate": "Bearer"}),
    "retry": (503, "maintenance", {"Retry-After": "120"}),
    "ctype": (400, "plain", {"Content-Type": "text/plain; charset=utf-8"}),
    "299": (299, "custom", None),
    "425": (425, None, None),
    "204": (204, None, None),
    "205": (205, None, None),
    "304": (304, None, None),
}


@app.api_route("/conf/template", methods=["GET", "HEAD"])
def template(request: Request):
    raise HTTPException(400, f"bad id {request.headers.get('x-id', '')}")


@app.api_route("/conf/{name}", methods=["GET", "HEAD"])
def conf(name: str):
    if name not in CASES:
        # no route: FastAPI's own 404, like FastExc On for a missing file
        raise HTTPException(404)
    status, detail, headers = CASES[name]
    raise HTTPException(status, detail, headers)


# ---- WebSockets (t/websocket.t) -------------------------------------------

from fastapi import WebSocket, WebSocketDisconnect, WebSocketException  # noqa: E402

HITS = {"echo": 0, "reject": 0}


@app.websocket("/ws/echo")
async def ws_echo(ws: WebSocket):
    HITS["echo"] += 1
    await ws.accept()
    try:
        while True:
            await ws.send_text(await ws.receive_text())
    except WebSocketDisconnect:
        pass


@app.websocket("/ws/reject")
async def ws_reject(ws: WebSocket):
    # before accept: uvicorn answers the handshake 403
    HITS["reject"] += 1
    raise WebSocketException(1008, "rejected by the backend")


@app.websocket("/ws/raise")
async def ws_raise(ws: WebSocket):
    # after accept: the client gets a Close frame with code and reason
    await ws.accept()
    raise WebSocketException(4003, "raised after accept")


@app.get("/ws/hits")
def ws_hits():
    return HITS


# ---- a backend's own errors (t/backend.t, FastExcBackendErrors) ---------------

from fastapi.responses import (HTMLResponse, PlainTextResponse,  # noqa: E402
                               Response, StreamingResponse)


@app.api_route("/backend/json", methods=["GET", "HEAD"])
def backend_json():
    # FastAPI's own JSON error: kept byte for byte
    raise HTTPException(409, "Name taken", {"X-Backend": "fastapi"})


@app.api_route("/backend/html", methods=["GET", "HEAD"])
def backend_html():
    return HTMLResponse("<html><body><h1>Service Unavailable</h1></body></html>",
                        status_code=503, headers={"Retry-After": "30"})


@app.api_route("/backend/text", methods=["GET", "HEAD"])
def backend_text():
    return PlainTextResponse("no token", status_code=401,
                             headers={"WWW-Authenticate": "Bearer"})


@app.api_route("/backend/empty", methods=["GET", "HEAD"])
def backend_empty():
    return Response(status_code=500)


@app.api_route("/backend/chunked", methods=["GET", "HEAD"])
def backend_chunked():
    def pieces():
        yield "<html><body>"
        yield "<p>upstream failed</p>"
        yield "</body></html>"
    return StreamingResponse(pieces(), status_code=502, media_type="text/html")
