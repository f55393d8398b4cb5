# file: glue/mod_fastexc_stop.c
# tests: t/stop.t
# bug: the spread's turns all set to the stop's instant
s/e->wake_at = now + fastexc_stop_spread \* i \/ n;/e->wake_at = now;/
