# file: glue/mod_fastexc_upgrade.c
# tests: t/observability.t t/counters.t
# bug: a close sent instead of an error response (notes, BackendError) is
# not accounted (counter, log line, notes)
s/^        fastexc_account_ws_cause(r, ctx->code, ctx->reason, ctx->reason_len,$/        if (0) fastexc_account_ws_cause(r, ctx->code, ctx->reason, ctx->reason_len,/
