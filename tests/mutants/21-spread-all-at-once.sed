# file: glue/mod_fastexc_tunnel.c
# tests: t/stop.t
# bug: the spread's turns all set to the stop's instant
s/t->wake_at = now + fastexc_tunnel_spread \* i \/ n;/t->wake_at = now;/
