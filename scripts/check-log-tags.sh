#!/bin/sh
# Every log line of the module carries a tag FXnnnn, used once: find lines
# that log without one, and tags used twice.
set -eu
# the module and every glue file (src/ logs nothing: it has no httpd)
files="mod_fastexc.c $(ls glue/*.c)"
[ -n "$(ls glue/*.c)" ] || { echo "lint: no glue files found" >&2; exit 1; }
dups=$(grep -oh 'FXLOGNO([0-9]*)' $files | sort | uniq -d)
if [ -n "$dups" ]; then
    echo "lint: log tags used more than once: $dups" >&2
    exit 1
fi
# each ap_log_*error call must name a tag within its first three lines
untagged=$(awk '/ap_log_(r|c|p)?error\(/ { want = NR + 3; line = NR }
                want && /FXLOGNO\(/ { want = 0 }
                want && NR >= want { print FILENAME ":" line; want = 0 }' $files)
if [ -n "$untagged" ]; then
    echo "lint: log calls without an FXLOGNO tag:" >&2
    echo "$untagged" >&2
    exit 1
fi
n=$(grep -oh 'FXLOGNO([0-9]*)' $files | wc -l)
echo "lint: $n log tags, all unique"
