# file: src/fastexc_json.c
# tests: t/websocket.t
# bug: cutting a close reason looks at the wrong byte and can split a character
s/(u\[max\] & 0xC0) == 0x80/(u[max - 1] \& 0xC0) == 0x80/
