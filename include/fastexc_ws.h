/*
 * fastexc_ws.h - mod_fastexc's pure WebSocket logic (RFC 6455): close codes,
 * the opening handshake's accept key, close frames, and a reader that finds
 * the client's Close in the bytes it sends.
 *
 * Internal header; needs only APR and apr-util, so Check tests it without
 * httpd.
 */
#ifndef FASTEXC_WS_H
#define FASTEXC_WS_H

#include "apr.h"
#include "apr_pools.h"

/** Longest close reason: a control frame's payload is at most 125 bytes,
 *  two of which are the code. */
#define FASTEXC_WS_REASON_MAX 123

/** A Close frame is at most 2 + 125 bytes. */
#define FASTEXC_WS_CLOSE_FRAME_MAX 127

/** Length of a Sec-WebSocket-Accept value, without its NUL. */
#define FASTEXC_WS_ACCEPT_LEN 28

/** NULL if code may be sent in a Close frame (1000-1003, 1007-1014,
 *  3000-4999), else why not. */
const char *fastexc_ws_code_check(int code);

/** NULL if key is a valid Sec-WebSocket-Key (base64 of 16 bytes), else why
 *  not. */
const char *fastexc_ws_key_check(const char *key);

/** Sec-WebSocket-Accept for key: base64(SHA-1(key + RFC 6455's GUID)).
 *  out needs FASTEXC_WS_ACCEPT_LEN + 1 bytes. */
void fastexc_ws_accept(const char *key, char *out);

/** Write an unmasked Close frame (server to client) with code and the first
 *  rlen bytes of reason into buf (FASTEXC_WS_CLOSE_FRAME_MAX bytes); rlen
 *  must be at most FASTEXC_WS_REASON_MAX. Returns the frame's length. */
apr_size_t fastexc_ws_close_frame(unsigned char *buf, int code,
                                  const char *reason, apr_size_t rlen);

/** What the reader has seen so far. */
typedef enum {
    FASTEXC_WS_MORE = 0,   /* no Close yet: feed more bytes */
    FASTEXC_WS_CLOSED,     /* the client's Close frame arrived */
    FASTEXC_WS_INVALID     /* bytes that are not client frames */
} fastexc_ws_state_e;

/** Reads the frames a client sends after the server's Close, discarding
 *  their payloads without keeping them: only a frame header (at most 14
 *  bytes) is ever buffered. */
typedef struct {
    unsigned char head[14];
    apr_size_t head_len;
    apr_uint64_t skip;     /* payload bytes of the current frame to skip */
    int opcode;            /* opcode of the current frame */
    fastexc_ws_state_e state;
    int close_code;        /* the client's close code, 1005 if none */
} fastexc_ws_reader_t;

void fastexc_ws_reader_init(fastexc_ws_reader_t *rd);

/** Feed len bytes; returns the reader's state. Once CLOSED or INVALID, the
 *  state stays. */
fastexc_ws_state_e fastexc_ws_reader_feed(fastexc_ws_reader_t *rd,
                                          const unsigned char *data,
                                          apr_size_t len);

#endif /* FASTEXC_WS_H */
