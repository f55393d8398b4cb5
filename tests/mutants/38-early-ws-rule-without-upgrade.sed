# file: glue/mod_fastexc_early.c
# tests: t/early.t
# bug: a FastExcWebSocket rule is taken to answer a request that is no WebSocket upgrade: the URL is left unmapped, and a plain GET into a directory its <Directory> denies gets httpd's 404 instead of the 403
s/    if (!rules && dc->rules.ws.list && fastexc_upgrade_is(r)) {/    if (!rules \&\& dc->rules.ws.list) {/
