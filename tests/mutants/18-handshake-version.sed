# file: glue/mod_fastexc_upgrade.c
# tests: t/websocket.t t/counters.t
# bug: the handshake check takes Sec-WebSocket-Version 8 for 13
s/strcmp(version, "13") != 0)/strcmp(version, "13") != 0 \&\& strcmp(version, "8") != 0)/
