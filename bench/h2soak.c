/*
 * h2soak.c - HTTP/2 load for `make soak` that counts exactly across
 * graceful restarts (libnghttp2; OpenSSL for h2 over TLS).
 *
 *     h2soak [-t] [-S] HOST PORT SECONDS CONNECTIONS STREAMS PER_CONN BODY
 *            PATH=STATUS...
 *
 * Keeps CONNECTIONS connections (h2c with prior knowledge, or h2 over TLS
 * with -t: ALPN h2, the certificate not checked), each with up to STREAMS
 * GET requests in flight, the PATHs in turn, for SECONDS; a connection that
 * has sent PER_CONN requests ends itself (GOAWAY) and a new one is opened,
 * so connections are opened all along, restarts or not. Every answer must
 * be exactly STATUS, content-type application/json and BODY.
 *
 * A server that shuts a connection down sends GOAWAY with the id of the
 * last stream it may have processed; RFC 9113 6.8: streams above it were
 * not processed and can be retried on a new connection, as can a stream
 * reset with REFUSED_STREAM (8.7) and a request never sent. h2soak retries
 * those (at most MAX_ATTEMPTS times each: "retried"). A request is:
 *   answered    a complete response, the expected one
 *   unexpected  a complete response, any other
 *   lost        processed (at or below the last-stream-id, or its
 *               connection ended without GOAWAY, or reset with another
 *               code) and never answered
 *   failed      retried MAX_ATTEMPTS times, or still not done GRACE
 *               seconds after the end
 * One case apart: a stream at or below the last-stream-id of a GOAWAY that
 * carries an error code (the server aborted the connection for an error of
 * its own, not a shutdown) is sent again too, as a client may do with an
 * idempotent request (RFC 9110 9.2.2), and counted as "aborted"; with -S
 * it is lost instead.
 * Prints, per path, "h2soak path=P requests=N answered=N unexpected=N
 * lost=N failed=N retried=N aborted=N", then one line of connection
 * figures, and the first few losses, aborts and unexpected answers on
 * stderr. Exits 0 if nothing was lost, failed or unexpected.
 */
#include "h2soak.h"

/* the run: what was asked, and the counts (h2soak.h) */
const char *host;
int port, tls, strict, nconns, nstreams, per_conn, npaths;
const char *body;
struct path paths[MAX_PATHS];
struct conn conns[MAX_CONNS];
SSL_CTX *ssl_ctx;
struct req *retry_head, *retry_tail;
long outstanding, next_path;
long n_opened, n_goaways, n_error_goaways, n_refused, n_unsent, n_beyond, n_cut,
            n_connect_errors, n_stalls, n_protocol_errors;
int reports;

double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void report(const char *fmt, ...)
{
    va_list ap;

    if (reports++ >= REPORT_MAX) {
        return;
    }
    va_start(ap, fmt);
    fputs("h2soak: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void list_add(struct req **head, struct req *r)
{
    r->prev = NULL;
    r->next = *head;
    if (*head) {
        (*head)->prev = r;
    }
    *head = r;
}

void list_del(struct req **head, struct req *r)
{
    if (r->prev) {
        r->prev->next = r->next;
    }
    else {
        *head = r->next;
    }
    if (r->next) {
        r->next->prev = r->prev;
    }
    r->prev = r->next = NULL;
}

static void retry_push(struct req *r)
{
    r->next = NULL;
    r->prev = retry_tail;
    if (retry_tail) {
        retry_tail->next = r;
    }
    else {
        retry_head = r;
    }
    retry_tail = r;
}

static struct req *retry_pop(void)
{
    struct req *r = retry_head;

    if (r) {
        retry_head = r->next;
        if (retry_head) {
            retry_head->prev = NULL;
        }
        else {
            retry_tail = NULL;
        }
        r->next = r->prev = NULL;
    }
    return r;
}

static void done(struct req *r)
{
    outstanding--;
    free(r);
}

/* Send r again on another connection, or fail it after MAX_ATTEMPTS. */
static void retry(struct req *r)
{
    struct path *p = &paths[r->path];

    if (++r->attempts >= MAX_ATTEMPTS) {
        p->requests++;
        p->failed++;
        report("failed: %s after %d attempts", p->name, r->attempts);
        done(r);
        return;
    }
    r->stream = 0;
    r->sent = r->complete = r->status = r->ctype_ok = r->overflow = 0;
    r->blen = 0;
    retry_push(r);
}

/* The attempt on conn c ended (the stream closed with error_code, or the
 * connection went): count it, retry it, or lose it. */
void finish(struct conn *c, struct req *r, uint32_t error_code,
            int conn_gone)
{
    struct path *p = &paths[r->path];

    if (r->complete) {
        p->requests++;
        if (r->status == p->status && r->ctype_ok && !r->overflow
            && r->blen == strlen(body) && memcmp(r->body, body, r->blen) == 0) {
            p->answered++;
        }
        else {
            p->unexpected++;
            report("unexpected: %s stream %d: status %d, content-type %s, "
                   "body \"%.*s\"%s", p->name, r->stream, r->status,
                   r->ctype_ok ? "ok" : "wrong", (int)r->blen, r->body,
                   r->overflow ? "..." : "");
        }
        done(r);
        return;
    }
    /* not processed: never sent, refused, or above the GOAWAY's id */
    if (!r->sent || error_code == NGHTTP2_REFUSED_STREAM
        || (c->goaway && r->stream > c->last_id)) {
        if (!r->sent) {
            n_unsent++;
        }
        else if (c->goaway && r->stream > c->last_id) {
            n_beyond++;
        }
        else {
            n_refused++;
        }
        p->retried++;
        retry(r);
        return;
    }
    /* maybe processed, on a connection the server aborted for an error of
     * its own (a GOAWAY with an error code): a GET is idempotent, a client
     * may send it again (RFC 9110 9.2.2); counted apart, or lost with -S */
    if (!strict && c->goaway && c->goaway_code != NGHTTP2_NO_ERROR) {
        p->aborted++;
        report("aborted: %s stream %d (attempt %d), sent again: the server "
               "ended the connection with GOAWAY error code %u \"%s\" "
               "(last-stream-id %d); of its answer: status %d, %zu body "
               "bytes", p->name, r->stream, r->attempts + 1, c->goaway_code,
               c->goaway_why, c->last_id, r->status, r->blen);
        retry(r);
        return;
    }
    p->requests++;
    p->lost++;
    if (conn_gone && !c->goaway) {
        n_cut++;
    }
    report("lost: %s stream %d (attempt %d): %s%s, stream error code %u, "
           "GOAWAY %s (last-stream-id %d, error code %u, \"%s\", %.3f s "
           "before), "
           "%s; of its answer: status %d, %zu body bytes", p->name, r->stream,
           r->attempts + 1, conn_gone ? "the connection ended: " : "stream closed",
           conn_gone && c->end ? c->end : "", error_code,
           c->goaway ? "received" : "none", c->last_id, c->goaway_code,
           c->goaway_why, c->goaway ? now() - c->goaway_at : 0.0,
           c->got_frame ? "after the server's first frame" : "before any frame",
           r->status, r->blen);
    done(r);
}

/* ---- nghttp2 callbacks ------------------------------------------------ */

static int on_header(nghttp2_session *s, const nghttp2_frame *f,
                     const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
    struct req *r = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);

    (void)flags; (void)ud;
    if (!r || f->hd.type != NGHTTP2_HEADERS) {
        return 0;
    }
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        r->status = atoi((const char *)value);
    }
    else if (namelen == 12 && memcmp(name, "content-type", 12) == 0) {
        r->ctype_ok = valuelen == 16
                      && memcmp(value, "application/json", 16) == 0;
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t stream,
                   const uint8_t *data, size_t len, void *ud)
{
    struct req *r = nghttp2_session_get_stream_user_data(s, stream);

    (void)flags; (void)ud;
    if (!r) {
        return 0;
    }
    if (r->blen + len > BODY_MAX) {
        r->overflow = 1;
        len = BODY_MAX - r->blen;
    }
    memcpy(r->body + r->blen, data, len);
    r->blen += len;
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    struct conn *c = ud;
    struct req *r;

    c->got_frame = 1;
    if (f->hd.type == NGHTTP2_GOAWAY) {
        if (!c->goaway || f->goaway.last_stream_id < c->last_id) {
            c->last_id = f->goaway.last_stream_id;
        }
        if (!c->goaway) {
            n_goaways++;
            c->goaway_at = now();
        }
        c->goaway = 1;
        snprintf(c->goaway_why, sizeof(c->goaway_why), "%.*s",
                 (int)(f->goaway.opaque_data_len < 40
                       ? f->goaway.opaque_data_len : 40),
                 f->goaway.opaque_data ? (const char *)f->goaway.opaque_data
                                       : "");
        if (f->goaway.error_code != NGHTTP2_NO_ERROR
            && c->goaway_code == NGHTTP2_NO_ERROR) {
            /* the first few, whatever follows: what the server said */
            if (n_error_goaways++ < 3) {
                fprintf(stderr, "h2soak: GOAWAY with error code %u \"%s\" "
                        "(last-stream-id %d, %d streams in flight)\n",
                        f->goaway.error_code, c->goaway_why,
                        f->goaway.last_stream_id, c->inflight);
            }
        }
        c->goaway_code = f->goaway.error_code;
    }
    else if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA)
             && (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        r = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
        if (r) {
            r->complete = 1;
        }
    }
    return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    struct req *r;

    (void)ud;
    if (f->hd.type == NGHTTP2_HEADERS
        && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
        r = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
        if (r) {
            r->sent = 1;
        }
    }
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream,
                           uint32_t error_code, void *ud)
{
    struct conn *c = ud;
    struct req *r = nghttp2_session_get_stream_user_data(s, stream);

    if (!r || c->dead) {
        return 0;
    }
    nghttp2_session_set_stream_user_data(s, stream, NULL);
    list_del(&c->reqs, r);
    c->inflight--;
    finish(c, r, error_code, 0);
    return 0;
}

/* ---- connections ------------------------------------------------------ */

int conn_start_h2(struct conn *c)
{
    nghttp2_session_callbacks *cb;
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 },
        { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20 } };

    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_client_new(&c->s, cb, c);
    nghttp2_session_callbacks_del(cb);
    if (nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, 2) != 0) {
        return -1;
    }
    c->state = C_OPEN;
    return 0;
}

/* Start as many requests on c as it may carry. */
static void conn_submit(struct conn *c, int stopping)
{
    char authority[300];

    snprintf(authority, sizeof(authority), "%s:%d", host, port);
    while (c->state == C_OPEN && !c->goaway && !c->ending
           && c->inflight < nstreams && c->submitted < per_conn) {
        struct req *r = retry_pop();
        const char *pname;
        nghttp2_nv hdrs[4];
        int32_t id;

        if (!r) {
            if (stopping) {
                return;
            }
            r = calloc(1, sizeof(*r));
            if (!r) {
                abort();
            }
            r->path = (int)(next_path++ % npaths);
            outstanding++;
        }
        pname = paths[r->path].name;
#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), \
                   NGHTTP2_NV_FLAG_NONE }
        {
            nghttp2_nv h[4] = { NV(":method", "GET"),
                                NV(":scheme", tls ? "https" : "http"),
                                NV(":authority", authority),
                                NV(":path", pname) };
            memcpy(hdrs, h, sizeof(h));
        }
#undef NV
        id = nghttp2_submit_request(c->s, NULL, hdrs, 4, NULL, r);
        if (id < 0) {
            retry_push(r);
            return;
        }
        r->stream = id;
        list_add(&c->reqs, r);
        c->inflight++;
        c->submitted++;
    }
}

int main(int argc, char **argv)
{
    struct pollfd pfd[MAX_CONNS];
    double seconds, start, deadline, t;
    int i, argi = 1, stopping = 0, bad = 0;

    for (; argi < argc && argv[argi][0] == '-'; argi++) {
        if (strcmp(argv[argi], "-t") == 0) {
            tls = 1;
        }
        else if (strcmp(argv[argi], "-S") == 0) {
            strict = 1;
        }
        else {
            break;
        }
    }
    if (argc - argi < 8) {
        fprintf(stderr, "usage: %s [-t] [-S] HOST PORT SECONDS CONNECTIONS "
                "STREAMS PER_CONN BODY PATH=STATUS...\n", argv[0]);
        return 2;
    }
    host = argv[argi];
    port = atoi(argv[argi + 1]);
    seconds = atof(argv[argi + 2]);
    nconns = atoi(argv[argi + 3]);
    nstreams = atoi(argv[argi + 4]);
    per_conn = atoi(argv[argi + 5]);
    body = argv[argi + 6];
    for (i = argi + 7; i < argc && npaths < MAX_PATHS; i++) {
        char *eq = strrchr(argv[i], '=');

        if (!eq || eq - argv[i] >= (int)sizeof(paths[0].name)) {
            fprintf(stderr, "h2soak: PATH=STATUS, not %s\n", argv[i]);
            return 2;
        }
        memcpy(paths[npaths].name, argv[i], (size_t)(eq - argv[i]));
        paths[npaths].status = atoi(eq + 1);
        npaths++;
    }
    if (nconns < 1 || nconns > MAX_CONNS || nstreams < 1 || nstreams > 100
        || per_conn < 1 || seconds <= 0 || seconds > 3600 || npaths == 0
        || strlen(body) > BODY_MAX) {
        fprintf(stderr, "h2soak: 1-%d connections, 1-100 streams, 0-3600 "
                "seconds, a path at least\n", MAX_CONNS);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (tls) {
        static const unsigned char alpn[] = "\x02h2";

        ssl_ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                                  | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_CTX_set_alpn_protos(ssl_ctx, alpn, sizeof(alpn) - 1);
    }
    for (i = 0; i < nconns; i++) {
        conns[i].fd = -1;
    }
    start = now();
    deadline = start + seconds;
    for (;;) {
        t = now();
        if (t >= deadline) {
            stopping = 1;
        }
        if (stopping && outstanding == 0) {
            break;
        }
        if (t >= deadline + GRACE) {
            break;
        }
        for (i = 0; i < nconns; i++) {
            struct conn *c = &conns[i];

            pfd[i].fd = -1;
            pfd[i].events = 0;
            if (c->state == C_CLOSED) {
                if ((stopping && !retry_head) || t < c->retry_at) {
                    continue;
                }
                if (conn_open(c) != 0) {
                    conn_failed(c, t);
                    continue;
                }
            }
            if (c->state == C_OPEN) {
                conn_submit(c, stopping);
                /* a connection that carried its share ends itself */
                if (!c->ending && c->inflight == 0
                    && (c->submitted >= per_conn || c->goaway
                        || (stopping && !retry_head))) {
                    nghttp2_session_terminate_session(c->s, NGHTTP2_NO_ERROR);
                    c->ending = 1;
                }
                if (conn_flush(c) != 0) {
                    conn_close(c, t);
                    continue;
                }
                if (!nghttp2_session_want_read(c->s)
                    && !nghttp2_session_want_write(c->s)
                    && c->outoff == c->outlen) {
                    conn_close(c, t);
                    continue;
                }
                if (c->inflight > 0 && t - c->last_read > STALL) {
                    n_stalls++;
                    c->end = "stalled";
                    report("stalled: a connection with %d streams in flight, "
                           "silent %.0f s", c->inflight, STALL);
                    conn_close(c, t);
                    continue;
                }
                pfd[i].fd = c->fd;
                pfd[i].events = POLLIN
                    | (c->outoff < c->outlen ? POLLOUT : 0);
            }
            else if (c->state == C_CONNECTING) {
                pfd[i].fd = c->fd;
                pfd[i].events = POLLOUT;
            }
            else if (c->state == C_HANDSHAKE) {
                short want = POLLIN;

                if (conn_handshake(c, &want) != 0) {
                    conn_failed(c, t);
                    continue;
                }
                if (c->state == C_OPEN) {
                    i--;        /* submit at once */
                    continue;
                }
                pfd[i].fd = c->fd;
                pfd[i].events = want;
            }
        }
        if (poll(pfd, (nfds_t)nconns, 10) < 0 && errno != EINTR) {
            perror("h2soak: poll");
            return 1;
        }
        t = now();
        for (i = 0; i < nconns; i++) {
            struct conn *c = &conns[i];

            if (pfd[i].fd < 0 || !pfd[i].revents) {
                continue;
            }
            if (c->state == C_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof(err);

                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    conn_failed(c, t);
                    continue;
                }
                if (tls) {
                    c->ssl = SSL_new(ssl_ctx);
                    SSL_set_fd(c->ssl, c->fd);
                    c->state = C_HANDSHAKE;
                }
                else if (conn_start_h2(c) != 0) {
                    conn_failed(c, t);
                }
                continue;
            }
            if (c->state == C_OPEN) {
                if (conn_read(c) != 0) {
                    /* what came before the end was counted: the rest is
                     * retried or lost by the GOAWAY seen, if any */
                    if (!c->got_frame) {
                        n_connect_errors++;
                    }
                    conn_close(c, t);
                    continue;
                }
                if (conn_flush(c) != 0) {
                    conn_close(c, t);
                }
            }
        }
    }
    /* whatever is left is failed */
    for (i = 0; i < nconns; i++) {
        struct req *r;

        while ((r = conns[i].reqs) != NULL) {
            list_del(&conns[i].reqs, r);
            paths[r->path].requests++;
            paths[r->path].failed++;
            report("failed: %s unfinished at the end", paths[r->path].name);
            done(r);
        }
    }
    {
        struct req *r;

        while ((r = retry_pop()) != NULL) {
            paths[r->path].requests++;
            paths[r->path].failed++;
            report("failed: %s waiting for a retry at the end",
                   paths[r->path].name);
            done(r);
        }
    }
    for (i = 0; i < npaths; i++) {
        struct path *p = &paths[i];

        printf("h2soak path=%s requests=%ld answered=%ld unexpected=%ld "
               "lost=%ld failed=%ld retried=%ld aborted=%ld\n", p->name,
               p->requests, p->answered, p->unexpected, p->lost, p->failed,
               p->retried, p->aborted);
        bad |= p->unexpected || p->lost || p->failed || p->answered == 0;
    }
    printf("h2soak connections=%ld goaways=%ld error_goaways=%ld "
           "beyond_last_id=%ld refused=%ld unsent=%ld cut_without_goaway=%ld "
           "connect_errors=%ld stalls=%ld protocol_errors=%ld seconds=%.1f\n",
           n_opened, n_goaways, n_error_goaways, n_beyond, n_refused, n_unsent,
           n_cut, n_connect_errors, n_stalls, n_protocol_errors, now() - start);
    return bad ? 1 : 0;
}
