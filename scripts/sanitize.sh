#!/bin/sh
# make sanitize: the whole Apache::Test suite against mod_fastexc built with
# AddressSanitizer + UndefinedBehaviorSanitizer, Debian's httpd started with
# the runtimes preloaded. Any sanitizer report fails the run.
set -eu

: "${APXS:=apxs}"
: "${HTTPD:=$($APXS -q SBINDIR)/$($APXS -q TARGET)}"
: "${CC:=gcc}"
top=$(pwd)
build="$top/build/asan"
reports=$(mktemp -d "${TMPDIR:-/tmp}/fastexc-sanitize.XXXXXX")
chmod 1777 "$reports"    # httpd's children (nobody) write reports here
trap 'rm -rf "$reports"' EXIT

rm -rf "$build"
mkdir -p "$build/src" "$build/glue"
cp "$top/mod_fastexc.c" "$build/"
cp "$top"/src/*.c "$build/src/"
cp "$top"/glue/*.c "$top"/glue/*.h "$build/glue/"
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -O1"
(cd "$build" && $APXS -c -I "$top/include" -I glue \
    $(for f in $flags; do printf -- '-Wc,%s ' "$f"; done) \
    -Wl,-fsanitize=address,undefined \
    -o mod_fastexc.la mod_fastexc.c glue/*.c src/*.c -ljansson >/dev/null)

asan=$($CC -print-file-name=libasan.so)
ubsan=$($CC -print-file-name=libubsan.so)
cat > "$build/httpd" <<EOT
#!/bin/sh
# httpd with the sanitizer runtimes loaded first (Debian's binary is not
# instrumented; the module is)
LD_PRELOAD="$asan $ubsan" exec "$HTTPD" "\$@"
EOT
chmod 755 "$build/httpd"

# a sanitizer run that sanitizes nothing would pass: check both ends
ldd "$build/.libs/mod_fastexc.so" | grep -q libasan || {
    echo "sanitize: the module is not built with ASan" >&2; exit 1; }
ASAN_OPTIONS=help=1 "$build/httpd" -v 2>&1 | grep -q "AddressSanitizer" || {
    echo "sanitize: httpd does not run with the ASan runtime" >&2; exit 1; }

# httpd frees its pools, not every malloc, at exit: leaks are memcheck's job
export FASTEXC_INSTRUMENTED=asan
export ASAN_OPTIONS="detect_leaks=0:log_path=$reports/asan:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan"
status=0
FASTEXC_SO="$build/.libs/mod_fastexc.so" HTTPD="$build/httpd" \
    sh "$top/scripts/apache-test.sh" || status=$?

found=$(find "$reports" -type f -size +0 | head -20)
if [ -n "$found" ]; then
    echo "sanitize: sanitizer reports:" >&2
    for f in $found; do echo "== $f" >&2; head -60 "$f" >&2; done
    exit 1
fi
[ $status -eq 0 ] || exit $status
echo "sanitize: the suite passed under ASan+UBSan with no report"
