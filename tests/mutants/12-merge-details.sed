# file: mod_fastexc.c
# tests: t/merge.t t/errors.t
# bug: for a status both set, the parent's FastExcDetail wins over the child's
s/apr_hash_overlay(p, add->details, base->details)/apr_hash_overlay(p, base->details, add->details)/
