# file: src/fastexc_envelope.c
# tests: t/template.t
# bug: an absent member left out with absent=omit leaves its comma behind
s/                    run->out->nelts = mark;/                    run->out->nelts = mark + (put ? 1 : 0);/
