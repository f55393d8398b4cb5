#!/bin/sh
# make memcheck: the Apache::Test suite against httpd -X (one process)
# running under valgrind's memcheck. Any memcheck error (invalid read or
# write, use of uninitialised memory, a definitely lost block) fails it.
# Slow (valgrind runs httpd some 20x slower): not part of make test, which
# runs the ASan+UBSan build instead.
set -eu

: "${APXS:=apxs}"
: "${HTTPD:=$($APXS -q SBINDIR)/$($APXS -q TARGET)}"
top=$(pwd)
build="$top/build/memcheck"
logs=$(mktemp -d "${TMPDIR:-/tmp}/fastexc-memcheck.XXXXXX")
chmod 1777 "$logs"
trap 'rm -rf "$logs"' EXIT

mkdir -p "$build"
cat > "$build/httpd" <<EOT
#!/bin/sh
# httpd under memcheck; "-v"/"-V"/"-t" queries too, they are cheap
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \\
    --errors-for-leak-kinds=definite --num-callers=30 \\
    --suppressions="$top/scripts/memcheck.supp" \\
    --log-file="$logs/vg.%p" "$HTTPD" "\$@"
EOT
chmod 755 "$build/httpd"

status=0
export FASTEXC_INSTRUMENTED=memcheck
HTTPD="$build/httpd" sh "$top/scripts/apache-test.sh" -one-process || status=$?

bad=$(grep -l -E "ERROR SUMMARY: [1-9]" "$logs"/vg.* 2>/dev/null || true)
runs=$(ls "$logs"/vg.* 2>/dev/null | wc -l)
if [ "$runs" -eq 0 ]; then
    echo "memcheck: valgrind never ran" >&2
    exit 1
fi
if [ -n "$bad" ]; then
    echo "memcheck: errors found:" >&2
    for f in $bad; do echo "== $f" >&2; sed -n '/ERROR SUMMARY/q;p' "$f" | tail -80 >&2; done
    exit 1
fi
[ $status -eq 0 ] || exit $status
echo "memcheck: the suite passed under memcheck, $runs valgrind runs, 0 errors"
