#!/bin/sh
# Install the Debian packages mod_fastexc needs to build, run and test.
# Installs only what is missing; needs root (or sudo) only then.
set -eu

# build: apxs (apache2-dev), jansson, Check; run: apache2 (mod_lua and
# mod_http2 ship in apache2-bin); test: Apache::Test (libapache2-mod-perl2),
# FastAPI/uvicorn as the reference, curl for h2c; bench: wrk, nginx,
# valgrind (callgrind), gnuplot, ab, and httptools + uvloop, which uvicorn
# uses when present (uvicorn[standard]: FastAPI at its best); hardening:
# h2load (soak), clang and its libFuzzer runtime (fuzz); t/tls.t: openssl (a
# certificate made at run time), IO::Socket::SSL (its TLS client and backend);
# make lint: python3-markdown-it (README.md read as CommonMark); make deb:
# dpkg-dev, debhelper (dh_apache2 comes with apache2-dev), lintian.
PACKAGES="gcc make pkg-config apache2 apache2-dev libjansson-dev check
libapache2-mod-perl2 libwww-perl python3 python3-fastapi python3-uvicorn
python3-websockets python3-h2 curl
wrk nginx valgrind gnuplot-nox apache2-utils python3-httptools python3-uvloop
nghttp2-client clang libclang-rt-14-dev
lcov
openssl libio-socket-ssl-perl
python3-markdown-it
chromium
dpkg-dev debhelper lintian
libnghttp2-dev libssl-dev"
# Wanted, not needed: t/prometheus.t (Prometheus itself) and t/metrics.t
# (promtool) skip, and say so, without them.
OPTIONAL="prometheus"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
optional=""
for p in $OPTIONAL; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed"; then
        optional="$optional $p"
    fi
done
[ -z "$missing$optional" ] && exit 0

echo "deps: installing$missing$optional"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    elif [ -z "$missing" ]; then
        echo "deps: not installed:$optional (the tests that need it will skip)" >&2
        exit 0
    else
        echo "deps: missing packages:$missing; run as root or install them" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# Installing apache2 and nginx must not start them as system services (they
# would both want port 80, and the project starts its own throwaway
# servers): a policy-rc.d that refuses, for the time of the install only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# mod_fastexc deps.sh: no service starts during install\nexit 101\n' \
        | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
if [ -n "$missing" ]; then
    $SUDO apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $missing
fi
if [ -n "$optional" ] && ! $SUDO apt-get install -y -qq -o Dpkg::Use-Pty=0 \
        --no-install-recommends $optional; then
    echo "deps: could not install$optional: the tests that need it will skip" >&2
fi
