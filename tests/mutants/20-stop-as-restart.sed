# file: glue/mod_fastexc_stop.c
# tests: t/stop.t
# bug: a graceful stop taken for a restart (the generation test inverted)
s/            ? FASTEXC_TUNNEL_RESTART : FASTEXC_TUNNEL_STOP;/            ? FASTEXC_TUNNEL_STOP : FASTEXC_TUNNEL_RESTART;/
