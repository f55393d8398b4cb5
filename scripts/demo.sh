#!/bin/sh
# Start or stop the demo httpd of `make run` on 127.0.0.1:$PORT.
set -eu

: "${APXS:=apxs}"
: "${HTTPD:=$($APXS -q SBINDIR)/$($APXS -q TARGET)}"
: "${PORT:=8080}"
: "${PYTHON:=/usr/bin/python3}"
top=$(pwd)
root="${TMPDIR:-/tmp}/fastexc-demo-$PORT"

stop() {
    if [ -f "$root/uvicorn.pid" ]; then
        kill "$(cat "$root/uvicorn.pid")" 2>/dev/null || true
        rm -f "$root/uvicorn.pid"
    fi
    if [ -f "$root/httpd.pid" ]; then
        "$HTTPD" -f "$root/httpd.conf" -k stop 2>/dev/null || true
        i=0
        while [ -f "$root/httpd.pid" ] && [ $i -lt 50 ]; do
            sleep 0.1; i=$((i + 1))
        done
    fi
}

case "${1:-start}" in
stop)
    stop
    rm -rf "$root"
    echo "demo httpd on 127.0.0.1:$PORT stopped"
    exit 0
    ;;
start) ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

stop
rm -rf "$root"
mkdir -p "$root/htdocs/lua" "$root/htdocs/private" "$root/modules"
cp "$top/.libs/mod_fastexc.so" "$root/modules/"
# the C API demo module, built like any third-party module
(cd "$root/modules" && cp "$top/c-modules/fastexc_test/mod_fastexc_test.c" . &&
    $APXS -c -I "$top/include" mod_fastexc_test.c >/dev/null 2>&1)
cp "$top/t/htdocs/lua/raise.lua" "$root/htdocs/lua/"
printf 'Hello from a file that no exception stopped.\n' > "$root/htdocs/hello.txt"
user=""
[ "$(id -u)" -eq 0 ] && user="User nobody
Group nogroup"
libexec=$($APXS -q LIBEXECDIR)
# the WebSocket backend of the tunnel demo: FastAPI's echo on a free port
WSPORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PYTHON" -m uvicorn --app-dir "$top/t/fastapi" --host 127.0.0.1 \
    --port "$WSPORT" --log-level warning app:app >"$root/uvicorn.log" 2>&1 &
echo $! > "$root/uvicorn.pid"
sed -e "s|@ROOT@|$root|g" -e "s|@PORT@|$PORT|g" -e "s|@LIBEXEC@|$libexec|g" \
    -e "s|@WSPORT@|$WSPORT|g" \
    -e "s|@MODULE@|$root/modules/mod_fastexc.so|g" \
    -e "s|@HELPER@|$root/modules/.libs/mod_fastexc_test.so|g" \
    "$top/conf/demo.conf.in" | awk -v u="$user" '{ if ($0 == "@USER@") print u; else print }' \
    > "$root/httpd.conf"
chmod -R a+rX "$root"

"$HTTPD" -t -f "$root/httpd.conf" >/dev/null 2>&1 || {
    "$HTTPD" -t -f "$root/httpd.conf"; exit 1; }
"$HTTPD" -f "$root/httpd.conf" -k start
# URL answers within TENTHS tenths of a second, or the demo stops with WHAT
wait_for() {   # url tenths what
    i=0
    until curl -s -o /dev/null "$1"; do
        i=$((i + 1))
        [ $i -lt "$2" ] || { echo "demo: $3" >&2; exit 1; }
        sleep 0.1
    done
}
wait_for "http://127.0.0.1:$PORT/hello.txt" 50 \
    "httpd did not start; see $root/error_log"
# and the tunnel's backend, so that what to try works from the first line
wait_for "http://127.0.0.1:$WSPORT/" 100 \
    "uvicorn did not start; see $root/uvicorn.log"

u="http://127.0.0.1:$PORT"
cat <<EOT
mod_fastexc demo httpd is running on $u (logs: $root/error_log).
Try (every answer is byte for byte what FastAPI's HTTPException sends):

  curl -i $u/items/42                       # 404 {"detail":"Item not found"}
  curl -i $u/teapot                         # 418 I'm a Teapot, X-Tea header
  curl -i $u/validation                     # 422, a JSON detail
  curl -i $u/maintenance                    # 503 with Retry-After
  curl -i $u/private/x                      # 403: its <Directory> denies first
  curl -i $u/secure                         # 401 + WWW-Authenticate
  curl -i -H 'Authorization: Bearer nope' $u/secure      # 403
  curl -i -H 'Authorization: Bearer letmein' $u/secure   # 200, the file
  curl -i -H 'X-Request-Id: "quoted"' $u/echo/x  # request values JSON-escaped
  curl -i $u/api/nothing-here               # FastExc On: httpd's 404 as JSON
  curl -i $u/api/admin                      # httpd's 403 as JSON
  curl -i $u/noroute                        # SetHandler fastexc
  curl -i "$u/proxied/hello.txt?deny"       # raised before proxying
  curl -i $u/proxied/hello.txt              # proxied as usual
  curl -i "$u/lua/raise.lua?status=409&text=from%20Lua"   # notes API
  curl -i -H 'X-Raise-Phase: access_checker' -H 'X-Raise-Status: 402' \\
       -H 'X-Raise-Text: pay first' $u/capi/x     # C API from another module
  curl -i --http2-prior-knowledge $u/teapot # the same over h2c
  /usr/bin/python3 -m websockets ws://127.0.0.1:$PORT/ws/chat          # Close 1008 + reason
  /usr/bin/python3 -m websockets ws://127.0.0.1:$PORT/ws/backend       # backend down: 1013
  /usr/bin/python3 -m websockets ws://127.0.0.1:$PORT/maintenance      # a raise on an upgrade: 1013 + detail
  /usr/bin/python3 -m websockets ws://127.0.0.1:$PORT/ws/tunnel        # an echo session; then:
       # wait 20 s: Close 1001 | kill \$(cat $root/uvicorn.pid): Close 1011
       # $HTTPD -f $root/httpd.conf -k graceful: Close 1012
       # $HTTPD -f $root/httpd.conf -k graceful-stop: Close 1001 (the demo stops)
  curl -i -H 'Upgrade: websocket' -H 'Connection: Upgrade' \\
       -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \\
       $u/ws/uvicorn-style                  # FastExcWebSocketReject http: 403 JSON
  curl -i $u/problem                        # FastExcFormat problem: RFC 9457
  curl -i -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \\
       $u/envelope/missing                  # FastExcFormat template: your envelope
  curl -i -X POST $u/envelope               # 409 in it, the request ID in body and header
  curl -i $u/negotiated                     # FastExcNegotiate: JSON for curl
  curl -i -H 'Accept: text/html' $u/negotiated   # a page for a browser (Vary: Accept)
  curl -i -H 'Accept: application/problem+json' $u/negotiated   # or RFC 9457
  curl -i $u/backend/json                   # FastAPI's own JSON error: kept
  curl -i $u/backend/html                   # its HTML 503: rewritten, Retry-After kept
  curl -i $u/backend/chunked                # its chunked 502 too
  curl -i "$u/orders/x?id=7"                # FastExcDetail expr=: the first that holds
  curl -I $u/items/42                       # HEAD: headers, no body
  curl -s "$u/server-status?auto" | grep FastExc   # counts by status and close code
  curl -s $u/metrics | grep -v '^#' | grep -v ' 0$' # Prometheus: by source and cause
  tail $root/access_log $root/error_log     # each exception logged once

Stop it with: make stop
EOT
