/*
 * fuzz_ws.c - libFuzzer target: the WebSocket pieces that see untrusted or
 * configured bytes: the key check and accept computation, close codes and
 * frames with reasons cut at UTF-8 boundaries, the reader of the
 * client's frames and the tracker of tunnelled frames (fed in chunks the
 * input decides; the tracker passes over payloads unread when it may,
 * and takes the headers after a payload's end at once when it can).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fastexc_core.h"
#include "fastexc_ws.h"

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
    apr_pool_destroy(p);
    return 0;
}
