# file: src/fastexc_json.c
# tests: t/raise.t
# bug: jansson's \u001F escapes left uppercase (Python writes \u001f)
s/out\[o++\] = apr_tolower(in\[i++\]);/out[o++] = in[i++];/
