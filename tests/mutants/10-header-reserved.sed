# file: src/fastexc_valid.c
# tests: t/badconf.t t/api.t
# bug: Transfer-Encoding is no longer refused as a given header
s/&& strcasecmp(name, "Transfer-Encoding") != 0;/;/
