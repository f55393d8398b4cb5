# file: glue/mod_fastexc_raise.c
# tests: t/api.t
# bug: the C API no longer leaves out a header whose value holds CR/LF
s/^        || !fastexc_header_value_ok(value)) {$/        ) {/
