# file: glue/mod_fastexc_config.c
# tests: t/merge.t
# bug: a scope's FastExcDetail conditions for a status hide the inherited rules of that status
s/apr_array_append(p, own, inherited)/own/
