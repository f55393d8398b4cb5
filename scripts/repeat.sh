#!/bin/sh
# make repeat: the suite (Check, differential, Apache::Test) REPEAT times in
# a row (default 20), to find the tests that fail only sometimes: flaky
# tests are bugs. Each run's log is kept in build/repeat/; the summary
# names each failed test file and how often it failed. Exit 1 if any run
# failed.
set -u

: "${REPEAT:=20}"
: "${MAKE:=make}"
out=build/repeat
rm -rf "$out"
mkdir -p "$out"
failed=0
i=1
while [ "$i" -le "$REPEAT" ]; do
    start=$(date +%s)
    if $MAKE --no-print-directory unit differential apache-test \
        >"$out/run$i.log" 2>&1; then
        result=pass
    else
        result=FAIL
        failed=$((failed + 1))
    fi
    echo "repeat: run $i of $REPEAT: $result ($(( $(date +%s) - start )) s)"
    i=$((i + 1))
done
# the test files that failed, and in how many runs
grep -h '^t/[^ ]*\.t *(Wstat' "$out"/run*.log 2>/dev/null \
    | sed 's/ .*//' | sort | uniq -c | sed 's/^/repeat: failed: /'
echo "repeat: $((REPEAT - failed)) of $REPEAT runs passed"
[ "$failed" -eq 0 ]
