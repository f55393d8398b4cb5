#!/bin/sh
# What `make soak` needs besides scripts/deps.sh's packages: the headers of
# its load clients (bench/h2soak.c on libnghttp2, bench/h2soak.c and
# bench/wstunnel.c on OpenSSL). Installs only what is missing.
set -eu
PACKAGES="libnghttp2-dev libssl-dev"
missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "soak-deps: installing$missing"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "soak-deps: missing packages:$missing; run as root or install them" >&2
        exit 1
    fi
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $missing
