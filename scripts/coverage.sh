#!/bin/sh
# make coverage: line and branch coverage of the glue (mod_fastexc.c,
# glue/) and of the pure logic (src/) by the
# Check tests, the differential tests and the Apache::Test suite (gcc
# --coverage, Debian's lcov). Everything goes to build/coverage: the
# instrumented module and tests, the tracefile, the HTML report (html/).
#
# httpd's children run as nobody and write their counts (.gcda) when they
# exit: they write under GCOV_PREFIX, a world-writable directory prepared
# with the object directories in it, with umask 000 so that a file made
# first by root (httpd -t, the parent) can still be added to by nobody.
set -eu

: "${APXS:=apxs}"
: "${HTTPD:=$($APXS -q SBINDIR)/$($APXS -q TARGET)}"
: "${PYTHON:=/usr/bin/python3}"
: "${CC:=gcc}"
top=$(pwd)
out="$top/build/coverage"
rc="--rc lcov_branch_coverage=1"
apr="$($APXS -q APR_CONFIG) $($APXS -q APU_CONFIG)"
gcda=$(mktemp -d -t fastexc-coverage.XXXXXX)
trap 'rm -rf "$gcda"' EXIT

rm -rf "$out"
mkdir -p "$out/module/src" "$out/module/glue" "$out/unit"

# the module, from a copy of its sources (the objects of make build stay)
cp "$top/mod_fastexc.c" "$out/module/"
cp "$top"/src/*.c "$out/module/src/"
cp "$top"/glue/*.c "$top"/glue/*.h "$out/module/glue/"
(cd "$out/module" && $APXS -c -I "$top/include" -I glue -Wc,--coverage \
    -Wc,-O0 -Wl,--coverage -o mod_fastexc.la mod_fastexc.c glue/*.c src/*.c \
    -ljansson \
    >build.log 2>&1) || { cat "$out/module/build.log" >&2; exit 1; }
nm -D "$out/module/.libs/mod_fastexc.so" | grep -q gcov || {
    echo "coverage: the module is not instrumented" >&2; exit 1; }

# the Check tests and the differential driver, from the same objects
flags="--coverage -O0 -g -I$top/include $(for c in $apr; do $c --includes; done) $(${apr%% *} --cflags --cppflags)"
for f in "$top"/src/*.c "$top"/tests/check_*.c \
         "$top/tests/differential/driver.c"; do
    $CC $flags $(pkg-config --cflags check jansson) -c "$f" \
        -o "$out/unit/$(basename "$f" .c).o"
done
libs="$(pkg-config --libs check jansson) $(for c in $apr; do $c --link-ld --libs; done) -lm"
objs=$(for f in "$top"/src/*.c; do printf '%s ' "$out/unit/$(basename "$f" .c).o"; done)
checks=$(for f in "$top"/tests/check_*.c; do printf '%s ' "$out/unit/$(basename "$f" .c).o"; done)
$CC --coverage -o "$out/unit/check_fastexc" $checks $objs $libs
$CC --coverage -o "$out/unit/driver" "$out/unit/driver.o" $objs $libs

echo "coverage: Check tests"
"$out/unit/check_fastexc" | tail -1
echo "coverage: differential tests"
$PYTHON tests/differential/run.py --driver "$out/unit/driver" | tail -1

echo "coverage: Apache::Test suite"
for d in $(cd "$out/module" && find . -name '*.gcno' -exec dirname {} \; | sort -u); do
    mkdir -p "$gcda$out/module/$d"
done
chmod -R a+rwx "$gcda"
status=0
(umask 000; GCOV_PREFIX="$gcda" FASTEXC_SO="$out/module/.libs/mod_fastexc.so" \
    APXS="$APXS" HTTPD="$HTTPD" PYTHON="$PYTHON" \
    sh "$top/scripts/apache-test.sh" > "$out/apache-test.log" 2>&1) \
    || status=$?
grep -E "^(Files=|Result:|Failed)" "$out/apache-test.log" || true
cp -R "$gcda$out/module/." "$out/module/"
[ $status -eq 0 ] || echo "coverage: the suite failed (see $out/apache-test.log); counting what ran"

# one tracefile; the module's copied sources mapped back to the tree
lcov -q $rc -c -d "$out/module" -o "$out/module.info" 2>/dev/null
sed -i "s#^SF:$out/module/#SF:$top/#" "$out/module.info"
lcov -q $rc -c -d "$out/unit" -o "$out/unit.info" 2>/dev/null
lcov -q $rc -a "$out/module.info" -a "$out/unit.info" -o "$out/all.info"
lcov -q $rc -e "$out/all.info" "$top/mod_fastexc.c" "$top/glue/*" \
    "$top/src/*" "$top/include/*" -o "$out/fastexc.info"
genhtml -q --branch-coverage -o "$out/html" "$out/fastexc.info" >/dev/null

summary() {
    what=$1
    shift
    lcov $rc -e "$out/fastexc.info" "$@" -o "$out/part.info" >/dev/null 2>&1
    lcov $rc --summary "$out/part.info" 2>&1 | awk -v what="$what" '
        /lines\.*:/    { l = $2 == "no" ? "none" : $2 " " $3 " " $4 " " $5 ")" }
        /branches\.*:/ { b = $2 == "no" ? "none" : $2 " " $3 " " $4 " " $5 ")" }
        END { printf "coverage: %-22s lines %s, branches %s\n", what, l, b }'
}
lcov $rc -l "$out/fastexc.info" 2>/dev/null | sed -n '/^Filename/,$p'
# a hook only children run: zero means their counts were lost
grep -Eq "^FNDA:[1-9][0-9]*,fastexc_[a-z_]*fixups$" "$out/fastexc.info" || {
    echo "coverage: no counts from httpd's children" >&2; status=1; }
summary "mod_fastexc.c" "$top/mod_fastexc.c"
summary "glue/" "$top/glue/*"
summary "glue, all (both above)" "$top/mod_fastexc.c" "$top/glue/*"
summary "src/" "$top/src/*"
echo "coverage: functions never run:"
awk -F'[:,]' -v top="$top/" '/^SF:/ { f = $2; sub(top, "", f) }
    /^FNDA:0,/ { print "    " f ": " $3 }' "$out/fastexc.info"
echo "coverage: report in build/coverage/html/index.html"
exit $status
