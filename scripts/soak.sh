#!/usr/bin/env bash
# make soak: sustained load on loopback (bounded: SOAK_SECONDS, default 180)
# while `httpd -k graceful` restarts the servers every SOAK_RESTART_EVERY
# seconds (default 10). Two throwaway httpds on one schedule:
#   module    mod_fastexc loaded; a plain and a TLS listener (h2, h2c)
#   baseline  the same without LoadModule fastexc_module and its
#             directives, the same static file, the same restarts: what
#             httpd itself does, for comparison
# and, all of them at once and across the restarts:
#   HTTP/1.1 and HTTPS  exceptions and the static file in turn, a new
#                       connection each (wrk, bench/soak.lua)
#   h2c and h2 (TLS)    exceptions and the static file (bench/h2soak.c:
#                       retries what a GOAWAY leaves unprocessed, as RFC
#                       9113 6.8 allows, and counts what is lost)
#   WebSocket rejects   FastExcWebSocket (bench/wsload.c)
#   tunnels             long-lived proxied WebSockets over ws, wss and h2c
#                       with FastExcWebSocketTunnelClose On, a message every
#                       100 ms (bench/wstunnel.c, bench/h2tunnel.py,
#                       bench/wsecho.c): each keeps echoing or gets a whole
#                       Close 1012
# Passes only with nothing lost, failed or unexpected anywhere, no bare
# or truncated tunnel end, no worker left busy, no crash, and the module
# server's parent RSS as flat as the baseline's; prints a table of the
# figures. HTTP/2 streams on a connection the server aborted with an error
# GOAWAY (httpd does, module or not: README) are sent again and counted as
# "aborted"; with SOAK_STRICT=1 they are lost and fail the soak.
set -euo pipefail

: "${APXS:=apxs}"
: "${HTTPD:=$($APXS -q SBINDIR)/$($APXS -q TARGET)}"
: "${PYTHON:=/usr/bin/python3}"
SECONDS_TOTAL=${SOAK_SECONDS:-180}
EVERY=${SOAK_RESTART_EVERY:-10}
STRICT=()
[ "${SOAK_STRICT:-0}" = 1 ] && STRICT=(-S)
BODY='{"detail":"Not Found"}'
top=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fastexc-soak.XXXXXX")
chmod 755 "$work"
. "$top/scripts/throwaway.sh"
pids=()
cleanup() {
    local s=$?
    for name in soak base; do
        [ -f "$work/httpd-$name.conf" ] \
            && "$HTTPD" -f "$work/httpd-$name.conf" -k stop >/dev/null 2>&1 || true
    done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
    exit $s
}
trap cleanup EXIT INT TERM

if [ "$SECONDS_TOTAL" -lt 20 ] || [ "$SECONDS_TOTAL" -gt 3600 ]; then
    echo "soak: SOAK_SECONDS from 20 to 3600" >&2
    exit 2
fi
for h in nghttp2/nghttp2.h openssl/ssl.h; do
    if ! echo "#include <$h>" | cc -E -x c - >/dev/null 2>&1; then
        echo "soak: $h missing (Debian: libnghttp2-dev, libssl-dev)" >&2
        exit 1
    fi
done

# how busy the machine is before the soak starts (other jobs): the share
# of CPU time not idle over 2 s
cpu_busy() {
    local a b
    a=$(awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat)
    sleep 2
    b=$(awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat)
    echo "$a $b" | awk '{ t = $3 - $1; i = $4 - $2; printf "%d%%", t ? 100 * (t - i) / t : 0 }'
}
busy_before=$(cpu_busy)

port=$(free_port); tls_port=$(free_port); base_port=$(free_port)
base_tls_port=$(free_port); echo_port=$(free_port)
mkdir -p "$work/htdocs" "$work/modules" "$work/logs" "$work/bin"
cp "$top/.libs/mod_fastexc.so" "$work/modules/"
cc -O2 -o "$work/bin/wsload" "$top/bench/wsload.c" -lpthread
cc -O2 -o "$work/bin/h2soak" "$top/bench/h2soak.c" "$top/bench/h2soak_conn.c" \
    -lnghttp2 -lssl -lcrypto
cc -O2 -o "$work/bin/wstunnel" "$top/bench/wstunnel.c" -lssl -lcrypto -lpthread
# shellcheck disable=SC2046
cc -O2 -o "$work/bin/wsecho" "$top/bench/wsecho.c" \
    $(apr-1-config --cflags --cppflags --includes) $(apu-1-config --includes) \
    $(apu-1-config --link-ld --libs) $(apr-1-config --link-ld --libs) -lpthread
printf '%s' "$BODY" > "$work/htdocs/static.json"
# a throwaway self-signed certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj "/CN=127.0.0.1" -keyout "$work/tls.key" -out "$work/tls.pem" \
    >/dev/null 2>&1

# What both servers share: modules but mod_fastexc, processes and threads
# (room for two generations side by side: with too small a scoreboard a
# new generation waits for slots), a plain and a TLS listener, h2 and h2c.
# The baseline is the module's server without LoadModule fastexc_module
# and its directives: NAME PORT TLS_PORT
common() {
    httpd_preamble "$1" "$2"
    cat <<EOT
LoadModule status_module $libexec/mod_status.so
LoadModule http2_module $libexec/mod_http2.so
LoadModule ssl_module $libexec/mod_ssl.so
LoadModule proxy_module $libexec/mod_proxy.so
LoadModule proxy_http_module $libexec/mod_proxy_http.so
Listen 127.0.0.1:$3
StartServers 2
ServerLimit 32
ThreadsPerChild 25
MaxRequestWorkers 800
Protocols h2c http/1.1
H2WebSockets on
ExtendedStatus On
<Location /server-status>
    SetHandler server-status
</Location>
<VirtualHost 127.0.0.1:$3>
    SSLEngine on
    SSLCertificateFile "$work/tls.pem"
    SSLCertificateKeyFile "$work/tls.key"
    Protocols h2 http/1.1
</VirtualHost>
EOT
}
{ common soak "$port" "$tls_port"; cat <<EOT
LoadModule fastexc_module $work/modules/mod_fastexc.so
<Location /raise>
    FastExcRaise 404
</Location>
<Location /ws>
    FastExcWebSocket 4003 "raised after accept"
    FastExcWebSocketCloseTimeout 2
</Location>
<Location /tunnel>
    ProxyPass ws://127.0.0.1:$echo_port/tunnel upgrade=websocket
    FastExcWebSocketTunnelClose On
</Location>
EOT
} > "$work/httpd-soak.conf"
common base "$base_port" "$base_tls_port" > "$work/httpd-base.conf"
chmod -R a+rX "$work/htdocs" "$work/modules"

"$work/bin/wsecho" "$echo_port" 60 &
pids+=($!)
for name in soak base; do
    "$HTTPD" -f "$work/httpd-$name.conf" -k start
done
for p in "$port" "$base_port" "$echo_port"; do
    for i in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$p/" && break
        sleep 0.1
    done
done

# warm up, then the RSS references
wrk -t1 -c8 -d3s "http://127.0.0.1:$port/raise" >/dev/null
wrk -t1 -c8 -d3s "http://127.0.0.1:$base_port/static.json" >/dev/null
read -r parent_before rss_before <<< "$(rss_kib soak)"
read -r base_parent_before base_rss_before <<< "$(rss_kib base)"
echo "soak: $SECONDS_TOTAL s, graceful restarts of both servers every $EVERY s;"
echo "      module on 127.0.0.1:$port (TLS $tls_port), baseline on 127.0.0.1:$base_port (TLS $base_tls_port)"

S=$SECONDS_TOTAL
run() {    # output-file command...
    local out=$1
    shift
    "$@" > "$work/$out.out" 2> "$work/$out.err" &
    pids+=($!)
    load_pids+=($!)
}
load_pids=()
run http   wrk -t1 -c8 -d"${S}s" --timeout 30s -s "$top/bench/soak.lua" "http://127.0.0.1:$port" -- /raise /static.json
run https  wrk -t1 -c4 -d"${S}s" --timeout 30s -s "$top/bench/soak.lua" "https://127.0.0.1:$tls_port" -- /raise /static.json
run bhttp  wrk -t1 -c8 -d"${S}s" --timeout 30s -s "$top/bench/soak.lua" "http://127.0.0.1:$base_port" -- /static.json
run bhttps wrk -t1 -c2 -d"${S}s" --timeout 30s -s "$top/bench/soak.lua" "https://127.0.0.1:$base_tls_port" -- /static.json
run h2c    "$work/bin/h2soak" "${STRICT[@]}" 127.0.0.1 "$port" "$S" 4 8 1000 "$BODY" /raise=404 /static.json=200
run h2tls  "$work/bin/h2soak" "${STRICT[@]}" -t 127.0.0.1 "$tls_port" "$S" 2 8 1000 "$BODY" /raise=404 /static.json=200
run bh2c   "$work/bin/h2soak" "${STRICT[@]}" 127.0.0.1 "$base_port" "$S" 4 8 1000 "$BODY" /static.json=200
run ws     "$work/bin/wsload" 127.0.0.1 "$port" /ws "$S" 4
run tun    "$work/bin/wstunnel" 127.0.0.1 "$port" /tunnel "$S" 4 100
run tuntls "$work/bin/wstunnel" -t 127.0.0.1 "$tls_port" /tunnel "$S" 2 100
run tunh2  "$PYTHON" "$top/bench/h2tunnel.py" 127.0.0.1 "$port" /tunnel "$S" 2 100

# the restarts, on the clock, both servers at once, the last one at least
# 5 s before the end
restarts=0
start=$(date +%s)
end=$(( start + S ))
while next=$(( start + (restarts + 1) * EVERY )); [ "$next" -le $(( end - 5 )) ]; do
    while [ "$(date +%s)" -lt "$next" ]; do sleep 0.2; done
    "$HTTPD" -f "$work/httpd-soak.conf" -k graceful
    "$HTTPD" -f "$work/httpd-base.conf" -k graceful
    restarts=$(( restarts + 1 ))
done
for p in "${load_pids[@]}"; do wait "$p" || true; done
sleep 3    # let the last graceful generation settle

# ---- figures -------------------------------------------------------------

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
kv() {    # file key: the value of key=value on the line that has it
    grep -o "\b$2=[0-9]*" "$work/$1.out" | head -1 | cut -d= -f2
}
kvp() {   # file path key: the same, on the line of that path
    grep "path=$2 " "$work/$1.out" | grep -o "\b$3=[0-9]*" | cut -d= -f2
}
fail=0
check() {   # value...: any nonzero or empty fails
    local v
    for v in "$@"; do
        [ -n "$v" ] && [ "$v" -eq 0 ] 2>/dev/null || fail=1
    done
}
row_fmt='  %-9s %-21s %9s %9s %8s %8s %6s %10s %7s\n'
table="$work/table"
printf "$row_fmt" server load requests answered retried aborted lost unexpected failed > "$table"
wrk_row() {    # file server label
    local total answered unexp sock conn
    total=$(awk '/requests in/ { print $1 }' "$work/$1.out")
    answered=$(kv "$1" answered)
    unexp=$(kv "$1" unexpected)
    # wrk: a connect error fails a request; a read, write or timeout error
    # loses one; without that line, none
    conn=$(awk '/Socket errors:/ { gsub(",", ""); print $4 }' "$work/$1.out")
    sock=$(awk '/Socket errors:/ { gsub(",", ""); print $6 + $8 + $10 }' "$work/$1.out")
    conn=${conn:-0}; sock=${sock:-0}
    [ "${total:-0}" -gt 0 ] && [ "$total" -eq "${answered:-x}" ] || fail=1
    check "$unexp" "$conn" "$sock"
    printf "$row_fmt" "$2" "$3" "$total" "$answered" - - "$sock" "$unexp" "$conn" >> "$table"
}
h2_row() {     # file server label path
    local v=() k
    for k in requests answered retried aborted lost unexpected failed; do
        v+=("$(kvp "$1" "$4" "$k")")
    done
    [ "${v[0]:-0}" -gt 0 ] && [ "${v[0]}" -eq "${v[1]:-x}" ] || fail=1
    check "${v[4]}" "${v[5]}" "${v[6]}"
    printf "$row_fmt" "$2" "$3 $4" "${v[@]}" >> "$table"
}
wrk_row http  module "HTTP/1.1 /raise+static"
wrk_row https module "HTTPS /raise+static"
wrk_row bhttp baseline "HTTP/1.1 /static.json"
wrk_row bhttps baseline "HTTPS /static.json"
h2_row h2c   module h2c /raise
h2_row h2c   module h2c /static.json
h2_row h2tls module "h2 TLS" /raise
h2_row h2tls module "h2 TLS" /static.json
h2_row bh2c  baseline h2c /static.json

h2_conns() {   # file: its connection figures, in words
    printf '%s connections, %s GOAWAYs (%s with an error code), %s streams above a last-stream-id, %s refused, %s unsent, %s cut without GOAWAY, %s failed connections, %s stalls' \
        "$(kv "$1" connections)" "$(kv "$1" goaways)" "$(kv "$1" error_goaways)" "$(kv "$1" beyond_last_id)" \
        "$(kv "$1" refused)" "$(kv "$1" unsent)" "$(kv "$1" cut_without_goaway)" \
        "$(kv "$1" connect_errors)" "$(kv "$1" stalls)"
}
for f in h2c h2tls bh2c; do
    check "$(kv $f connect_errors)" "$(kv $f stalls)" "$(kv $f protocol_errors)"
done

ws_closes=$(kv ws closes); ws_errors=$(kv ws errors)
check "$ws_errors"
[ "${ws_closes:-0}" -gt 0 ] || fail=1
tun_line() {   # file
    printf '%s tunnels, %s opened, %s messages echoed, %s Close 1012 (%s while a message waited), %s normal ends; %s bare closes, %s truncated frames, %s unexpected frames, %s stalls, %s failed handshakes' \
        "$(kv "$1" tunnels)" "$(kv "$1" opened)" "$(kv "$1" echoed)" \
        "$(kv "$1" restart_closes)" "$(kv "$1" waiting_at_close)" "$(kv "$1" normal_ends)" \
        "$(kv "$1" bare_closes)" "$(kv "$1" truncated)" "$(kv "$1" unexpected)" \
        "$(kv "$1" stalls)" "$(kv "$1" handshakes)"
}
for f in tun tuntls tunh2; do
    check "$(kv $f bare_closes)" "$(kv $f truncated)" "$(kv $f unexpected)" \
          "$(kv $f stalls)" "$(kv $f handshakes)"
    [ "$(kv $f echoed)" -gt 0 ] || fail=1
    # every tunnel is told of every restart
    [ "$(kv $f restart_closes)" -ge $(( restarts * $(kv $f tunnels) )) ] || fail=1
done

busy() {
    curl -s "http://127.0.0.1:$1/server-status?auto" \
        | awk -F': ' '/^BusyWorkers:/ { print $2 }'
}
busy_mod=$(busy "$port"); busy_base=$(busy "$base_port")
[ "${busy_mod:-99}" -le 1 ] && [ "${busy_base:-99}" -le 1 ] || fail=1
wrk -t1 -c8 -d3s "http://127.0.0.1:$port/raise" >/dev/null
wrk -t1 -c8 -d3s "http://127.0.0.1:$base_port/static.json" >/dev/null
read -r parent_after rss_after <<< "$(rss_kib soak)"
read -r base_parent_after base_rss_after <<< "$(rss_kib base)"
# flat: the parent re-reads the configuration at every restart (and grows
# to its allocator's high-water mark in the first ones), as the baseline's
# does; the module's may grow 2 MiB more at most. The children are new
# generations, reported only.
growth=$(( parent_after - parent_before ))
base_growth=$(( base_parent_after - base_parent_before ))
[ "$growth" -le $(( base_growth + 2048 )) ] || fail=1
crashes=$(cat "$work/logs/error-soak.log" | grep -c -E "exit signal|Segmentation" || true)
base_crashes=$(cat "$work/logs/error-base.log" | grep -c -E "exit signal|Segmentation" || true)
check "$crashes" "$base_crashes"
midframe=$(grep -c "FX0030" "$work/logs/error-soak.log" || true)
# reported, for comparison: what each server logged at error level or worse
errlines() { grep -c -E ':(error|crit|alert|emerg)\]' "$work/logs/error-$1.log" || true; }

cat <<EOT
soak: $SECONDS_TOTAL s, $restarts graceful restarts of both servers (every $EVERY s), $(nproc) cores, CPU $busy_before busy before the soak, load average $load_after after
$(cat "$table")
  h2 retries (RFC 9113 6.8), per client:
    module h2c:    $(h2_conns h2c)
    module h2 TLS: $(h2_conns h2tls)
    baseline h2c:  $(h2_conns bh2c)
  WebSocket rejects (HTTP/1.1, module): $ws_closes closes, $ws_errors errors
  tunnels, ws:  $(tun_line tun)
  tunnels, wss: $(tun_line tuntls)
  tunnels, h2c: $(tun_line tunh2);
    streams the client ended 1 s after the closing handshake, httpd not having ended them: $(kv tunh2 left_open)
    (each restart closes every tunnel: at least $restarts x tunnels Close 1012; FX0030 logged $midframe times)
  busy workers afterwards: module $busy_mod, baseline $busy_base (the status request itself)
  RSS of the parent (lives through the restarts): module $parent_before KiB -> $parent_after KiB ($growth), baseline $base_parent_before KiB -> $base_parent_after KiB ($base_growth)
  RSS of all processes (new generations of children): module $rss_before KiB -> $rss_after KiB, baseline $base_rss_before KiB -> $base_rss_after KiB
  crashed children: module $crashes, baseline $base_crashes
  error-level log lines: module $(errlines soak), baseline $(errlines base)
EOT
for f in h2c h2tls bh2c tun tuntls tunh2 ws http https bhttp bhttps; do
    if [ -s "$work/$f.err" ]; then
        echo "  $f said:"
        sed 's/^/    /' "$work/$f.err" | head -12
    fi
done
if [ $fail -ne 0 ]; then
    echo "soak: FAILED" >&2
    for name in soak base; do
        echo "error-$name.log (last lines):" >&2
        grep -v -E 'AH0(0489|0094|0493|1909|1906|1882|1873)' \
            "$work/logs/error-$name.log" | tail -10 >&2
    done
    exit 1
fi
echo "soak: passed"
