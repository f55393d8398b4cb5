/*
 * wsxfer.c - a large WebSocket echo transfer for `make bench`: what a
 * tunnel carries per second.
 *
 *     wsxfer HOST PORT PATH CONNECTIONS MIB FRAME_KIB
 *
 * Each of CONNECTIONS connections does the opening handshake, then sends
 * MIB MiB of binary frames of FRAME_KIB KiB (masked, as a client must)
 * from a thread of its own while another reads the echoes back, checking
 * their length, opcode and every payload byte against what was sent; then
 * Close and the server's Close. Prints "mib=M seconds=S rate=R" (MiB/s of
 * payload echoed back) and exits non-zero on any error. Every read and
 * write times out after 30 s, and a connection that fails either way is
 * shut down at once: nothing waits on a peer that stopped reading.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *host, *path;
static int port;
static size_t frame_len, frames;
static unsigned char *masked;       /* one frame, header and masked payload */
static size_t masked_len;
static unsigned char *plain;        /* one frame's payload, unmasked */

typedef struct {
    int fd;
    int err;
    pthread_t reader, writer;
} conn_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0) {
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t w = write(fd, (const char *)buf + put, n - put);
        if (w <= 0) {
            return -1;
        }
        put += (size_t)w;
    }
    return 0;
}

static int open_ws(void)
{
    struct sockaddr_in sa;
    struct timeval tv = { 30, 0 };
    char req[512], buf[4096];
    size_t have = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    char *end;

    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n", path, host, port);
    if (write_full(fd, req, strlen(req)) != 0) {
        close(fd);
        return -1;
    }
    /* the 101 head only: read byte by byte up to its blank line */
    while (have < sizeof(buf) - 1) {
        if (read(fd, buf + have, 1) != 1) {
            break;
        }
        have++;
        buf[have] = '\0';
        if ((end = strstr(buf, "\r\n\r\n"))) {
            break;
        }
    }
    if (strncmp(buf, "HTTP/1.1 101 ", 13) != 0 || !strstr(buf, "\r\n\r\n")) {
        fprintf(stderr, "wsxfer: no 101: %.80s\n", buf);
        close(fd);
        return -1;
    }
    return fd;
}

/* Read the echoes: every frame binary, FRAME_KIB long, the payload sent. */
static void *reader(void *arg)
{
    conn_t *c = arg;
    unsigned char *buf = malloc(frame_len);
    size_t n;

    for (n = 0; buf && n < frames; n++) {
        unsigned char h[10];
        unsigned long long len = 0;
        size_t k;
        if (read_full(c->fd, h, 2) != 0 || h[0] != 0x82) {
            c->err = 1;
            break;
        }
        len = h[1] & 0x7F;
        if (len == 126) {
            if (read_full(c->fd, h + 2, 2) != 0) {
                c->err = 1;
                break;
            }
            len = ((unsigned)h[2] << 8) | h[3];
        }
        else if (len == 127) {
            if (read_full(c->fd, h + 2, 8) != 0) {
                c->err = 1;
                break;
            }
            for (len = 0, k = 2; k < 10; k++) {
                len = (len << 8) | h[k];
            }
        }
        if (len != frame_len || read_full(c->fd, buf, frame_len) != 0) {
            c->err = 1;
            break;
        }
        if (memcmp(buf, plain, frame_len) != 0) {
            fprintf(stderr, "wsxfer: frame %zu: payload differs\n", n);
            c->err = 1;
            break;
        }
    }
    if (!buf || c->err) {
        c->err = 1;
        shutdown(c->fd, SHUT_RDWR);     /* the writer stops at once */
    }
    free(buf);
    return NULL;
}

/* Send the frames. */
static void *writer(void *arg)
{
    conn_t *c = arg;
    size_t n;

    for (n = 0; n < frames && !c->err; n++) {
        if (write_full(c->fd, masked, masked_len) != 0) {
            c->err = 1;
            shutdown(c->fd, SHUT_RDWR);     /* the reader stops at once */
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const unsigned char mask[4] = { 0x3a, 0x91, 0x5c, 0xe7 };
    static const unsigned char close_frame[] = {
        0x88, 0x82, 0x3a, 0x91, 0x5c, 0xe7, 0x03 ^ 0x3a, 0xe8 ^ 0x91 };
    conn_t *conns;
    int nconn, i, errors = 0;
    size_t k, hl;
    double t0, dt;
    long mib;

    if (argc != 7) {
        fprintf(stderr, "usage: wsxfer HOST PORT PATH CONNECTIONS MIB "
                "FRAME_KIB\n");
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    path = argv[3];
    nconn = atoi(argv[4]);
    mib = atol(argv[5]);
    frame_len = (size_t)atol(argv[6]) * 1024;
    if (nconn < 1 || mib < 1 || frame_len < 1024 || frame_len > (8u << 20)) {
        fprintf(stderr, "wsxfer: bad arguments\n");
        return 2;
    }
    frames = (size_t)mib * 1024 * 1024 / frame_len;

    /* one masked frame, sent again and again */
    masked = malloc(frame_len + 14);
    plain = malloc(frame_len);
    if (!masked || !plain) {
        return 1;
    }
    masked[0] = 0x82;
    if (frame_len < 65536) {
        masked[1] = 0x80 | 126;
        masked[2] = (unsigned char)(frame_len >> 8);
        masked[3] = (unsigned char)frame_len;
        hl = 4;
    }
    else {
        masked[1] = 0x80 | 127;
        for (k = 0; k < 8; k++) {
            masked[2 + k] = (unsigned char)((unsigned long long)frame_len
                                            >> (56 - 8 * k));
        }
        hl = 10;
    }
    memcpy(masked + hl, mask, 4);
    hl += 4;
    for (k = 0; k < frame_len; k++) {
        unsigned char b = (unsigned char)(k * 131 + 7);
        plain[k] = b;
        masked[hl + k] = b ^ mask[k & 3];
    }
    masked_len = hl + frame_len;

    signal(SIGPIPE, SIG_IGN);   /* a peer that closed is an error, not a kill */
    conns = calloc((size_t)nconn, sizeof(*conns));
    for (i = 0; i < nconn; i++) {
        if ((conns[i].fd = open_ws()) < 0) {
            return 1;
        }
    }
    t0 = now();
    for (i = 0; i < nconn; i++) {
        pthread_create(&conns[i].reader, NULL, reader, &conns[i]);
        pthread_create(&conns[i].writer, NULL, writer, &conns[i]);
    }
    for (i = 0; i < nconn; i++) {
        pthread_join(conns[i].writer, NULL);
        pthread_join(conns[i].reader, NULL);
    }
    dt = now() - t0;
    for (i = 0; i < nconn; i++) {
        unsigned char h[4];
        if (!conns[i].err
            && (write_full(conns[i].fd, close_frame, sizeof(close_frame)) != 0
                || read_full(conns[i].fd, h, 4) != 0 || h[0] != 0x88)) {
            conns[i].err = 1;
        }
        errors += conns[i].err;
        close(conns[i].fd);
    }
    if (errors) {
        fprintf(stderr, "wsxfer: %d connection(s) failed\n", errors);
        return 1;
    }
    printf("mib=%ld seconds=%.3f rate=%.1f\n", mib * nconn, dt,
           (double)mib * nconn / dt);
    return 0;
}
