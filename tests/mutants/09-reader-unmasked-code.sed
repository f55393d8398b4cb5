# file: src/fastexc_ws.c
# tests: t/websocket.t
# bug: the client's close code is read without unmasking it
s/int b = data\[i + k\] ^ mask\[pos % 4\];/int b = data[i + k];/
