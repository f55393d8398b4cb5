# file: glue/mod_fastexc_account.c
# tests: t/observability.t t/counters.t
# bug: exceptions are counted for 200-499 only
s/resp->status < FASTEXC_COUNT_HTTP_MIN + FASTEXC_COUNT_HTTP_N/resp->status < 500/
