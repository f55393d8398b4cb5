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
#include "apr_buckets.h"

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
    int close_code;        /* the Close frame's code, 1005 if none */
    int track;             /* a tracker (fastexc_ws_tracker_init) */
} fastexc_ws_reader_t;

void fastexc_ws_reader_init(fastexc_ws_reader_t *rd);

/** A tracker follows a tunnelled frame stream in either direction: the
 *  framing only (any RSV bits and opcode, masked or not), so it knows where
 *  frames end and whether a Close went by. Fed and queried like a reader;
 *  INVALID only for a length RFC 6455 forbids (then it can no longer tell
 *  where frames end). */
void fastexc_ws_tracker_init(fastexc_ws_reader_t *rd);

/** 1 if the bytes fed so far end exactly where a frame ends (and no Close
 *  went by). Inline: a tunnel asks after each read. */
static APR_INLINE int
fastexc_ws_reader_at_boundary(const fastexc_ws_reader_t *rd)
{
    return rd->state == FASTEXC_WS_MORE && rd->opcode < 0
        && rd->head_len == 0;
}

/** Payload bytes that may be passed over without being read: the rest of
 *  the current data frame's payload (0 in a header or a Close). Inline:
 *  a tunnel asks for every bucket it carries. */
static APR_INLINE apr_uint64_t
fastexc_ws_reader_skippable(const fastexc_ws_reader_t *rd)
{
    return (rd->state == FASTEXC_WS_MORE && rd->opcode >= 0
            && rd->opcode != 8) ? rd->skip : 0;
}

/** Pass over n payload bytes unread if n <= fastexc_ws_reader_skippable():
 *  returns 1; else 0, nothing changes, and the bytes are to be fed. */
static APR_INLINE int fastexc_ws_reader_skip(fastexc_ws_reader_t *rd,
                                             apr_uint64_t n)
{
    if (n == 0) {
        return 1;   /* nothing to pass over; a header in part stays */
    }
    if (n > fastexc_ws_reader_skippable(rd)) {
        return 0;
    }
    rd->skip -= n;
    if (rd->skip == 0) {
        rd->opcode = -1;
        rd->head_len = 0;
    }
    return 1;
}

/** Feed len bytes; returns the reader's state. Once CLOSED or INVALID, the
 *  state stays. */
fastexc_ws_state_e fastexc_ws_reader_feed(fastexc_ws_reader_t *rd,
                                          const unsigned char *data,
                                          apr_size_t len);

/** A tracker at a frame boundary with avail bytes at p: if they start with
 *  the whole header of a frame other than a Close, take it as
 *  fastexc_ws_reader_feed() would (the tracker is then in that frame's
 *  payload, or at the next boundary if it has none; of the header, only
 *  its first two bytes are kept) and return its size.
 *  Else 0 and nothing changes: feed the bytes. A tunnel's long way reads
 *  headers this way, at once. */
apr_size_t fastexc_ws_tracker_head(fastexc_ws_reader_t *rd,
                                   const unsigned char *p, apr_size_t avail);

/** A tracker in the payload of a frame other than a Close, which ends
 *  where the avail bytes at p start (rd->skip may count more: the caller
 *  keeps the count): if they hold the whole headers of frames other than
 *  a Close, and the last frame's payload goes on past them, take them as
 *  fastexc_ws_reader_feed() would (payloads within them passed over) and
 *  return how much of that payload is still to come, also put in
 *  rd->skip. Else 0 and nothing changes (the bytes are to be followed the
 *  long way). At most avail bytes are looked at. A tunnel passes over most
 *  frame ends this way (fastexc_ws_dir_ends). */
apr_uint64_t fastexc_ws_tracker_hop(fastexc_ws_reader_t *rd,
                                    const unsigned char *p, apr_size_t avail);

/** Follow a tracker through bb from bucket e on, in order, until a Close
 *  or frames that can no longer be followed: a payload the tracker may
 *  pass over is never read (nor morphed), only buckets holding frame
 *  headers are, and in those, payloads are passed over to their ends and
 *  whole headers taken at once; the rest is fed. A bucket that cannot be
 *  read makes it INVALID. Returns 1 at an EOS (what follows is not
 *  looked at), else 0. A tunnel's long way. */
int fastexc_ws_tracker_follow(fastexc_ws_reader_t *rd,
                              apr_bucket_brigade *bb, apr_bucket *e);

/** Feed bytes up to the end of the frame under way and no further: returns
 *  how many of the len bytes were taken. The reader is then at a boundary
 *  if a frame ended there (fastexc_ws_reader_at_boundary), so a caller can
 *  find every frame boundary in a buffer. */
apr_size_t fastexc_ws_reader_feed_frame(fastexc_ws_reader_t *rd,
                                        const unsigned char *data,
                                        apr_size_t len);

/** One direction of a tunnel's frames, followed as the tunnel reads them
 *  (fastexc_ws_dir_init). Of the current data frame's payload, reads may
 *  pass over pass bytes by their length alone (fastexc_ws_dir_pass);
 *  rd.skip is brought up to date only when rd is needed
 *  (fastexc_ws_dir_sync), as it was synced bytes ago (where
 *  fastexc_ws_dir_ends moved rd on to a later frame, as of that). pass is
 *  not 0 only inside the payload of a frame other than a Close (of a
 *  tracker, in MORE): fastexc_ws_dir_ends relies on it. */
typedef struct {
    fastexc_ws_reader_t rd;
    apr_uint64_t pass, synced;
} fastexc_ws_dir_t;

/** A tracker at the start of a frame stream, nothing to pass over. */
void fastexc_ws_dir_init(fastexc_ws_dir_t *d);

/** The short way, for most reads: all of what a read returned (bb) lies
 *  inside the current data frame's payload, short of its end, and ends
 *  with data (no EOS). Passed over by its length, never read (nor
 *  morphed): returns NULL. Else the bucket it stopped at, what came
 *  before it passed over: for fastexc_ws_dir_ends. Inline and small: a
 *  tunnel runs it for every read. */
static APR_INLINE apr_bucket *fastexc_ws_dir_pass(fastexc_ws_dir_t *d,
                                                  apr_bucket_brigade *bb)
{
    apr_uint64_t left = d->pass;
    apr_size_t n = 0;
    apr_bucket *e;

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        n = e->length;
        if (n >= left) {
            break;      /* the frame ends, or a length not known yet */
        }
        left -= n;
    }
    d->pass = left;
    if (e != APR_BRIGADE_SENTINEL(bb)) {
        return e;
    }
    /* nothing, or an EOS last (metadata has no length) */
    return n ? NULL : APR_BRIGADE_LAST(bb);
}

/** Undo fastexc_ws_dir_pass() that stopped at e: what it passed over is
 *  to be followed again, from the first bucket of bb. */
static APR_INLINE void fastexc_ws_dir_unpass(fastexc_ws_dir_t *d,
                                             apr_bucket_brigade *bb,
                                             apr_bucket *e)
{
    apr_bucket *b;

    for (b = APR_BRIGADE_FIRST(bb); b != e; b = APR_BUCKET_NEXT(b)) {
        d->pass += b->length;
    }
}

/** Where fastexc_ws_dir_pass() stopped at e: where the frame under way
 *  ends in it, the frames that follow in e (whole headers of frames other
 *  than a Close, a last payload going on past e) are passed over as
 *  fastexc_ws_tracker_hop() does, and the short way goes on to the end
 *  of bb (most frame ends): NULL. Else the bucket to follow from
 *  (fastexc_ws_dir_sync, then fastexc_ws_tracker_follow), what came
 *  before it passed over; NULL too for an empty bb. Buckets are read
 *  without blocking, only where a frame ends in them. */
apr_bucket *fastexc_ws_dir_ends(fastexc_ws_dir_t *d, apr_bucket_brigade *bb,
                                apr_bucket *e);

/** d->rd as the reads so far left it, before the long way reads it. */
static APR_INLINE void fastexc_ws_dir_sync(fastexc_ws_dir_t *d)
{
    d->rd.skip -= d->synced - d->pass;
    d->synced = d->pass;
}

/** After the long way: what the short way may pass over next. */
static APR_INLINE void fastexc_ws_dir_synced(fastexc_ws_dir_t *d)
{
    d->pass = d->synced = fastexc_ws_reader_skippable(&d->rd);
}

#endif /* FASTEXC_WS_H */
