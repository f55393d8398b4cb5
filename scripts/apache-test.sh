#!/bin/sh
# Run the Apache::Test suite (t/*.t) against a real httpd.
#
# The tree is staged in a fresh world-readable directory: httpd's children
# run as an unprivileged user and must read htdocs wherever the checkout is,
# and the generated t/conf, t/logs and c-modules builds stay out of it.
set -eu

: "${APXS:=apxs}"
: "${HTTPD:=$($APXS -q SBINDIR)/$($APXS -q TARGET)}"
: "${PERL:=perl}"
: "${PYTHON:=/usr/bin/python3}"
top=$(pwd)
libexec=$($APXS -q LIBEXECDIR)

stage=$(mktemp -d "${TMPDIR:-/tmp}/fastexc-test.XXXXXX")
cleanup() {
    status=$?
    if [ $status -ne 0 ] && [ -f "$stage/t/logs/error_log" ]; then
        echo "---- last lines of the test server's error_log ----" >&2
        tail -n 40 "$stage/t/logs/error_log" >&2
    fi
    (cd "$stage" 2>/dev/null && $PERL t/TEST.PL -stop >/dev/null 2>&1) || true
    rm -rf "$stage"
    exit $status
}
trap cleanup EXIT INT TERM

cp -R "$top/t" "$top/c-modules" "$top/include" "$top/README.md" "$stage/"
mkdir -p "$stage/modules"
# FASTEXC_SO: another build of the module (the sanitizer build)
cp "${FASTEXC_SO:-$top/.libs/mod_fastexc.so}" "$stage/modules/mod_fastexc.so"
rm -rf "$stage/t/logs" "$stage/t/conf/apache_test_config.pm"

# The modules the suite needs, loaded explicitly so the configuration does not
# depend on what is enabled in /etc/apache2 (Apache::Test inherits these).
{
    for m in mpm_event authz_core authz_host authz_user authn_core auth_basic authn_file \
             mime dir alias headers env setenvif rewrite include \
             proxy proxy_http http2 lua status unique_id; do
        echo "LoadModule ${m}_module $libexec/mod_${m}.so"
    done
    echo "LoadModule fastexc_module $stage/modules/mod_fastexc.so"
    echo "TypesConfig /etc/mime.types"
} > "$stage/t/conf/modules.load"

# A base port of its own, free now, unless the caller gives one (-port N):
# Apache::Test's "-port select" starts every run at 8529, and its vhosts
# take the ports that follow, so two runs at once (make coverage beside
# make test, another engineer's) took each other's. Random from urandom
# (not the clock: runs start in the same second), on a 50-port grid in
# 10000-29950, below the kernel's ephemeral range the tests' own servers
# draw from.
port=
case " $* " in
*" -port "*) ;;
*)
    port=$($PERL -MIO::Socket::INET -e '
        open my $r, "<", "/dev/urandom" or die "urandom: $!";
        for (1 .. 50) {
            read($r, my $b, 2) == 2 or die "urandom: $!";
            my $p = 10000 + (unpack("n", $b) % 400) * 50;
            next unless IO::Socket::INET->new(LocalAddr => "127.0.0.1",
                LocalPort => $p, Listen => 1, ReuseAddr => 1);
            print $p;
            exit 0;
        }
        exit 1;')
    ;;
esac

chmod -R a+rX "$stage"
cd "$stage"
export EXTRA_CFLAGS="-I$stage/include"
export FASTEXC_PYTHON="$PYTHON"
$PERL t/TEST.PL -apxs "$APXS" -httpd "$HTTPD" \
    -httpd_conf "$stage/t/conf/modules.load" ${port:+-port "$port"} "$@"
