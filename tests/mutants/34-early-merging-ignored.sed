# file: glue/mod_fastexc_early.c
# tests: t/early.t
# bug: an AuthMerging And in the server is ignored: a <Location>'s own Require is taken to replace a <Directory>'s Require all denied that it only adds to, and a denied directory answers the raise unmapped
s/    return own_require && !fs->merging ? FASTEXC_FS_REQUIRES/    return own_require ? FASTEXC_FS_REQUIRES/
