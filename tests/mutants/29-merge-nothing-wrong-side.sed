# file: glue/mod_fastexc_config.c
# tests: t/lean.t t/merge.t
# bug: a merge whose base scope set nothing returns the base, not the scope that adds (a <Location>'s FastExc On is lost)
s/^        return addv;/        return basev;/
