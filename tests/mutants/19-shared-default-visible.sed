# file: mod_fastexc.c
# tests: t/api.t t/leak.t
# bug: as 16, with the headers' table in a pool that outlives the request:
# one request's headers appear on later requests' default responses
s/if (resp == fastexc_defaults\[resp->status - 200\]) {/if (0) {/
s/hc.out = apr_table_make(r->pool, 4);/hc.out = apr_table_make(r->server->process->pool, 4);/
