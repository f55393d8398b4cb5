#!/bin/sh
# The module's exported symbol surface is fastexc_module alone: the public
# API is reached through APR optional functions registered by name, and the
# pure logic stays private. Fails when anything else is exported.
set -eu
so=${1:-.libs/mod_fastexc.so}
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVWGS]$/ { print $3 }' \
    | grep -v -x -e _init -e _fini | sort)
if [ "$exported" != "fastexc_module" ]; then
    echo "symbols: $so exports more than fastexc_module:" >&2
    echo "$exported" >&2
    exit 1
fi
# and the optional functions really are registered under their names
for fn in fastexc_raise fastexc_raise_text fastexc_raise_websocket \
          fastexc_websocket_close; do
    grep -q "APR_REGISTER_OPTIONAL_FN($fn)" mod_fastexc.c || {
        echo "symbols: $fn is not registered as an optional function" >&2
        exit 1
    }
done
echo "symbols: $so exports only fastexc_module"
