# file: glue/mod_fastexc_raise.c
# tests: t/api.t t/leak.t
# bug: as 16, with the headers' table in a pool that outlives the request:
# one request's headers appear on later requests' default responses
s/fastexc_response_t \*copy = apr_pmemdup(r->pool, resp, sizeof(\*resp));/fastexc_response_t *copy = (fastexc_response_t *)resp;/
s/hc.out = apr_table_make(r->pool, 4);/hc.out = apr_table_make(r->server->process->pool, 4);/
