# file: glue/mod_fastexc_config.c
# tests: t/merge.t
# bug: inherited FastExcRaise rules are tried before the scope's own
s/apr_array_append(p, add->list, base->list)/apr_array_append(p, base->list, add->list)/
