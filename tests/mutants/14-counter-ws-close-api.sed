# file: mod_fastexc.c
# tests: t/observability.t t/counters.t
# bug: fastexc_websocket_close() (the C API's established close) is not counted
/^static apr_status_t fastexc_websocket_close(/,/^}/{
/^    fastexc_count_ws(code);$/d
}
