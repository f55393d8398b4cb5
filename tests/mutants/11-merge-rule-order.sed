# file: mod_fastexc.c
# tests: t/merge.t
# bug: inherited FastExcRaise rules are tried before the scope's own
s/return apr_array_append(p, add, base);/return apr_array_append(p, base, add);/
