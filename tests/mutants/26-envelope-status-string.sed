# file: src/fastexc_envelope.c
# tests: t/template.t
# bug: a placeholder alone loses its type: the status a string, not a number
s/        if (n->value.hole == FASTEXC_ENVELOPE_STATUS) {/        if (0) {/
