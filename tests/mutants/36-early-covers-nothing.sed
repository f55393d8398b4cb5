# file: glue/mod_fastexc_early.c
# tests: t/early.t
# bug: a <Directory> is never taken to cover the raised file: only <Files> and regular expressions count, and a denied directory answers the raise unmapped
s/&& (!sect\[i\].dir || fastexc_fs_covers(sect\[i\].dir, name))) {/\&\& !sect[i].dir) {/
