# file: glue/mod_fastexc_early.c
# tests: t/early.t
# bug: a virtual host's own <Directory> sections are not read: only the main server's count, and a directory the host denies answers the raise unmapped
s/            fs->sects = apr_array_append(p, main_fs->sects, fs->sects);/            fs->sects = main_fs->sects;/
