/*
 * h2soak.h - what h2soak.c (the requests, the run) and h2soak_conn.c (a
 * connection: socket, TLS, nghttp2's bytes in and out) share.
 */
#ifndef H2SOAK_H
#define H2SOAK_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CONNS     64
#define MAX_PATHS     8
#define MAX_ATTEMPTS  10
#define GRACE         20.0      /* seconds after the end for what is left */
#define STALL         15.0      /* a connection silent this long is cut */
#define BODY_MAX      512
#define REPORT_MAX    10        /* losses and surprises shown on stderr */

enum { C_CLOSED, C_CONNECTING, C_HANDSHAKE, C_OPEN };

struct req {
    int path;
    int attempts;
    /* the attempt in flight */
    int32_t stream;
    int sent, complete, status, ctype_ok, overflow;
    size_t blen;
    char body[BODY_MAX];
    struct req *prev, *next;    /* on its connection, or the retry queue */
};

struct conn {
    int state, fd;
    SSL *ssl;
    nghttp2_session *s;
    int goaway, ending, dead, got_frame;
    int32_t last_id;
    uint32_t goaway_code;
    char goaway_why[48];        /* its debug data (mod_http2: a reason) */
    const char *end;            /* how the connection ended */
    double goaway_at;
    int submitted, inflight;
    struct req *reqs;
    unsigned char *out;
    size_t outlen, outoff, outcap;
    double last_read, retry_at;
};

struct path {
    char name[256];
    int status;
    long requests, answered, unexpected, lost, failed, retried, aborted;
};

extern const char *host;
extern int port, tls, strict, nconns, nstreams, per_conn, npaths;
extern const char *body;
extern struct path paths[MAX_PATHS];
extern struct conn conns[MAX_CONNS];
extern SSL_CTX *ssl_ctx;
extern struct req *retry_head, *retry_tail;
extern long outstanding, next_path;
extern long n_opened, n_goaways, n_error_goaways, n_refused, n_unsent, n_beyond, n_cut,
            n_connect_errors, n_stalls, n_protocol_errors;
extern int reports;

/* h2soak.c */
double now(void);
void report(const char *fmt, ...);
void list_del(struct req **head, struct req *r);
void finish(struct conn *c, struct req *r, uint32_t error_code,
            int conn_gone);
int conn_start_h2(struct conn *c);

/* h2soak_conn.c */
void conn_close(struct conn *c, double t);
void conn_failed(struct conn *c, double t);
int conn_open(struct conn *c);
int conn_handshake(struct conn *c, short *want);
int conn_flush(struct conn *c);
int conn_read(struct conn *c);

#endif /* H2SOAK_H */
