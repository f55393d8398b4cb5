#!/usr/bin/env bash
# make soak: sustained load on loopback (bounded: SOAK_SECONDS, default 180)
# mixing exceptions, pass-through requests and WebSocket rejects over
# HTTP/1.1 and h2c, while `httpd -k graceful` restarts the server every 10
# seconds. Passes only with zero unexpected answers, zero failed
# connections, no worker left busy, and flat RSS; prints the figures.
set -euo pipefail

: "${APXS:=apxs}"
: "${HTTPD:=$($APXS -q SBINDIR)/$($APXS -q TARGET)}"
: "${PYTHON:=/usr/bin/python3}"
SECONDS_TOTAL=${SOAK_SECONDS:-180}
top=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fastexc-soak.XXXXXX")
chmod 755 "$work"
. "$top/scripts/throwaway.sh"
pids=()
cleanup() {
    local s=$?
    "$HTTPD" -f "$work/httpd.conf" -k stop >/dev/null 2>&1 || true
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
    exit $s
}
trap cleanup EXIT INT TERM

port=$(free_port)
mkdir -p "$work/htdocs" "$work/modules" "$work/logs"
cp "$top/.libs/mod_fastexc.so" "$work/modules/"
cc -O2 -o "$work/wsload" "$top/bench/wsload.c" -lpthread
printf '{"detail":"Not Found"}' > "$work/htdocs/static.json"
{ httpd_preamble soak "$port"; cat <<EOT
LoadModule status_module $libexec/mod_status.so
LoadModule http2_module $libexec/mod_http2.so
LoadModule fastexc_module $work/modules/mod_fastexc.so
Protocols h2c http/1.1
StartServers 2
ServerLimit 32
ThreadsPerChild 25
MaxRequestWorkers 800
<Location /raise>
    FastExcRaise 404
</Location>
<Location /ws>
    FastExcWebSocket 4003 "raised after accept"
    FastExcWebSocketCloseTimeout 2
</Location>
<Location /server-status>
    SetHandler server-status
</Location>
ExtendedStatus On
EOT
} > "$work/httpd.conf"
"$HTTPD" -f "$work/httpd.conf" -k start
for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/static.json" && break; sleep 0.1; done

# warm up, then the RSS reference
wrk -t1 -c8 -d3s "http://127.0.0.1:$port/raise" >/dev/null
read -r parent_before rss_before <<< "$(rss_kib soak)"
echo "soak: $SECONDS_TOTAL s on 127.0.0.1:$port, graceful restart every 10 s"

wrk -t1 -c16 -d"${SECONDS_TOTAL}s" -s "$top/bench/soak.lua" \
    "http://127.0.0.1:$port" > "$work/wrk.out" 2>&1 &
pids+=($!); wrk_pid=$!
"$work/wsload" 127.0.0.1 "$port" /ws "$SECONDS_TOTAL" 4 > "$work/ws.out" 2>&1 &
pids+=($!); ws_pid=$!
# h2c runs in batches between the restarts (from 3 s after one to 1 s
# before the next), while the HTTP/1.1 and WebSocket load spans them:
# h2load does not retry the streams a restart's GOAWAY leaves unprocessed
# (RFC 9113 6.8 lets a client retry them), and an HTTP/2 connection that an
# old generation accepts while it quiesces gets a GOAWAY at once.
h2_batches() {    # for $1 seconds
    local stop=$(( $(date +%s) + $1 ))
    while [ "$(date +%s)" -lt "$stop" ]; do
        h2load -n 2000 -c 4 -m 8 "http://127.0.0.1:$port/raise" 2>&1 \
            | awk '/^requests:/ { print "req", $2, $6, $12, $14 }
                   /^status codes:/ { print "codes", $3, $5, $7, $9 }'
    done >> "$work/h2.out"
}
restarts=0
end=$(( $(date +%s) + SECONDS_TOTAL ))
while [ "$(date +%s)" -lt $(( end - 10 )) ]; do
    h2_batches 6
    sleep 1
    "$HTTPD" -f "$work/httpd.conf" -k graceful
    restarts=$(( restarts + 1 ))
    sleep 3
done
h2_batches $(( end - $(date +%s) ))
wait "$wrk_pid" "$ws_pid" || true
sleep 3    # let the last graceful generation settle

# figures
http_total=$(awk '/requests in/ { print $1 }' "$work/wrk.out")
http_unexpected=$(awk -F= '/^soak-http: unexpected=/ { print $2 }' "$work/wrk.out")
http_sockerr=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$work/wrk.out")
http_sockerr=${http_sockerr:-0}
ws_closes=$(sed -E 's/.*closes=([0-9]+).*/\1/' "$work/ws.out")
ws_errors=$(sed -E 's/.*errors=([0-9]+).*/\1/' "$work/ws.out")
# h2load calls a 404 "failed": failures here are requests not done,
# errored or timed out, and answers that are not 4xx
h2_total=$(awk '$1 == "req" { t += $2 } END { print t + 0 }' "$work/h2.out")
h2_failed=$(awk '$1 == "req" { f += ($2 - $3) + $4 + $5 } END { print f + 0 }' "$work/h2.out")
h2_not404=$(awk '$1 == "codes" { n += $2 + $3 + $5 } END { print n + 0 }' "$work/h2.out")
status=$(curl -s "http://127.0.0.1:$port/server-status?auto")
busy=$(echo "$status" | awk -F': ' '/^BusyWorkers:/ { print $2 }')
wrk -t1 -c8 -d3s "http://127.0.0.1:$port/raise" >/dev/null
read -r parent_after rss_after <<< "$(rss_kib soak)"
crashes=$(grep -c -E "exit signal|Segmentation" "$work/logs/error-soak.log" || true)

cat <<EOT
soak: $SECONDS_TOTAL s, $restarts graceful restarts
  HTTP/1.1 (new connection each): $http_total requests, $http_unexpected unexpected answers, $http_sockerr failed connections
  h2c: $h2_total requests, $h2_failed failed, $h2_not404 not 404
  WebSocket rejects: $ws_closes closes, $ws_errors errors
  busy workers afterwards: $busy (the status request itself)
  RSS of the parent (lives through the restarts): $parent_before KiB -> $parent_after KiB
  RSS of all processes (new generations of children): $rss_before KiB -> $rss_after KiB
  crashed children: $crashes
EOT
fail=0
[ "${http_unexpected:-1}" -eq 0 ] || fail=1
[ "$http_sockerr" -eq 0 ] || fail=1
[ "$h2_failed" -eq 0 ] && [ "$h2_not404" -eq 0 ] || fail=1
[ "${ws_errors:-1}" -eq 0 ] || fail=1
[ "${busy:-99}" -le 1 ] || fail=1
[ "$crashes" -eq 0 ] || fail=1
# flat: the parent re-reads the configuration at every restart; the
# children are new generations, reported only
[ "$parent_after" -le $(( parent_before + 2048 )) ] || fail=1
if [ $fail -ne 0 ]; then
    echo "soak: FAILED" >&2
    tail -20 "$work/logs/error-soak.log" >&2
    exit 1
fi
echo "soak: passed"
