# file: glue/mod_fastexc_backend.c
# tests: t/backend.t
# bug: a backend's JSON error taken for HTML and flattened
s/        if (fastexc_backend_json_type(ct)) {/        if (!fastexc_backend_json_type(ct)) {/
