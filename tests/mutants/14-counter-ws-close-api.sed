# file: glue/mod_fastexc_upgrade.c
# tests: t/observability.t t/counters.t
# bug: fastexc_websocket_close() (the C API's established close) is not counted
/^apr_status_t fastexc_websocket_close(/,/^}/{
/^    fastexc_account_count_ws_cause(code, FASTEXC_CAUSE_ANSWER);$/d
}
