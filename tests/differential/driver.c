/*
 * driver.c - runs generated cases through mod_fastexc's pure functions for
 * tests/differential/run.py, which compares the results with Python.
 *
 * stdin:  records "op (1 byte), length (4 bytes, big-endian), payload"
 * stdout: for each record, "length (4 bytes, big-endian), result"
 *
 *   op  payload                        result
 *   P   -                              "code phrase\n" for every status
 *                                      0-999 that fastexc_phrase() knows
 *   J   JSON text                      "K" + fastexc_json_dump(parse), or
 *                                      "E" + the parse error
 *   F   a double, 8 bytes big-endian   "K" + fastexc_py_float(), or "E"
 *   T   bytes                          repaired ('0'/'1') + fastexc_body_text()
 *   R   bytes                          valid ('0'/'1') + repaired ('0'/'1')
 *                                      + fastexc_utf8_repair()
 *   U   max (2 bytes) + bytes          fastexc_utf8_cut(), 4 bytes
 *   C   code (2 bytes) + reason        code sendable ('0'/'1') + the frame
 *                                      of fastexc_ws_close_frame()
 *   K   Sec-WebSocket-Key              key valid ('0'/'1') + accept key
 *   W   tracker (1 byte), chunk size   state ('0' more, '1' closed,
 *       (2 bytes) + client bytes       '2' invalid), close code (2 bytes),
 *                                      at a frame boundary ('0'/'1')
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"
#include "fastexc_core.h"
#include "fastexc_ws.h"

static unsigned long get_be(const unsigned char *p, int n)
{
    unsigned long v = 0;
    int i;

    for (i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void put(const void *data, apr_size_t len)
{
    unsigned char head[4] = { (unsigned char)(len >> 24),
                              (unsigned char)(len >> 16),
                              (unsigned char)(len >> 8),
                              (unsigned char)len };

    fwrite(head, 1, 4, stdout);
    fwrite(data, 1, len, stdout);
}

/* A result made of a prefix and bytes. */
static void put2(apr_pool_t *p, const char *prefix, const char *data,
                 apr_size_t len)
{
    apr_size_t pl = strlen(prefix);
    char *out = apr_palloc(p, pl + len + 1);

    memcpy(out, prefix, pl);
    memcpy(out + pl, data, len);
    put(out, pl + len);
}

static void op_phrases(apr_pool_t *p)
{
    char *out = "";
    int status;

    for (status = 0; status < 1000; status++) {
        const char *phrase = fastexc_phrase(status);
        if (phrase) {
            out = apr_psprintf(p, "%s%d %s\n", out, status, phrase);
        }
    }
    put(out, strlen(out));
}

static void op_json(apr_pool_t *p, const char *text)
{
    const char *err = NULL;
    json_t *v = fastexc_json_parse(p, text, &err);
    apr_size_t len;
    char *out;

    if (!v) {
        put2(p, "E", err, strlen(err));
        return;
    }
    out = fastexc_json_dump(p, v, &len);
    json_decref(v);
    if (out) {
        put2(p, "K", out, len);
    }
    else {
        put("E", 1);
    }
}

static void op_float(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    apr_uint64_t bits = 0;
    double v;
    char buf[40];
    apr_size_t i;

    for (i = 0; i < 8 && i < len; i++) {
        bits = (bits << 8) | in[i];
    }
    memcpy(&v, &bits, sizeof(v));
    if (fastexc_py_float(v, buf, sizeof(buf)) == 0) {
        put2(p, "K", buf, strlen(buf));
    }
    else {
        put("E", 1);
    }
}

static void op_utf8(apr_pool_t *p, char op, const char *in, apr_size_t len)
{
    int repaired = -1;
    apr_size_t olen;
    char *out;

    if (op == 'T') {
        out = fastexc_body_text(p, in, len, &olen, &repaired);
        put2(p, repaired ? "1" : "0", out, olen);
    }
    else if (op == 'R') {
        out = fastexc_utf8_repair(p, in, len, &olen, &repaired);
        put2(p, apr_pstrcat(p, fastexc_utf8_valid(in, len) ? "1" : "0",
                            repaired ? "1" : "0", NULL), out, olen);
    }
    else {      /* 'U' */
        apr_size_t cut = fastexc_utf8_cut(in + 2, len - 2,
                                          get_be((const unsigned char *)in,
                                                 2));
        unsigned char b[4] = { (unsigned char)(cut >> 24),
                               (unsigned char)(cut >> 16),
                               (unsigned char)(cut >> 8),
                               (unsigned char)cut };
        put(b, 4);
    }
}

static void op_close(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    unsigned char frame[FASTEXC_WS_CLOSE_FRAME_MAX];
    int code = (int)get_be(in, 2);
    apr_size_t n = fastexc_ws_close_frame(frame, code, (const char *)in + 2,
                                          len - 2);

    put2(p, fastexc_ws_code_check(code) ? "0" : "1", (const char *)frame, n);
}

static void op_key(apr_pool_t *p, const char *key)
{
    char accept[FASTEXC_WS_ACCEPT_LEN + 1];

    fastexc_ws_accept(key, accept);
    put2(p, fastexc_ws_key_check(key) ? "0" : "1", accept,
         FASTEXC_WS_ACCEPT_LEN);
}

static void op_reader(const unsigned char *in, apr_size_t len)
{
    fastexc_ws_reader_t rd;
    apr_size_t chunk = get_be(in + 1, 2), off;
    unsigned char out[4];

    if (in[0]) {
        fastexc_ws_tracker_init(&rd);
    }
    else {
        fastexc_ws_reader_init(&rd);
    }
    for (off = 3; off < len; off += chunk) {
        fastexc_ws_reader_feed(&rd, in + off,
                               len - off < chunk ? len - off : chunk);
    }
    out[0] = (unsigned char)('0' + rd.state);
    out[1] = (unsigned char)(rd.close_code >> 8);
    out[2] = (unsigned char)(rd.close_code & 0xFF);
    out[3] = fastexc_ws_reader_at_boundary(&rd) ? '1' : '0';
    put(out, 4);
}

int main(void)
{
    apr_pool_t *pool;
    unsigned char head[5];

    apr_initialize();
    while (fread(head, 1, 5, stdin) == 5) {
        apr_size_t len = get_be(head + 1, 4);
        char *in;

        apr_pool_create(&pool, NULL);
        in = apr_palloc(pool, len + 1);
        if (fread(in, 1, len, stdin) != len) {
            fprintf(stderr, "driver: truncated record\n");
            return 2;
        }
        in[len] = '\0';
        switch (head[0]) {
        case 'P': op_phrases(pool); break;
        case 'J': op_json(pool, in); break;
        case 'F': op_float(pool, (unsigned char *)in, len); break;
        case 'T': case 'R': case 'U': op_utf8(pool, head[0], in, len); break;
        case 'C': op_close(pool, (unsigned char *)in, len); break;
        case 'K': op_key(pool, in); break;
        case 'W': op_reader((unsigned char *)in, len); break;
        default:
            fprintf(stderr, "driver: unknown op %c\n", head[0]);
            return 2;
        }
        apr_pool_destroy(pool);
    }
    fflush(stdout);
    apr_terminate();
    return 0;
}
