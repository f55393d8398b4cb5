# file: glue/mod_fastexc_config.c
# tests: t/merge.t t/errors.t
# bug: for a status both set, the parent's FastExcDetail wins over the child's
s/merged = apr_hash_overlay(p, add, base)/merged = apr_hash_overlay(p, base, add)/
