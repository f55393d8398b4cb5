# file: src/fastexc_json.c
# tests: t/hostile.t
# bug: UTF-8 repair lets code points above U+10FFFF through
s/cp > 0x10FFFF/cp > 0x13FFFF/
