# file: src/fastexc_ws.c
# tests: t/websocket.t
# bug: the Close frame is sent without its FIN bit
s/buf\[0\] = 0x88; /buf[0] = 0x08; /
