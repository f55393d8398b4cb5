/*
 * check_ws.c - Check tests of the pure WebSocket logic: close codes, keys,
 * Close frames, UTF-8 cutting, the client frame reader, the tunnel frame
 * tracker and a tunnel's directions. (check_fastexc.c runs them.)
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"
#include "check_fastexc.h"
#include "fastexc_core.h"
#include "fastexc_ws.h"

/* ---- WebSocket ---- */

static const struct {
    int code;
    int ok;
} code_cases[] = {
    { 1000, 1 }, { 1001, 1 }, { 1003, 1 }, { 1004, 0 }, { 1005, 0 },
    { 1006, 0 }, { 1007, 1 }, { 1011, 1 }, { 1013, 1 }, { 1014, 1 },
    { 1015, 0 }, { 1016, 0 }, { 2999, 0 }, { 3000, 1 }, { 4000, 1 },
    { 4999, 1 }, { 5000, 0 }, { 999, 0 }, { 0, 0 }, { -1, 0 },
};

START_TEST(test_ws_code)
{
    ck_assert_msg((fastexc_ws_code_check(code_cases[_i].code) == NULL)
                  == code_cases[_i].ok, "code %d", code_cases[_i].code);
}
END_TEST

static const struct {
    const char *label, *key, *accept; /* accept NULL: key refused */
} key_cases[] = {
    { "RFC 6455 sample", "dGhlIHNhbXBsZSBub25jZQ==",
      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" },
    { "all zero bytes", "AAAAAAAAAAAAAAAAAAAAAA==",
      "ICX+Yqv66kxgM0FcWaLWlFLwTAI=" },
    { "too short", "dGhlIHNhbXBsZQ==", NULL },
    { "no padding", "dGhlIHNhbXBsZSBub25jZQ", NULL },
    { "bad character", "dGhlIHNhbXBsZSBub25j*Q==", NULL },
    { "17 bytes", "dGhlIHNhbXBsZSBub25jZR==", NULL },
    { "empty", "", NULL },
    { "crlf", "dGhlIHNhbXBsZSBub25j\r\nQ==", NULL },
};

START_TEST(test_ws_key)
{
    const char *err = fastexc_ws_key_check(key_cases[_i].key);

    if (!key_cases[_i].accept) {
        ck_assert_msg(err != NULL, "%s accepted", key_cases[_i].label);
    }
    else {
        char accept[FASTEXC_WS_ACCEPT_LEN + 1];
        ck_assert_msg(err == NULL, "%s: %s", key_cases[_i].label, err);
        fastexc_ws_accept(key_cases[_i].key, accept);
        ck_assert_str_eq(accept, key_cases[_i].accept);
    }
}
END_TEST

static const struct {
    const char *label;
    int code;
    const char *reason;
    apr_size_t len;
    const char *frame;
    apr_size_t flen;
} frame_cases[] = {
    { "no reason", 1000, "", 0, "\x88\x02\x03\xe8", 4 },
    { "reason", 1008, "Policy", 6, "\x88\x08\x03\xf0Policy", 10 },
    { "application code", 4001, "x", 1, "\x88\x03\x0f\xa1x", 5 },
    { "utf-8 reason", 1011, "\xc3\xa9", 2, "\x88\x04\x03\xf3\xc3\xa9", 6 },
};

START_TEST(test_ws_close_frame)
{
    unsigned char buf[FASTEXC_WS_CLOSE_FRAME_MAX];
    apr_size_t n = fastexc_ws_close_frame(buf, frame_cases[_i].code,
                                          frame_cases[_i].reason,
                                          frame_cases[_i].len);

    ck_assert_int_eq(n, frame_cases[_i].flen);
    ck_assert_msg(memcmp(buf, frame_cases[_i].frame, n) == 0, "%s",
                  frame_cases[_i].label);
}
END_TEST

START_TEST(test_ws_close_frame_max)
{
    unsigned char buf[FASTEXC_WS_CLOSE_FRAME_MAX];
    char reason[200];
    apr_size_t n;

    memset(reason, 'r', sizeof(reason));
    n = fastexc_ws_close_frame(buf, 1000, reason, 123);
    ck_assert_int_eq(n, 127);
    ck_assert_int_eq(buf[1], 125);
    /* longer reasons are capped, never overflowing a control frame */
    n = fastexc_ws_close_frame(buf, 1000, reason, 200);
    ck_assert_int_eq(n, 127);
}
END_TEST

static const struct {
    const char *label, *s;
    apr_size_t max, cut;
    int valid;
} cut_cases[] = {
    { "short", "abc", 10, 3, 1 },
    { "exact", "abc", 3, 3, 1 },
    { "ascii cut", "abcdef", 4, 4, 1 },
    { "before 2-byte char", "ab\xc3\xa9", 3, 2, 1 },
    { "after 2-byte char", "ab\xc3\xa9z", 4, 4, 1 },
    { "inside 3-byte char", "a\xe2\x82\xac", 3, 1, 1 },
    { "inside 4-byte char", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 6, 4, 1 },
    { "zero", "\xc3\xa9", 0, 0, 1 },
    { "invalid bytes", "a\xff", 5, 2, 0 },
    { "lone continuation", "\x80", 5, 1, 0 },
};

START_TEST(test_utf8_cut)
{
    apr_size_t len = strlen(cut_cases[_i].s);

    ck_assert_msg(fastexc_utf8_cut(cut_cases[_i].s, len, cut_cases[_i].max)
                  == cut_cases[_i].cut, "%s", cut_cases[_i].label);
    ck_assert_int_eq(fastexc_utf8_valid(cut_cases[_i].s, len),
                     cut_cases[_i].valid);
}
END_TEST

/* Build a client frame: masked unless told, with the header bits given. */
static apr_size_t client_frame(unsigned char *out, int b0, int masked,
                               const unsigned char *payload, apr_size_t len)
{
    static const unsigned char mask[4] = { 0x11, 0x22, 0x33, 0x44 };
    apr_size_t n = 0, i;

    out[n++] = (unsigned char)b0;
    if (len < 126) {
        out[n++] = (unsigned char)((masked ? 0x80 : 0) | len);
    }
    else {
        out[n++] = (unsigned char)((masked ? 0x80 : 0) | 126);
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)(len & 0xFF);
    }
    if (masked) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    for (i = 0; i < len; i++) {
        out[n++] = masked ? payload[i] ^ mask[i % 4] : payload[i];
    }
    return n;
}

enum { F_CLOSE_1000, F_CLOSE_EMPTY, F_TEXT, F_BIG_BINARY, F_PING, F_UNMASKED,
       F_RSV, F_OPCODE3, F_LONG_PING, F_FRAG_CLOSE, F_CLOSE_1BYTE,
       F_HEADER_ONLY, F_HTTP, F_HUGE64 };

static const struct {
    const char *label;
    int frames[3];          /* built in order; -1 ends */
    apr_size_t chunk;       /* bytes fed at a time */
    fastexc_ws_state_e state;
    int code;
} reader_cases[] = {
    { "close 1000", { F_CLOSE_1000, -1 }, 1000, FASTEXC_WS_CLOSED, 1000 },
    { "close 1000 byte by byte", { F_CLOSE_1000, -1 }, 1,
      FASTEXC_WS_CLOSED, 1000 },
    { "close without code", { F_CLOSE_EMPTY, -1 }, 1000, FASTEXC_WS_CLOSED,
      1005 },
    { "data then close", { F_TEXT, F_PING, F_CLOSE_1000 }, 1000,
      FASTEXC_WS_CLOSED, 1000 },
    { "300-byte frame then close, 7 at a time",
      { F_BIG_BINARY, F_CLOSE_1000, -1 }, 7, FASTEXC_WS_CLOSED, 1000 },
    { "data only", { F_TEXT, -1 }, 1000, FASTEXC_WS_MORE, 1005 },
    { "close header only", { F_HEADER_ONLY, -1 }, 1000, FASTEXC_WS_MORE,
      1005 },
    { "unmasked", { F_UNMASKED, -1 }, 1000, FASTEXC_WS_INVALID, 1005 },
    { "reserved bit", { F_RSV, -1 }, 1000, FASTEXC_WS_INVALID, 1005 },
    { "reserved opcode", { F_OPCODE3, -1 }, 1000, FASTEXC_WS_INVALID, 1005 },
    { "control frame over 125", { F_LONG_PING, -1 }, 1000,
      FASTEXC_WS_INVALID, 1005 },
    { "fragmented close", { F_FRAG_CLOSE, -1 }, 1000, FASTEXC_WS_INVALID,
      1005 },
    { "close with 1-byte payload", { F_CLOSE_1BYTE, -1 }, 1000,
      FASTEXC_WS_INVALID, 1005 },
    { "HTTP instead of frames", { F_HTTP, -1 }, 1000, FASTEXC_WS_INVALID,
      1005 },
    { "64-bit length with the top bit", { F_HUGE64, -1 }, 1000,
      FASTEXC_WS_INVALID, 1005 },
};

static apr_size_t build(unsigned char *out, int which)
{
    static const unsigned char close1000[] = { 0x03, 0xe8, 'b', 'y', 'e' };
    static const unsigned char text[] = "hello";
    unsigned char big[300];

    memset(big, 'x', sizeof(big));
    switch (which) {
    case F_CLOSE_1000:  return client_frame(out, 0x88, 1, close1000, 5);
    case F_CLOSE_EMPTY: return client_frame(out, 0x88, 1, NULL, 0);
    case F_TEXT:        return client_frame(out, 0x81, 1, text, 5);
    case F_BIG_BINARY:  return client_frame(out, 0x82, 1, big, 300);
    case F_PING:        return client_frame(out, 0x89, 1, text, 5);
    case F_UNMASKED:    return client_frame(out, 0x81, 0, text, 5);
    case F_RSV:         return client_frame(out, 0xC1, 1, text, 5);
    case F_OPCODE3:     return client_frame(out, 0x83, 1, text, 5);
    case F_LONG_PING:   return client_frame(out, 0x89, 1, big, 126);
    case F_FRAG_CLOSE:  return client_frame(out, 0x08, 1, close1000, 2);
    case F_CLOSE_1BYTE: return client_frame(out, 0x88, 1, close1000, 1);
    case F_HEADER_ONLY: return client_frame(out, 0x88, 1, close1000, 5) - 5;
    case F_HTTP:        memcpy(out, "GET / HTTP/1.1\r\n", 16); return 16;
    case F_HUGE64: {
        static const unsigned char h[] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0,
                                           0, 1, 1, 2, 3, 4 };
        memcpy(out, h, sizeof(h));
        return sizeof(h);
    }
    }
    return 0;
}

/* Feed buf to a reader chunk bytes at a time; its last state. */
static fastexc_ws_state_e feed_chunks(fastexc_ws_reader_t *rd,
                                      const unsigned char *buf, apr_size_t n,
                                      apr_size_t chunk)
{
    fastexc_ws_state_e st = rd->state;
    apr_size_t off;

    for (off = 0; off < n; off += chunk) {
        st = fastexc_ws_reader_feed(rd, buf + off,
                                    n - off < chunk ? n - off : chunk);
    }
    return st;
}

START_TEST(test_ws_reader)
{
    unsigned char buf[2048];
    apr_size_t n = 0;
    fastexc_ws_reader_t rd;
    fastexc_ws_state_e st;
    int k;

    for (k = 0; k < 3 && reader_cases[_i].frames[k] >= 0; k++) {
        n += build(buf + n, reader_cases[_i].frames[k]);
    }
    fastexc_ws_reader_init(&rd);
    st = feed_chunks(&rd, buf, n, reader_cases[_i].chunk);
    ck_assert_msg(st == reader_cases[_i].state, "%s: state %d",
                  reader_cases[_i].label, st);
    ck_assert_int_eq(rd.close_code, reader_cases[_i].code);
}
END_TEST

/* A tracker follows tunnelled frames either way: where they end, and
 * whether a Close went by. */
enum { T_S_TEXT, T_S_DEFLATE, T_S_BIG, T_S_CLOSE, T_S_CLOSE_NOCODE,
       T_S_PARTIAL, T_S_HEAD_BYTE, T_S_OPCODE3, T_S_FRAG, T_C_TEXT,
       T_C_CLOSE, T_S_HUGE64, T_S_LONG_CLOSE };

static const struct {
    const char *label;
    int frames[4];          /* built in order; -1 ends */
    apr_size_t chunk;       /* bytes fed at a time */
    fastexc_ws_state_e state;
    int boundary;           /* at a frame boundary afterwards */
    int code;
} tracker_cases[] = {
    { "server text", { T_S_TEXT, -1 }, 1000, FASTEXC_WS_MORE, 1, 1005 },
    { "server text byte by byte", { T_S_TEXT, T_S_TEXT, -1 }, 1,
      FASTEXC_WS_MORE, 1, 1005 },
    { "permessage-deflate frame (RSV1)", { T_S_DEFLATE, -1 }, 1000,
      FASTEXC_WS_MORE, 1, 1005 },
    { "300-byte frame, 7 at a time", { T_S_BIG, T_S_TEXT, -1 }, 7,
      FASTEXC_WS_MORE, 1, 1005 },
    { "unknown opcode followed", { T_S_OPCODE3, -1 }, 1000,
      FASTEXC_WS_MORE, 1, 1005 },
    { "fragments", { T_S_FRAG, T_S_FRAG, -1 }, 3, FASTEXC_WS_MORE, 1,
      1005 },
    { "frame cut short", { T_S_TEXT, T_S_PARTIAL, -1 }, 1000,
      FASTEXC_WS_MORE, 0, 1005 },
    { "first header byte only", { T_S_TEXT, T_S_HEAD_BYTE, -1 }, 1000,
      FASTEXC_WS_MORE, 0, 1005 },
    { "server close 1011", { T_S_TEXT, T_S_CLOSE, -1 }, 1000,
      FASTEXC_WS_CLOSED, 0, 1011 },
    { "server close 1011 byte by byte", { T_S_CLOSE, -1 }, 1,
      FASTEXC_WS_CLOSED, 0, 1011 },
    { "server close without code", { T_S_CLOSE_NOCODE, -1 }, 1000,
      FASTEXC_WS_CLOSED, 0, 1005 },
    { "frames after a close change nothing", { T_S_CLOSE, T_S_TEXT, -1 },
      1000, FASTEXC_WS_CLOSED, 0, 1011 },
    { "client frames (masked)", { T_C_TEXT, T_C_TEXT, -1 }, 5,
      FASTEXC_WS_MORE, 1, 1005 },
    { "client close (masked)", { T_C_TEXT, T_C_CLOSE, -1 }, 4,
      FASTEXC_WS_CLOSED, 0, 1000 },
    { "64-bit length with the top bit", { T_S_HUGE64, -1 }, 1000,
      FASTEXC_WS_INVALID, 0, 1005 },
    { "close longer than 125", { T_S_LONG_CLOSE, -1 }, 1000,
      FASTEXC_WS_INVALID, 0, 1005 },
};

static apr_size_t tracker_build(unsigned char *out, int which)
{
    static const unsigned char code1011[] = { 0x03, 0xf3, 'g', 'o', 'n',
                                               'e' };
    static const unsigned char code1000[] = { 0x03, 0xe8 };
    static const unsigned char text[] = "hello";
    unsigned char big[300];

    memset(big, 'x', sizeof(big));
    switch (which) {
    case T_S_TEXT:        return client_frame(out, 0x81, 0, text, 5);
    case T_S_DEFLATE:     return client_frame(out, 0xC1, 0, text, 5);
    case T_S_BIG:         return client_frame(out, 0x82, 0, big, 300);
    case T_S_CLOSE:       return client_frame(out, 0x88, 0, code1011, 6);
    case T_S_CLOSE_NOCODE: return client_frame(out, 0x88, 0, NULL, 0);
    case T_S_PARTIAL:     return client_frame(out, 0x81, 0, text, 5) - 2;
    case T_S_HEAD_BYTE:   out[0] = 0x81; return 1;
    case T_S_OPCODE3:     return client_frame(out, 0x83, 0, text, 5);
    case T_S_FRAG:        return client_frame(out, 0x01, 0, text, 5);
    case T_C_TEXT:        return client_frame(out, 0x81, 1, text, 5);
    case T_C_CLOSE:       return client_frame(out, 0x88, 1, code1000, 2);
    case T_S_LONG_CLOSE:  return client_frame(out, 0x88, 0, big, 200);
    case T_S_HUGE64: {
        static const unsigned char h[] = { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0,
                                           0, 1 };
        memcpy(out, h, sizeof(h));
        return sizeof(h);
    }
    }
    return 0;
}

START_TEST(test_ws_tracker)
{
    unsigned char buf[2048];
    apr_size_t n = 0;
    fastexc_ws_reader_t rd;
    fastexc_ws_state_e st;
    int k;

    for (k = 0; k < 4 && tracker_cases[_i].frames[k] >= 0; k++) {
        n += tracker_build(buf + n, tracker_cases[_i].frames[k]);
    }
    fastexc_ws_tracker_init(&rd);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 1);
    st = feed_chunks(&rd, buf, n, tracker_cases[_i].chunk);
    ck_assert_msg(st == tracker_cases[_i].state, "%s: state %d",
                  tracker_cases[_i].label, st);
    ck_assert_msg(fastexc_ws_reader_at_boundary(&rd)
                  == tracker_cases[_i].boundary, "%s: boundary",
                  tracker_cases[_i].label);
    ck_assert_int_eq(rd.close_code, tracker_cases[_i].code);
}
END_TEST

/* Payloads can be passed over unread: the tunnel's buckets are never read
 * past a frame header. */
START_TEST(test_ws_tracker_skip)
{
    fastexc_ws_reader_t rd;
    static const unsigned char head[] = { 0x82, 0x7E, 0x01, 0x2C };  /* 300 */
    static const unsigned char close[] = { 0x88, 0x02, 0x03, 0xe8 };

    fastexc_ws_tracker_init(&rd);
    ck_assert(fastexc_ws_reader_skippable(&rd) == 0);
    fastexc_ws_reader_feed(&rd, head, sizeof(head));
    ck_assert(fastexc_ws_reader_skippable(&rd) == 300);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 0);
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 301), 0);   /* too much */
    ck_assert(fastexc_ws_reader_skippable(&rd) == 300);
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 100), 1);
    ck_assert(fastexc_ws_reader_skippable(&rd) == 200);
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 200), 1);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 1);
    /* a Close's payload is read, never skipped */
    fastexc_ws_reader_feed(&rd, close, 2);
    ck_assert(fastexc_ws_reader_skippable(&rd) == 0);
    fastexc_ws_reader_feed(&rd, close + 2, 2);
    ck_assert_int_eq(rd.state, FASTEXC_WS_CLOSED);
    ck_assert_int_eq(rd.close_code, 1000);
}
END_TEST

/* Passing over 0 bytes changes nothing, even inside a frame header (a
 * zero-length bucket in a tunnel once reset a header in part). */
START_TEST(test_ws_tracker_skip_zero)
{
    fastexc_ws_reader_t rd;
    static const unsigned char frames[] = { 0x81, 0x02, 'h', 'i',
                                            0x88, 0x02, 0x03, 0xe8 };

    fastexc_ws_tracker_init(&rd);
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 0), 1);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 1);
    fastexc_ws_reader_feed(&rd, frames, 1);             /* half a header */
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 0), 1);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 0);
    fastexc_ws_reader_feed(&rd, frames + 1, 3);         /* its end */
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 1);
    fastexc_ws_reader_feed(&rd, frames + 4, 4);
    ck_assert_int_eq(rd.state, FASTEXC_WS_CLOSED);
}
END_TEST

/* fastexc_ws_reader_feed_frame() stops where each frame ends: every
 * boundary in a buffer is found, whatever the pieces it comes in. */
static const struct {
    const char *label;
    const char *bytes;
    apr_size_t len;
    apr_size_t chunk;           /* fed at most this many at a time */
    apr_size_t ends[6];         /* offsets where a frame ends; 0 ends */
} frame_end_cases[] = {
    { "two small frames", "\x81\x02hi\x82\x01x", 7, 100, { 4, 7 } },
    { "byte by byte", "\x81\x02hi\x82\x01x", 7, 1, { 4, 7 } },
    { "empty frames", "\x89\x00\x8a\x00\x81\x00", 6, 100, { 2, 4, 6 } },
    { "16-bit length", "\x82\x7e\x00\x03" "abc\x81\x00", 9, 100, { 7, 9 } },
    { "16-bit length in threes", "\x82\x7e\x00\x03" "abc\x81\x00", 9, 3,
      { 7, 9 } },
    { "masked client frame", "\x81\x82mask\x05\x0d\x81\x00", 10, 100,
      { 8, 10 } },
    { "frame not finished", "\x81\x05he", 4, 100, { 0 } },
    { "header not finished", "\x81\x02hi\x82", 5, 100, { 4 } },
};

START_TEST(test_ws_feed_frame)
{
    fastexc_ws_reader_t rd;
    const unsigned char *b = (const unsigned char *)frame_end_cases[_i].bytes;
    apr_size_t off = 0, n_ends = 0;

    fastexc_ws_tracker_init(&rd);
    while (off < frame_end_cases[_i].len) {
        apr_size_t left = frame_end_cases[_i].len - off;
        apr_size_t chunk = left < frame_end_cases[_i].chunk
            ? left : frame_end_cases[_i].chunk;
        apr_size_t n = fastexc_ws_reader_feed_frame(&rd, b + off, chunk);
        ck_assert_msg(n > 0 && n <= chunk, "%s: took %lu of %lu",
                      frame_end_cases[_i].label, (unsigned long)n,
                      (unsigned long)chunk);
        off += n;
        if (fastexc_ws_reader_at_boundary(&rd)) {
            ck_assert_msg(off == frame_end_cases[_i].ends[n_ends],
                          "%s: frame end %lu at %lu",
                          frame_end_cases[_i].label, (unsigned long)n_ends,
                          (unsigned long)off);
            n_ends++;
        }
        else {
            /* between boundaries only at the end of a piece */
            ck_assert_msg(n == chunk, "%s: stopped inside a frame at %lu",
                          frame_end_cases[_i].label, (unsigned long)off);
        }
    }
    ck_assert_msg(frame_end_cases[_i].ends[n_ends] == 0,
                  "%s: a frame end missed", frame_end_cases[_i].label);
}
END_TEST

/* fastexc_ws_tracker_head() takes a whole header at once exactly as
 * fastexc_ws_reader_feed() a byte at a time would, or takes nothing. */
static const struct {
    const char *label;
    const char *bytes;
    apr_size_t len;
    apr_size_t took;            /* 0: left to be fed */
} head_cases[] = {
    { "7-bit length", "\x81\x02hi", 4, 2 },
    { "16-bit length, masked", "\x82\xfe\x01\x00mask", 8, 8 },
    { "64-bit length, masked",
      "\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00mask", 14, 14 },
    { "64-bit length, unmasked", "\x02\x7f\x00\x00\x00\x00\x00\x00\x00\x05"
      "abcde", 15, 10 },
    { "no payload", "\x89\x00\x81\x01x", 5, 2 },
    { "a Close is fed", "\x88\x02\x03\xe8", 4, 0 },
    { "a header in part", "\x82\xff\x00\x00", 4, 0 },
    { "a forbidden length", "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10,
      0 },
};

/* a and b agree on what a tunnel asks of a tracker */
static int check_ws_same(const fastexc_ws_reader_t *a,
                         const fastexc_ws_reader_t *b)
{
    return a->state == b->state && a->opcode == b->opcode
        && a->skip == b->skip && a->close_code == b->close_code
        && a->head_len == b->head_len
        && (a->head_len == 0 || (a->head[0] == b->head[0]
                                 && a->head[1] == b->head[1]))
        && fastexc_ws_reader_at_boundary(a)
           == fastexc_ws_reader_at_boundary(b)
        && fastexc_ws_reader_skippable(a) == fastexc_ws_reader_skippable(b);
}

START_TEST(test_ws_tracker_head)
{
    fastexc_ws_reader_t a, b;
    const unsigned char *p = (const unsigned char *)head_cases[_i].bytes;
    apr_size_t len = head_cases[_i].len, k, i;

    fastexc_ws_tracker_init(&a);
    fastexc_ws_tracker_init(&b);
    k = fastexc_ws_tracker_head(&a, p, len);
    ck_assert_msg(k == head_cases[_i].took, "%s: took %lu",
                  head_cases[_i].label, (unsigned long)k);
    fastexc_ws_reader_feed(&a, p + k, len - k);
    for (i = 0; i < len; i++) {
        fastexc_ws_reader_feed(&b, p + i, 1);
    }
    ck_assert_msg(check_ws_same(&a, &b), "%s: not as fed",
                  head_cases[_i].label);
    /* a reader (not a tracker), or a tracker inside a frame: nothing */
    fastexc_ws_reader_init(&a);
    ck_assert_int_eq(fastexc_ws_tracker_head(&a, p, len), 0);
    fastexc_ws_tracker_init(&a);
    fastexc_ws_reader_feed(&a, p, 1);
    ck_assert_int_eq(fastexc_ws_tracker_head(&a, p, len), 0);
}
END_TEST

/* fastexc_ws_tracker_hop() in a 3-byte payload that ends where the bytes
 * start: whole headers (and payloads) taken as fed, up to a payload that
 * goes on past them (left: how much of it is still to come), or nothing
 * taken (left 0). */
static const struct {
    const char *label;
    const char *bytes;
    apr_size_t len;
    apr_uint64_t left;
} hop_cases[] = {
    { "64-bit length", "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00xy", 12,
      65534 },
    { "64-bit length, masked",
      "\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00maskxy", 16, 65534 },
    { "16-bit length, masked, header alone", "\x82\xfe\x01\x00mask", 8,
      256 },
    { "a whole frame, then a header", "\x81\x02hi\x82\x05" "ab", 8, 3 },
    { "a ping without payload, then a header", "\x89\x00\x82\x05" "ab", 6, 3 },
    { "fragments, a pong between", "\x01\x01" "a\x8a\x00\x80\x7e\x01\x00", 9,
      256 },
    { "a Close", "\x88\x02\x03\xe8", 4, 0 },
    { "a Close after a whole frame", "\x81\x01x\x88\x00", 5, 0 },
    { "a header in part", "\x82\xff\x00\x00", 4, 0 },
    { "a frame ending with the bytes", "\x81\x02hi", 4, 0 },
    { "one byte", "\x82", 1, 0 },
    { "nothing", "", 0, 0 },
    { "a forbidden length", "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00x", 11,
      0 },
};

START_TEST(test_ws_tracker_hop)
{
    fastexc_ws_reader_t a, b, before;
    const unsigned char *p = (const unsigned char *)hop_cases[_i].bytes;
    apr_size_t len = hop_cases[_i].len, i;
    apr_uint64_t left;

    fastexc_ws_tracker_init(&a);
    fastexc_ws_reader_feed(&a, (const unsigned char *)"\x82\x03", 2);
    b = before = a;
    fastexc_ws_reader_feed(&b, (const unsigned char *)"abc", 3);
    for (i = 0; i < len; i++) {
        fastexc_ws_reader_feed(&b, p + i, 1);
    }
    left = fastexc_ws_tracker_hop(&a, p, len);
    ck_assert_msg(left == hop_cases[_i].left, "%s: left %lu",
                  hop_cases[_i].label, (unsigned long)left);
    ck_assert_msg(check_ws_same(&a, left ? &b : &before), "%s: not as fed",
                  hop_cases[_i].label);
    /* a reader (not a tracker), a tracker at a boundary or in a Close's
     * payload: nothing */
    fastexc_ws_reader_init(&a);
    fastexc_ws_reader_feed(&a, (const unsigned char *)"\x82\x83mask", 6);
    ck_assert_int_eq(fastexc_ws_tracker_hop(&a, p, len), 0);
    fastexc_ws_tracker_init(&a);
    ck_assert_int_eq(fastexc_ws_tracker_hop(&a, p, len), 0);
    fastexc_ws_reader_feed(&a, (const unsigned char *)"\x88\x02", 2);
    ck_assert_int_eq(fastexc_ws_tracker_hop(&a, p, len), 0);
}
END_TEST

/* fastexc_ws_tracker_follow() over frames cut into buckets of chunk bytes
 * (an EOS last if eos) ends as a tracker fed them all, and says if it
 * met an EOS. */
static const struct {
    const char *label;
    const char *bytes;
    apr_size_t len, chunk;
    int eos;
} follow_cases[] = {
    { "frames in one bucket", "\x81\x02hi\x89\x00\x82\x83maskabc", 15, 15,
      0 },
    { "a byte a bucket", "\x81\x02hi\x89\x00\x82\x83maskabc", 15, 1, 0 },
    { "a 16-bit header cut", "\x82\x7e\x00\x05" "abcde\x81\x00", 11, 3, 1 },
    { "a Close, then more", "\x81\x01x\x88\x82mask\x03\xe8\x81\x00", 13, 4,
      1 },
    { "a header in part, an EOS", "\x82\xff\x00\x00", 4, 2, 1 },
    { "a forbidden length", "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10,
      10, 0 },
};

START_TEST(test_ws_tracker_follow)
{
    apr_bucket_alloc_t *ba = apr_bucket_alloc_create(pool);
    apr_bucket_brigade *bb = apr_brigade_create(pool, ba);
    fastexc_ws_reader_t a, b;
    const char *p = follow_cases[_i].bytes;
    apr_size_t len = follow_cases[_i].len, i, n;
    int eos;

    for (i = 0; i < len; i += n) {
        n = len - i < follow_cases[_i].chunk ? len - i
                                             : follow_cases[_i].chunk;
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(p + i, n, ba));
    }
    if (follow_cases[_i].eos) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    }
    fastexc_ws_tracker_init(&a);
    fastexc_ws_tracker_init(&b);
    fastexc_ws_reader_feed(&b, (const unsigned char *)p, len);
    eos = fastexc_ws_tracker_follow(&a, bb, APR_BRIGADE_FIRST(bb));
    /* a Close ends what is followed: the rest is left as it is */
    ck_assert_msg(eos == (follow_cases[_i].eos && b.state == FASTEXC_WS_MORE),
                  "%s: EOS %d", follow_cases[_i].label, eos);
    ck_assert_msg(check_ws_same(&a, &b), "%s: not as fed",
                  follow_cases[_i].label);
    apr_brigade_destroy(bb);
    apr_bucket_alloc_destroy(ba);
}
END_TEST

/* A tunnel's direction (fastexc_ws_dir_t) read by reads of per_read
 * buckets of bucket bytes (heap buckets, as core's, or immortal ones,
 * which are read), an EOS after the last if eos, each taken as the
 * tunnel's filters take it: the short way (fastexc_ws_dir_pass), the
 * frame ends (fastexc_ws_dir_ends), else the long way from where they
 * stopped. After each read it agrees with a tracker fed every byte so
 * far; long_way reads took the long way (the others read no bucket). */
static const struct {
    const char *label;
    const char *bytes;
    apr_size_t len, bucket, per_read;
    int heap, eos, long_way;
} dir_cases[] = {
    { "the next header whole where a frame ends; a frame ending with a "
      "bucket", "\x82\x0a" "0123456789" "\x82\x0a" "abcdefghij" "\x82\x03"
      "xyz", 29, 8, 1, 1, 0, 3 },
    { "the same in buckets of another type (read)", "\x82\x0a" "0123456789"
      "\x82\x0a" "abcdefghij" "\x82\x03" "xyz", 29, 8, 1, 0, 0, 3 },
    { "the next payload over the read's next bucket; a header cut",
      "\x82\x0a" "0123456789" "\x82\x0a" "abcdefghij" "\x82\x03" "xyz", 29,
      5, 2, 1, 0, 2 },
    { "a Close after a frame's end", "\x82\x0a" "0123456789"
      "\x88\x02\x03\xe8", 16, 8, 1, 1, 0, 2 },
    { "whole frames after a frame's end, then one going on", "\x82\x0a"
      "0123456789" "\x89\x00" "\x81\x01" "h" "\x82\x08" "abcdefgh", 27, 10, 1,
      1, 0, 2 },
    { "the same in buckets of another type (read)", "\x82\x0a" "0123456789"
      "\x89\x00" "\x81\x01" "h" "\x82\x08" "abcdefgh", 27, 10, 1, 0, 0, 2 },
    { "masked (client) frames", "\x82\x8a" "mask" "0123456789" "\x82\x83"
      "mask" "xyz", 25, 12, 1, 1, 0, 2 },
    { "an EOS after what the frame ends pass over", "\x82\x0a" "0123456789"
      "\x82\x0a" "abcdef", 20, 5, 2, 1, 1, 2 },
    { "reads inside one payload", "\x82\x14" "0123456789abcdefghij", 22, 4,
      2, 1, 0, 2 },
    { "two frame ends in one read", "\x82\x0a" "0123456789" "\x82\x04" "abcd"
      "\x82\x08" "efghijkl", 28, 5, 2, 1, 0, 2 },
    { "the same in buckets of another type (read)", "\x82\x0a" "0123456789"
      "\x82\x04" "abcd" "\x82\x08" "efghijkl", 28, 5, 2, 0, 0, 2 },
};

START_TEST(test_ws_dir)
{
    apr_bucket_alloc_t *ba = apr_bucket_alloc_create(pool);
    apr_bucket_brigade *bb = apr_brigade_create(pool, ba);
    fastexc_ws_dir_t d, c;
    fastexc_ws_reader_t b;
    const char *p = dir_cases[_i].bytes;
    apr_size_t len = dir_cases[_i].len, i = 0, n, k;
    apr_uint64_t before;
    apr_bucket *from;
    int long_way = 0, eos = 0;

    fastexc_ws_dir_init(&d);
    fastexc_ws_tracker_init(&b);
    while (i < len) {
        apr_size_t start = i;
        for (k = 0; k < dir_cases[_i].per_read && i < len; k++, i += n) {
            n = len - i < dir_cases[_i].bucket ? len - i
                                               : dir_cases[_i].bucket;
            APR_BRIGADE_INSERT_TAIL(bb, dir_cases[_i].heap
                ? apr_bucket_heap_create(p + i, n, NULL, ba)
                : apr_bucket_immortal_create(p + i, n, ba));
        }
        if (dir_cases[_i].eos && i == len) {
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
        }
        before = d.pass;
        if ((from = fastexc_ws_dir_pass(&d, bb))) {
            /* what a restart's cut does before the long way */
            c = d;
            fastexc_ws_dir_unpass(&c, bb, from);
            ck_assert_msg(c.pass == before, "%s: unpass", dir_cases[_i].label);
            from = fastexc_ws_dir_ends(&d, bb, from);
        }
        if (from) {
            long_way++;
            fastexc_ws_dir_sync(&d);
            eos = fastexc_ws_tracker_follow(&d.rd, bb, from);
            fastexc_ws_dir_synced(&d);
        }
        fastexc_ws_reader_feed(&b, (const unsigned char *)p + start,
                               i - start);
        c = d;
        fastexc_ws_dir_sync(&c);
        ck_assert_msg(check_ws_same(&c.rd, &b), "%s: not as fed at %lu",
                      dir_cases[_i].label, (unsigned long)i);
        apr_brigade_cleanup(bb);
    }
    ck_assert_msg(long_way == dir_cases[_i].long_way, "%s: %d the long way",
                  dir_cases[_i].label, long_way);
    ck_assert_msg(eos == dir_cases[_i].eos, "%s: EOS %d", dir_cases[_i].label,
                  eos);
    apr_brigade_destroy(bb);
    apr_bucket_alloc_destroy(ba);
}
END_TEST

TCase *check_ws_tcase(void)
{
    TCase *tc = tcase_create("websocket");

    tcase_add_checked_fixture(tc, check_setup, check_teardown);
    tcase_add_loop_test(tc, test_ws_code, 0, N(code_cases));
    tcase_add_loop_test(tc, test_ws_key, 0, N(key_cases));
    tcase_add_loop_test(tc, test_ws_close_frame, 0, N(frame_cases));
    tcase_add_test(tc, test_ws_close_frame_max);
    tcase_add_loop_test(tc, test_utf8_cut, 0, N(cut_cases));
    tcase_add_loop_test(tc, test_ws_reader, 0, N(reader_cases));
    tcase_add_loop_test(tc, test_ws_tracker, 0, N(tracker_cases));
    tcase_add_test(tc, test_ws_tracker_skip);
    tcase_add_test(tc, test_ws_tracker_skip_zero);
    tcase_add_loop_test(tc, test_ws_feed_frame, 0, N(frame_end_cases));
    tcase_add_loop_test(tc, test_ws_tracker_head, 0, N(head_cases));
    tcase_add_loop_test(tc, test_ws_tracker_hop, 0, N(hop_cases));
    tcase_add_loop_test(tc, test_ws_tracker_follow, 0, N(follow_cases));
    tcase_add_loop_test(tc, test_ws_dir, 0, N(dir_cases));
    return tc;
}
