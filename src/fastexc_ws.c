/*
 * fastexc_ws.c - RFC 6455 pieces for closing a WebSocket with a code and a
 * reason: close codes, UTF-8 cutting, the accept key, Close frames, a
 * reader for the client's frames after our Close, and the tracker that
 * follows a tunnel's frames as the tunnel reads them.
 */
#include <string.h>

#include "apr_base64.h"
#include "apr_lib.h"
#include "apr_sha1.h"
#include "fastexc_ws.h"

/* RFC 6455 1.3 */
#define FASTEXC_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

const char *fastexc_ws_code_check(int code)
{
    /* RFC 6455 7.4.1 and the IANA registry: 1004 is reserved, 1005, 1006
     * and 1015 must never be sent, 1016-2999 are not assigned, 3000-4999
     * are for libraries and applications. */
    if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
        || (code >= 3000 && code <= 4999)) {
        return NULL;
    }
    if (code == 1004 || code == 1005 || code == 1006 || code == 1015) {
        return "1004, 1005, 1006 and 1015 are reserved and never sent";
    }
    return "a close code must be 1000-1003, 1007-1014 or 3000-4999";
}

const char *fastexc_ws_key_check(const char *key)
{
    apr_size_t i;

    /* base64 of 16 bytes: 22 characters and "==" (RFC 6455 4.1) */
    if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=') {
        return "Sec-WebSocket-Key must be the base64 of 16 bytes";
    }
    for (i = 0; i < 22; i++) {
        if (!apr_isalnum(key[i]) && key[i] != '+' && key[i] != '/') {
            return "Sec-WebSocket-Key must be the base64 of 16 bytes";
        }
    }
    /* the last character carries 2 bits: its 4 low bits must be zero */
    if (!strchr("AQgw", key[21])) {
        return "Sec-WebSocket-Key must be the base64 of 16 bytes";
    }
    return NULL;
}

void fastexc_ws_accept(const char *key, char *out)
{
    apr_sha1_ctx_t ctx;
    unsigned char digest[APR_SHA1_DIGESTSIZE];

    apr_sha1_init(&ctx);
    apr_sha1_update(&ctx, key, (unsigned int)strlen(key));
    apr_sha1_update(&ctx, FASTEXC_WS_GUID, sizeof(FASTEXC_WS_GUID) - 1);
    apr_sha1_final(digest, &ctx);
    apr_base64_encode(out, (const char *)digest, sizeof(digest));
}

apr_size_t fastexc_ws_close_frame(unsigned char *buf, int code,
                                  const char *reason, apr_size_t rlen)
{
    if (rlen > FASTEXC_WS_REASON_MAX) {
        rlen = FASTEXC_WS_REASON_MAX;
    }
    buf[0] = 0x88;                       /* FIN + opcode 8 (Close) */
    buf[1] = (unsigned char)(2 + rlen);  /* server frames are unmasked */
    buf[2] = (unsigned char)((code >> 8) & 0xFF);
    buf[3] = (unsigned char)(code & 0xFF);
    if (rlen) {
        memcpy(buf + 4, reason, rlen);
    }
    return 4 + rlen;
}

void fastexc_ws_reader_init(fastexc_ws_reader_t *rd)
{
    memset(rd, 0, sizeof(*rd));
    rd->state = FASTEXC_WS_MORE;
    rd->close_code = 1005;
    rd->opcode = -1;
}

void fastexc_ws_tracker_init(fastexc_ws_reader_t *rd)
{
    fastexc_ws_reader_init(rd);
    rd->track = 1;
}

/* Size of the frame header in head so far, once its first two bytes are
 * known: 2, + 2 or 8 for the extended length, + 4 if masked. */
static apr_size_t fastexc_ws_head_size(const unsigned char *head)
{
    unsigned char len7 = head[1] & 0x7F;

    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0)
        + ((head[1] & 0x80) ? 4 : 0);
}

/* The first two bytes of a header are in rd->head: whether a reader takes
 * them. No extension was negotiated: RSV bits are errors; a client must
 * mask; control frames are whole and short. (A tracker follows the framing
 * only: extensions (RSV), either direction (mask bit), unknown opcodes.) */
static int fastexc_ws_head_allowed(const fastexc_ws_reader_t *rd)
{
    int opcode = rd->head[0] & 0x0F;
    int control = opcode >= 8;
    unsigned char len7 = rd->head[1] & 0x7F;

    return !((rd->head[0] & 0x70) || !(rd->head[1] & 0x80)
             || (opcode > 2 && opcode < 8) || opcode > 10
             || (control && (!(rd->head[0] & 0x80) || len7 > 125)));
}

/* The payload length a whole header h tells, into *plen: 0 for a length
 * RFC 6455 forbids (the top bit set). */
static APR_INLINE int fastexc_ws_head_len(const unsigned char *h,
                                          apr_uint64_t *plen)
{
    unsigned char len7 = h[1] & 0x7F;

    if (len7 == 126) {
        *plen = ((apr_uint64_t)h[2] << 8) | h[3];
    }
    else if (len7 == 127) {
        /* network order, spelled out: compilers make it one swap */
        *plen = ((apr_uint64_t)h[2] << 56) | ((apr_uint64_t)h[3] << 48)
            | ((apr_uint64_t)h[4] << 40) | ((apr_uint64_t)h[5] << 32)
            | ((apr_uint64_t)h[6] << 24) | ((apr_uint64_t)h[7] << 16)
            | ((apr_uint64_t)h[8] << 8) | h[9];
        return !(*plen >> 63);
    }
    else {
        *plen = len7;
    }
    return 1;
}

/* rd->head holds a whole header: its payload comes next. 0 for a length
 * RFC 6455 forbids or a Close payload that cannot start with a code. */
static int fastexc_ws_head_done(fastexc_ws_reader_t *rd)
{
    apr_uint64_t plen;

    if (!fastexc_ws_head_len(rd->head, &plen)) {
        return 0;
    }
    rd->skip = plen;
    rd->opcode = rd->head[0] & 0x0F;
    /* a close payload is empty or starts with a code */
    return !(rd->opcode == 8 && (plen == 1 || plen > 125));
}

fastexc_ws_state_e fastexc_ws_reader_feed(fastexc_ws_reader_t *rd,
                                          const unsigned char *data,
                                          apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len && rd->state == FASTEXC_WS_MORE) {
        if (rd->opcode < 0) {
            /* in a frame header: its first two bytes tell its size */
            apr_size_t need, take;
            if (rd->head_len < 2) {
                if (rd->head_len == 0 && len - i >= 2) {
                    /* both at hand (most headers): at once */
                    rd->head[0] = data[i];
                    rd->head[1] = data[i + 1];
                    rd->head_len = 2;
                    i += 2;
                }
                else {
                    rd->head[rd->head_len++] = data[i++];
                    if (rd->head_len < 2) {
                        continue;
                    }
                }
                if (!rd->track && !fastexc_ws_head_allowed(rd)) {
                    rd->state = FASTEXC_WS_INVALID;
                    break;
                }
            }
            need = fastexc_ws_head_size(rd->head);
            take = need - rd->head_len;
            if (take > len - i) {
                take = len - i;
            }
            memcpy(rd->head + rd->head_len, data + i, take);
            rd->head_len += take;
            i += take;
            if (rd->head_len < need) {
                continue;
            }
            if (!fastexc_ws_head_done(rd)) {
                rd->state = FASTEXC_WS_INVALID;
                break;
            }
        }
        else {
            /* in a payload: skip it; from a Close, read the code */
            apr_size_t avail = len - i;
            apr_size_t take = (rd->skip < avail) ? (apr_size_t)rd->skip
                                                 : avail;
            if (rd->opcode == 8) {
                static const unsigned char nomask[4] = { 0, 0, 0, 0 };
                const unsigned char *mask = (rd->head[1] & 0x80)
                    ? rd->head + rd->head_len - 4 : nomask;
                apr_uint64_t plen = 0;
                apr_size_t k;
                unsigned char len7 = rd->head[1] & 0x7F;
                plen = len7;    /* control frames: len7 <= 125 */
                for (k = 0; k < take; k++) {
                    apr_uint64_t pos = plen - rd->skip + k;
                    if (pos < 2) {
                        int b = data[i + k] ^ mask[pos % 4];
                        rd->close_code = (pos == 0)
                            ? (b << 8) : (rd->close_code & 0xFF00) | b;
                    }
                }
            }
            i += take;
            rd->skip -= take;
        }
        if (rd->opcode >= 0 && rd->skip == 0) {
            /* the frame is complete */
            if (rd->opcode == 8) {
                rd->state = FASTEXC_WS_CLOSED;
                break;
            }
            rd->opcode = -1;
            rd->head_len = 0;
        }
    }
    return rd->state;
}

apr_size_t fastexc_ws_tracker_head(fastexc_ws_reader_t *rd,
                                   const unsigned char *p, apr_size_t avail)
{
    apr_size_t need;
    apr_uint64_t plen;

    if (avail < 2 || (p[0] & 0x0F) == 8 || !rd->track
        || !fastexc_ws_reader_at_boundary(rd)) {
        return 0;
    }
    need = fastexc_ws_head_size(p);
    if (avail < need || !fastexc_ws_head_len(p, &plen)) {
        return 0;   /* fed, a forbidden length is found invalid */
    }
    if (plen == 0) {
        return need;    /* no payload: the frame is complete */
    }
    /* only a Close's header is read again (its mask): the first two
     * bytes tell the rest's size */
    rd->head[0] = p[0];
    rd->head[1] = p[1];
    rd->head_len = need;
    rd->skip = plen;
    rd->opcode = p[0] & 0x0F;
    return need;
}

/* fastexc_ws_tracker_hop() once its tracker is known to be in the payload
 * of a frame other than a Close: inline, for fastexc_ws_dir_ends. */
static APR_INLINE apr_uint64_t fastexc_ws_hop(fastexc_ws_reader_t *rd,
                                              const unsigned char *p,
                                              apr_size_t avail)
{
    apr_size_t need;
    apr_uint64_t plen;
    unsigned char h0, h1;

    /* each turn takes a header (2 bytes at least): avail bounds them */
    for (;;) {
        if (avail < 2) {
            return 0;   /* a header in part, or none */
        }
        h0 = p[0];
        h1 = p[1];
        if ((h0 & 0x0F) == 8) {
            return 0;   /* a Close's: fed */
        }
        need = fastexc_ws_head_size(p);
        if (avail < need || !fastexc_ws_head_len(p, &plen)) {
            return 0;
        }
        avail -= need;
        if (plen > avail) {
            break;
        }
        /* a whole frame: the next header follows */
        avail -= plen;
        p += need + plen;
    }
    /* as fastexc_ws_tracker_head() leaves it, that payload begun (h0, h1
     * kept apart: rd->head could be where p points, as far as a compiler
     * knows) */
    rd->head[0] = h0;
    rd->head[1] = h1;
    rd->head_len = need;
    rd->opcode = h0 & 0x0F;
    return rd->skip = plen - avail;
}

apr_uint64_t fastexc_ws_tracker_hop(fastexc_ws_reader_t *rd,
                                    const unsigned char *p, apr_size_t avail)
{
    if (!rd->track || !fastexc_ws_reader_skippable(rd)) {
        return 0;
    }
    return fastexc_ws_hop(rd, p, avail);
}

int fastexc_ws_tracker_follow(fastexc_ws_reader_t *rd,
                              apr_bucket_brigade *bb, apr_bucket *e)
{
    const char *data;
    apr_size_t len, off, k;
    apr_uint64_t n;

    for (; e != APR_BRIGADE_SENTINEL(bb) && rd->state == FASTEXC_WS_MORE;
         e = APR_BUCKET_NEXT(e)) {
        if (APR_BUCKET_IS_METADATA(e)) {
            if (APR_BUCKET_IS_EOS(e)) {
                return 1;
            }
            continue;
        }
        if (e->length != (apr_size_t)-1
            && fastexc_ws_reader_skip(rd, e->length)) {
            continue;
        }
        if (apr_bucket_read(e, &data, &len, APR_NONBLOCK_READ)
            != APR_SUCCESS) {
            rd->state = FASTEXC_WS_INVALID;     /* can no longer follow */
            break;
        }
        for (off = 0;; off += k) {
            n = fastexc_ws_reader_skippable(rd);
            if (n >= len - off) {
                fastexc_ws_reader_skip(rd, len - off);
                off = len;
                break;
            }
            fastexc_ws_reader_skip(rd, n);
            off += n;
            k = fastexc_ws_tracker_head(rd, (const unsigned char *)data + off,
                                        len - off);
            if (!k) {
                break;
            }
        }
        if (off < len) {
            fastexc_ws_reader_feed(rd, (const unsigned char *)data + off,
                                   len - off);
        }
    }
    return 0;
}

apr_size_t fastexc_ws_reader_feed_frame(fastexc_ws_reader_t *rd,
                                        const unsigned char *data,
                                        apr_size_t len)
{
    apr_size_t i = 0, n;

    /* the header a byte at a time (at most 14): it tells the payload's
     * length; a frame without payload ends with it */
    while (i < len && rd->state == FASTEXC_WS_MORE && rd->opcode < 0) {
        fastexc_ws_reader_feed(rd, data + i++, 1);
        if (fastexc_ws_reader_at_boundary(rd)) {
            return i;
        }
    }
    if (i == len || rd->state != FASTEXC_WS_MORE) {
        return i;
    }
    /* then the payload, up to its last byte */
    n = (rd->skip < len - i) ? (apr_size_t)rd->skip : len - i;
    fastexc_ws_reader_feed(rd, data + i, n);
    return i + n;
}

void fastexc_ws_dir_init(fastexc_ws_dir_t *d)
{
    fastexc_ws_tracker_init(&d->rd);
    d->pass = d->synced = 0;
}

/* The frame under way ends in e (len bytes at data, left of them its
 * payload's): the headers after it are taken (fastexc_ws_hop) and the
 * buckets the next payload covers passed over. Returns the bucket where
 * that payload ends (the sentinel if beyond bb), *left what of it is
 * still to come there; NULL if nothing could be taken (d unchanged). */
static APR_INLINE apr_bucket *fastexc_ws_dir_hop(fastexc_ws_dir_t *d,
                                                 apr_bucket_brigade *bb,
                                                 apr_bucket *e,
                                                 const char *data,
                                                 apr_size_t len,
                                                 apr_uint64_t *left)
{
    apr_uint64_t l = fastexc_ws_hop(&d->rd, (const unsigned char *)data
                                    + *left, len - *left);

    if (!l) {
        return NULL;
    }
    d->synced = l;      /* rd.skip, as of the end of e */
    for (e = APR_BUCKET_NEXT(e); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        if (e->length >= l) {
            break;
        }
        l -= e->length;
    }
    *left = l;
    return e;
}

/* fastexc_ws_dir_ends passed over the rest of bb (not empty): left to
 * pass over next. */
static APR_INLINE apr_bucket *fastexc_ws_dir_end(fastexc_ws_dir_t *d,
                                                 apr_bucket_brigade *bb,
                                                 apr_uint64_t left)
{
    d->pass = left;
    /* an EOS last (metadata has no length) is for the long way */
    return APR_BUCKET_IS_METADATA(APR_BRIGADE_LAST(bb))
           ? APR_BRIGADE_LAST(bb) : NULL;
}

/* fastexc_ws_dir_ends from a bucket of any type on, as many frame ends
 * as there are: read where a frame ends in it. Out of line, so that the
 * first frame end in a heap bucket (most) is followed without a call, nor
 * the registers a loop and a call need saved. */
static __attribute__((noinline))
apr_bucket *fastexc_ws_dir_ends_all(fastexc_ws_dir_t *d,
                                    apr_bucket_brigade *bb, apr_bucket *e,
                                    apr_uint64_t left)
{
    const char *data;
    apr_size_t len;
    apr_bucket *next;

    for (;;) {
        len = e->length;
        if (len == (apr_size_t)-1 || left >= len) {
            break;
        }
        if (e->type == &apr_bucket_type_heap) {
            data = ((apr_bucket_heap *)e->data)->base + e->start;
        }
        else if (apr_bucket_read(e, &data, &len, APR_NONBLOCK_READ)
                 != APR_SUCCESS || len <= left) {
            break;
        }
        if (!(next = fastexc_ws_dir_hop(d, bb, e, data, len, &left))) {
            break;
        }
        if ((e = next) == APR_BRIGADE_SENTINEL(bb)) {
            return fastexc_ws_dir_end(d, bb, left);
        }
    }
    d->pass = left;
    return e;
}

apr_bucket *fastexc_ws_dir_ends(fastexc_ws_dir_t *d, apr_bucket_brigade *bb,
                                apr_bucket *e)
{
    apr_uint64_t left = d->pass;
    apr_bucket *next;

    if (e == APR_BRIGADE_SENTINEL(bb)) {
        return NULL;    /* nothing was read */
    }
    if (!left) {
        return e;       /* no data frame under way: a header, a Close... */
    }
    /* in a payload, which ends in e: left of it */
    if (e->type != &apr_bucket_type_heap) {
        return fastexc_ws_dir_ends_all(d, bb, e, left);
    }
    /* core's: read as heap_bucket_read() does, without a call */
    if (left >= e->length
        || !(next = fastexc_ws_dir_hop(
                 d, bb, e, ((apr_bucket_heap *)e->data)->base + e->start,
                 e->length, &left))) {
        return e;       /* d->pass is left still */
    }
    if (next == APR_BRIGADE_SENTINEL(bb)) {
        return fastexc_ws_dir_end(d, bb, left);
    }
    /* another frame ends in this read */
    return fastexc_ws_dir_ends_all(d, bb, next, left);
}
