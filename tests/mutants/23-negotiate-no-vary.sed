# file: glue/mod_fastexc_negotiate.c
# tests: t/negotiate.t
# bug: a negotiated exception goes out without Vary: Accept (a cache serves a browser's page to API clients)
s/apr_table_mergen(r->err_headers_out, "Vary", "Accept");/;/
