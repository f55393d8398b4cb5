#!/bin/sh
# make mutate: plant each bug of tests/mutants/*.sed, one at a time, in a
# copy of the tree (never in the working tree), build it, and run the Check
# tests, the differential tests, then the Apache::Test files the mutant
# names ("# tests:"). A mutant is caught when one of them fails. The
# unmutated copy must pass the same first (else nothing is measured).
# MUTANTS="tests/mutants/01-*.sed ..." runs some only. Exit 1 if a mutant
# survived, did not apply or did not build.
set -eu

: "${APXS:=apxs}"
: "${PYTHON:=/usr/bin/python3}"
: "${PERL:=perl}"
: "${HTTPD:=$($APXS -q SBINDIR)/$($APXS -q TARGET)}"
top=$(pwd)
mutants=${MUTANTS:-$(ls tests/mutants/*.sed)}
logs="$top/build/mutate"
work=$(mktemp -d -t fastexc-mutate.XXXXXX)
trap 'rm -rf "$work"' EXIT
rm -rf "$logs"
mkdir -p "$logs" "$work/pristine"

# the tree as it is now: tracked files and new ones not ignored
git ls-files -z --cached --others --exclude-standard \
    | tar -cf - --null --ignore-failed-read -T - 2>/dev/null \
    | tar -xf - -C "$work/pristine"

# Run the stages in $work/tree, each logged in $dir/<stage>.log; print the
# first that fails ("error" if it failed without a failing test: a port in
# use, a server that did not start... tried twice), or "none".
stages() {
    tests=$1
    cd "$work/tree"
    make build >"$dir/build.log" 2>&1 || { echo build; return; }
    if ! make unit >"$dir/unit.log" 2>&1; then
        grep -Eq "Checks: [0-9]+, (Failures: [1-9]|.*Errors: [1-9])" \
            "$dir/unit.log" && echo unit || echo error
        return
    fi
    if ! make differential PYTHON="$PYTHON" >"$dir/differential.log" 2>&1; then
        grep -Eq "^differential: [0-9]+ passed, [1-9][0-9]* failed" \
            "$dir/differential.log" && echo differential || echo error
        return
    fi
    # a run that could not start (not a failed test) is tried again
    for try in 1 2 3; do
        APXS="$APXS" HTTPD="$HTTPD" PYTHON="$PYTHON" PERL="$PERL" \
            sh scripts/apache-test.sh $tests \
            >"$dir/apache-test.log" 2>&1 && { echo none; return; }
        grep -q "^Result: FAIL" "$dir/apache-test.log" \
            && { echo apache-test; return; }
        mv "$dir/apache-test.log" "$dir/apache-test-error$try.log"
        sleep 5
    done
    echo error
}

fresh_tree() {
    rm -rf "$work/tree"
    cp -R "$work/pristine" "$work/tree"
}

all_tests=$(sed -n 's/^# tests: //p' $mutants | tr ' ' '\n' | sort -u | tr '\n' ' ')
fresh_tree
dir="$logs/baseline"
mkdir -p "$dir"
echo "mutate: baseline (no mutant): unit, differential, $all_tests"
failed=$(stages "$all_tests")
if [ "$failed" != none ]; then
    echo "mutate: the unmutated tree fails ($failed): see build/mutate/baseline/" >&2
    exit 1
fi

caught=0 total=0 bad=0 survivors=""
for m in $mutants; do
    name=$(basename "$m" .sed)
    file=$(sed -n 's/^# file: //p' "$m")
    tests=$(sed -n 's/^# tests: //p' "$m")
    bug=$(sed -n 's/^# bug: //p' "$m")
    dir="$logs/$name"
    mkdir -p "$dir"
    total=$((total + 1))
    fresh_tree
    sed -f "$top/$m" "$work/pristine/$file" > "$work/tree/$file"
    if cmp -s "$work/pristine/$file" "$work/tree/$file"; then
        printf '%-28s DID NOT APPLY to %s\n' "$name" "$file"
        bad=$((bad + 1))
        continue
    fi
    diff -u "$work/pristine/$file" "$work/tree/$file" > "$dir/mutant.diff" || true
    stage=$(stages "$tests")
    case $stage in
        none)  printf '%-28s SURVIVED  %s\n' "$name" "$bug"
               survivors="$survivors $name" ;;
        build) printf '%-28s DOES NOT BUILD: see build/mutate/%s/\n' "$name" "$name"
               bad=$((bad + 1)) ;;
        error) printf '%-28s ERROR, no test failed: see build/mutate/%s/\n' "$name" "$name"
               bad=$((bad + 1)) ;;
        *)     files=$(sed -n 's/^\(t\/[^ ]*\.t\) *(Wstat.*/ \1/p' \
                       "$dir/apache-test.log" 2>/dev/null | tr -d '\n')
               printf '%-28s caught by %s%s\n' "$name" "$stage" "$files"
               caught=$((caught + 1)) ;;
    esac
done
echo "mutate: $caught of $total mutants caught${survivors:+; survived:$survivors}"
echo "mutate: logs in build/mutate/"
[ -z "$survivors" ] && [ $bad -eq 0 ]
