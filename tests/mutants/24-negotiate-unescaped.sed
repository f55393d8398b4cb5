# file: glue/mod_fastexc_negotiate.c
# tests: t/negotiate.t
# bug: the built-in HTML page carries the detail unescaped (a detail from the request is script)
s/ap_escape_html2(r->pool, apr_pstrmemdup(r->pool, detail, dlen), 0)/apr_pstrmemdup(r->pool, detail, dlen)/
