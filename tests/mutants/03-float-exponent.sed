# file: src/fastexc_json.c
# tests: t/raise.t
# bug: repr's switch to exponent notation moved from 1e16 to 1e17
s/exp10 >= -4 && exp10 < 16/exp10 >= -4 \&\& exp10 <= 16/
