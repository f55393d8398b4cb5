# file: src/fastexc_json.c
# tests: t/hostile.t
# bug: UTF-8 repair lets 3-byte overlong forms through (E0 80 80-E0 9F BF)
s/(n == 3 && (cp < 0x800 /(n == 3 \&\& (cp < 0x80 /
