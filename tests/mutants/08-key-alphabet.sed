# file: src/fastexc_ws.c
# tests: t/websocket.t
# bug: the key check takes base64url's '-' for a base64 character
s/key\[i\] != '+' && key\[i\] != '\/')/key[i] != '+' \&\& key[i] != '\/' \&\& key[i] != '-')/
