/*
 * fuzz_ws.c - libFuzzer target: the WebSocket pieces that see untrusted or
 * configured bytes: the key check and accept computation, close codes and
 * frames with reasons cut at UTF-8 boundaries, the reader of the
 * client's frames and the tracker of tunnelled frames (fed in chunks the
 * input decides; the tracker passes over payloads unread when it may,
 * and takes the headers after a payload's end at once when it can), and
 * a tunnel's direction (fastexc_ws_dir_*) over reads made of buckets,
 * checked against a tracker fed the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "apr_buckets.h"

#include "fuzz.h"
#include "fastexc_core.h"
#include "fastexc_ws.h"

/* ---- a tunnel's direction over brigades ------------------------------
 * The input is cut as libFuzzer's FuzzedDataProvider does: the bytes the
 * tunnel reads from the front, what shapes its reads (their buckets, the
 * buckets' sizes and types, the way taken) from the back, a byte at a
 * time (0 once the two meet). */
typedef struct {
    const unsigned char *data;
    apr_size_t off, end;
} fuzz_cut_t;

static unsigned fuzz_ctl(fuzz_cut_t *c)
{
    return c->end > c->off ? c->data[--c->end] : 0;
}

#define FUZZ_READ_BUCKETS 4

/* How a read is followed (fuzz_ctl's bits 2-4). */
enum {
    FUZZ_WAY_FAST = 0,  /* 0-5: fastexc_tunnel_origin_in/client_in's */
    FUZZ_WAY_SLOW = 6,  /* the long way from the first bucket, as a read
                           that may not take the short way */
    FUZZ_WAY_TOLD = 7   /* the short way, undone (told of a restart or a
                           stop), then the long way from the start */
};

/* The long way: fastexc_tunnel_origin_read/client_read's on a read that
 * succeeded. Returns what fastexc_ws_tracker_follow() did. */
static int fuzz_long_way(fastexc_ws_dir_t *d, apr_bucket_brigade *bb,
                         apr_bucket *from)
{
    int eos;

    fastexc_ws_dir_sync(d);
    eos = fastexc_ws_tracker_follow(&d->rd, bb, from);
    fastexc_ws_dir_synced(d);
    if (eos && (APR_BRIGADE_EMPTY(bb)
                || !APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb)))) {
        abort();    /* an EOS that is not there (the fuzzer puts it last) */
    }
    return eos;
}

/* One bucket of n bytes at b, of a type t picks: the bytes copied to a
 * buffer of their own (past its end, a read is caught), heap buckets
 * owning theirs; the others' kept in own[*nown] until the brigade is
 * cleaned up. */
static void fuzz_bucket(apr_bucket_brigade *bb, apr_pool_t *p,
                        const unsigned char *b, apr_size_t n, unsigned t,
                        void **own, int *nown)
{
    apr_bucket_alloc_t *ba = bb->bucket_alloc;
    char *buf = malloc(n ? n : 1);
    apr_bucket *e;

    if (!buf) {
        abort();
    }
    memcpy(buf, b, n);
    switch (t & 7) {
    case 4:
        /* a heap bucket split in two, the second's start not 0 (as a
         * read of fewer bytes than core holds leaves it) */
        e = apr_bucket_heap_create(buf, n, free, ba);
        APR_BRIGADE_INSERT_TAIL(bb, e);
        if (n) {
            apr_bucket_split(e, (t >> 3) % (n + 1));
        }
        return;
    case 5:
        e = apr_bucket_transient_create(buf, n, ba);
        break;
    case 6:
        e = apr_bucket_pool_create(buf, n, p, ba);
        break;
    case 7:
        e = apr_bucket_immortal_create(buf, n, ba);
        break;
    default:
        e = apr_bucket_heap_create(buf, n, free, ba);
        APR_BRIGADE_INSERT_TAIL(bb, e);
        return;
    }
    own[(*nown)++] = buf;
    APR_BRIGADE_INSERT_TAIL(bb, e);
}

/* The reads a tunnel's direction makes, followed as
 * glue/mod_fastexc_tunnel.c does, beside a tracker fed their bytes: after
 * each read the direction, synced, says what the tracker says. */
static void fuzz_dir(const unsigned char *data, apr_size_t size,
                     apr_pool_t *p)
{
    apr_bucket_alloc_t *ba = apr_bucket_alloc_create(p);
    apr_bucket_brigade *bb = apr_brigade_create(p, ba);
    fuzz_cut_t cut = { data, 0, size };
    fastexc_ws_dir_t d, c;
    fastexc_ws_reader_t plain;
    void *own[FUZZ_READ_BUCKETS];
    int nown, eos = 0;

    fastexc_ws_dir_init(&d);
    fastexc_ws_tracker_init(&plain);
    while (cut.off < cut.end && !eos) {
        unsigned r = fuzz_ctl(&cut), way = (r >> 2) & 7, last = r >> 5;
        int i, nb = (last == 6) ? 0 : 1 + (int)(r & 3);
        apr_bucket *from;

        /* the read: nb data buckets (none: an empty brigade), an EOS
         * last when last is 7 (or 6 and r odd: an EOS alone) */
        nown = 0;
        for (i = 0; i < nb; i++) {
            unsigned t = fuzz_ctl(&cut), u = fuzz_ctl(&cut);
            apr_size_t n = t < 0xC0 ? t : (apr_size_t)(t - 0xBF) * 64;

            if (n > cut.end - cut.off) {
                n = cut.end - cut.off;
            }
            fuzz_bucket(bb, p, data + cut.off, n, u, own, &nown);
            if (n) {
                fastexc_ws_reader_feed(&plain, data + cut.off, n);
            }
            cut.off += n;
        }
        if (last == 7 || (last == 6 && (r & 1))) {
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
            eos = 1;    /* the tunnel reads no more after it */
        }

        if (way == FUZZ_WAY_SLOW) {
            fuzz_long_way(&d, bb, APR_BRIGADE_FIRST(bb));
        }
        else if ((from = fastexc_ws_dir_pass(&d, bb))) {
            if (way == FUZZ_WAY_TOLD) {
                fastexc_ws_dir_unpass(&d, bb, from);
                fuzz_long_way(&d, bb, APR_BRIGADE_FIRST(bb));
            }
            else if ((from = fastexc_ws_dir_ends(&d, bb, from))) {
                fuzz_long_way(&d, bb, from);
            }
            else if (eos) {
                abort();    /* the short way took an EOS: never seen */
            }
        }
        else if (eos) {
            abort();
        }

        /* the direction as a read now would find it */
        c = d;
        fastexc_ws_dir_sync(&c);
        if (c.rd.state != plain.state
            || fastexc_ws_reader_at_boundary(&c.rd)
               != fastexc_ws_reader_at_boundary(&plain)
            || c.rd.close_code != plain.close_code
            || fastexc_ws_reader_skippable(&c.rd)
               != fastexc_ws_reader_skippable(&plain)) {
            abort();    /* the reads not followed as fed */
        }
        if (d.pass != fastexc_ws_reader_skippable(&c.rd)) {
            abort();    /* the short way would pass over other bytes */
        }
        apr_brigade_cleanup(bb);
        for (i = 0; i < nown; i++) {
            free(own[i]);
        }
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    apr_pool_t *p;
    char *s;
    unsigned char frame[FASTEXC_WS_CLOSE_FRAME_MAX];
    char accept[FASTEXC_WS_ACCEPT_LEN + 1];
    fastexc_ws_reader_t rd, tr, th;
    fastexc_ws_state_e st = FASTEXC_WS_MORE, tst = FASTEXC_WS_MORE, prev;
    apr_size_t off, cut, n;
    int code;

    p = fuzz_pool();
    s = apr_pstrmemdup(p, (const char *)data, size);

    /* Sec-WebSocket-Key */
    if (!fastexc_ws_key_check(s)) {
        fastexc_ws_accept(s, accept);
        if (strlen(accept) != FASTEXC_WS_ACCEPT_LEN) {
            abort();
        }
    }

    /* a close with a reason from the input */
    code = size >= 2 ? (data[0] << 8 | data[1]) : 1000;
    cut = fastexc_utf8_cut(s, size, FASTEXC_WS_REASON_MAX);
    if (cut > FASTEXC_WS_REASON_MAX ? size > FASTEXC_WS_REASON_MAX
                                    : (size <= FASTEXC_WS_REASON_MAX
                                       && cut != size)) {
        abort();
    }
    if (fastexc_utf8_valid(s, size) && !fastexc_utf8_valid(s, cut)) {
        abort();
    }
    if (!fastexc_ws_code_check(code)) {
        n = fastexc_ws_close_frame(frame, code, s, cut);
        if (n != 4 + (cut > FASTEXC_WS_REASON_MAX ? FASTEXC_WS_REASON_MAX
                                                  : cut)
            || frame[0] != 0x88 || frame[1] != n - 2) {
            abort();
        }
    }

    /* the reader, in chunks of 1 + data[0] % 16 bytes */
    fastexc_ws_reader_init(&rd);
    fastexc_ws_tracker_init(&tr);
    /* th: whole headers taken at once where it can, the rest fed */
    fastexc_ws_tracker_init(&th);
    for (off = 0; off < size; off += n) {
        apr_uint64_t skip;
        n = size ? 1 + data[0] % 16 : 1;
        if (n > size - off) {
            n = size - off;
        }
        prev = st;
        st = fastexc_ws_reader_feed(&rd, data + off, n);
        if (prev != FASTEXC_WS_MORE && st != prev) {
            abort();   /* CLOSED and INVALID are final */
        }
        prev = tst;
        skip = fastexc_ws_reader_skippable(&tr);
        if (!(data[off] & 1) || !fastexc_ws_reader_skip(&tr, n)) {
            if (skip >= n && (data[off] & 1)) {
                abort();    /* skippable bytes were refused */
            }
            tst = fastexc_ws_reader_feed(&tr, data + off, n);
        }
        {
            /* a payload that ends in the chunk: the headers after it at
             * once where they can be (fastexc_ws_tracker_hop) */
            apr_uint64_t sk = fastexc_ws_reader_skippable(&th);
            apr_size_t k;
            if (!sk || sk >= n || !(data[off] & 2)
                || !fastexc_ws_tracker_hop(&th, data + off + sk, n - sk)) {
                k = fastexc_ws_tracker_head(&th, data + off, n);
                fastexc_ws_reader_feed(&th, data + off + k, n - k);
            }
        }
        if (th.state != tr.state
            || fastexc_ws_reader_at_boundary(&th)
               != fastexc_ws_reader_at_boundary(&tr)
            || fastexc_ws_reader_skippable(&th)
               != fastexc_ws_reader_skippable(&tr)
            || th.close_code != tr.close_code) {
            abort();    /* a header taken at once, not as fed */
        }
        if ((prev != FASTEXC_WS_MORE && tst != prev)
            || (fastexc_ws_reader_at_boundary(&tr)
                && tst != FASTEXC_WS_MORE)) {
            abort();
        }
    }

    fuzz_dir(data, size, p);
    apr_pool_destroy(p);
    return 0;
}
