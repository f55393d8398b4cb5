# file: glue/mod_fastexc_directives.c
# tests: t/lean.t
# bug: FastExcWebSocketCloseTimeout does not count for the upgrade handler: a server with only it never notes an upgrade's scope, so a module's WebSocket closed by fastexc_websocket_close waits the default 5 s
/dc->ws.close_timeout = t;/{n;s/    fastexc_cmd_mark_upgrade(cmd);/    (void)0;/;}
