/*
 * wstunnel.c - long-lived WebSockets for `make soak`: proxied tunnels
 * (FastExcWebSocketTunnelClose On, an echo backend) that must survive
 * graceful restarts, or be told of them properly.
 *
 *     wstunnel [-t] HOST PORT PATH SECONDS TUNNELS INTERVAL_MS
 *
 * Each of TUNNELS threads opens a WebSocket on PATH (over TLS with -t, the
 * certificate not checked), checks the 101 and its Sec-WebSocket-Accept,
 * then every INTERVAL_MS sends a masked text frame with its own sequence
 * number and reads frames until that frame's echo, until SECONDS pass; it
 * then closes with 1000 and expects the Close echoed, then the end. Every
 * byte from the server is read as frames, so a Close written anywhere but
 * at a frame boundary, or a frame cut short, shows as such.
 *
 * Across a graceful restart a tunnel either goes on echoing, or receives
 * exactly Close 1012 "Service restart" as a whole frame (counted with the
 * message it was waiting for, if any), answers it, sees the connection end
 * with nothing after the Close, and opens a new tunnel. Failures:
 *   bare_closes   the connection ended with no Close frame
 *   truncated     the connection ended in the middle of a frame
 *   unexpected    a frame that is not the echo, a Close with another code
 *                 or reason, bytes after the Close, a masked server frame
 *   stalls        no echo (or end) within 10 s
 *   handshakes    a connection or opening handshake that failed
 * Prints "wstunnel tunnels=N opened=N echoed=N restart_closes=N
 * waiting_at_close=N normal_ends=N bare_closes=N truncated=N unexpected=N
 * stalls=N handshakes=N", and the first few failures on stderr. Exits 0
 * if there was none.
 */
#define _GNU_SOURCE     /* strcasestr */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#define WAIT_MS     10000
#define BUF_MAX     65536
#define REPORT_MAX  10
#define WS_GUID     "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static const char *host, *path;
static int port, tls, interval_ms;
static double deadline;
static SSL_CTX *ssl_ctx;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long n_opened, n_echoed, n_restart, n_waiting, n_normal, n_bare,
            n_truncated, n_unexpected, n_stalls, n_handshakes;
static int reports;

struct tun {
    int id, fd;
    SSL *ssl;
    unsigned char buf[BUF_MAX];
    size_t have;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void count(long *what, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&lock);
    (*what)++;
    if (fmt && reports++ < REPORT_MAX) {
        va_start(ap, fmt);
        fputs("wstunnel: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    pthread_mutex_unlock(&lock);
}

static void tun_close(struct tun *t)
{
    if (t->ssl) {
        SSL_free(t->ssl);
        t->ssl = NULL;
    }
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    t->have = 0;
}

static int tun_write(struct tun *t, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len > 0) {
        ssize_t n;

        if (t->ssl) {
            ERR_clear_error();
            n = SSL_write(t->ssl, p, (int)len);
        }
        else {
            n = send(t->fd, p, len, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) {
                continue;
            }
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Wait up to ms for bytes: 1 if some arrived (appended to t->buf), 0 on
 * timeout, -1 at end of file or on error. */
static int tun_read(struct tun *t, int ms)
{
    struct pollfd p = { t->fd, POLLIN, 0 };
    ssize_t n;

    if (t->have == sizeof(t->buf)) {
        return -1;
    }
    if (!(t->ssl && SSL_pending(t->ssl) > 0)) {
        int rc;

        do {
            rc = poll(&p, 1, ms);
        } while (rc < 0 && errno == EINTR);
        if (rc == 0) {
            return 0;
        }
        if (rc < 0) {
            return -1;
        }
    }
    if (t->ssl) {
        ERR_clear_error();
        n = SSL_read(t->ssl, t->buf + t->have, (int)(sizeof(t->buf) - t->have));
        if (n <= 0) {
            int e = SSL_get_error(t->ssl, (int)n);

            return e == SSL_ERROR_WANT_READ ? 0 : -1;
        }
    }
    else {
        do {
            n = recv(t->fd, t->buf + t->have, sizeof(t->buf) - t->have, 0);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            return -1;
        }
    }
    t->have += (size_t)n;
    return 1;
}

/* A masked client frame. */
static int send_frame(struct tun *t, int opcode, const void *payload,
                      size_t len)
{
    unsigned char f[2 + 4 + 125];
    size_t i;

    if (len > 125) {
        return -1;
    }
    f[0] = (unsigned char)(0x80 | opcode);
    f[1] = (unsigned char)(0x80 | len);
    RAND_bytes(f + 2, 4);
    for (i = 0; i < len; i++) {
        f[6 + i] = ((const unsigned char *)payload)[i] ^ f[2 + (i & 3)];
    }
    return tun_write(t, f, 6 + len);
}

static int tun_open(struct tun *t)
{
    struct sockaddr_in sa;
    struct timeval tv = { WAIT_MS / 1000, 0 };
    unsigned char nonce[16], sha[SHA_DIGEST_LENGTH];
    char key[32], accept[64], want[64], req[512], *end, *acc;
    double until;
    int one = 1, n;

    t->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (t->fd < 0) {
        return -1;
    }
    setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        return -1;
    }
    if (tls) {
        t->ssl = SSL_new(ssl_ctx);
        SSL_set_fd(t->ssl, t->fd);
        if (SSL_connect(t->ssl) != 1) {
            return -1;
        }
    }
    RAND_bytes(nonce, sizeof(nonce));
    EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce));
    n = snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: %s\r\n\r\n", path, host, port, key);
    if (tun_write(t, req, (size_t)n) != 0) {
        return -1;
    }
    snprintf(req, sizeof(req), "%s%s", key, WS_GUID);
    SHA1((unsigned char *)req, strlen(req), sha);
    EVP_EncodeBlock((unsigned char *)want, sha, sizeof(sha));
    until = now() + WAIT_MS / 1000.0;
    for (;;) {
        t->buf[t->have < sizeof(t->buf) ? t->have : sizeof(t->buf) - 1] = 0;
        if ((end = strstr((char *)t->buf, "\r\n\r\n")) != NULL) {
            break;
        }
        if (now() > until || tun_read(t, 1000) < 0) {
            return -1;
        }
    }
    *end = '\0';
    if (strncmp((char *)t->buf, "HTTP/1.1 101 ", 13) != 0) {
        count(&n_handshakes, "tunnel %d: the handshake got \"%.40s\"", t->id,
              (char *)t->buf);
        return -2;
    }
    acc = strcasestr((char *)t->buf, "\r\nSec-WebSocket-Accept:");
    if (!acc || sscanf(acc + 23, " %63s", accept) != 1
        || strcmp(accept, want) != 0) {
        count(&n_handshakes, "tunnel %d: a wrong Sec-WebSocket-Accept", t->id);
        return -2;
    }
    end += 4;
    t->have -= (size_t)(end - (char *)t->buf);
    memmove(t->buf, end, t->have);
    return 0;
}

/* The next whole frame in t->buf, if there is one: 1 and its parts (the
 * frame consumed), 0 if incomplete, -1 if no server may send it. */
static int next_frame(struct tun *t, int *opcode, unsigned char *payload,
                      size_t *len)
{
    size_t hl = 2, pl;

    if (t->have < 2) {
        return 0;
    }
    if ((t->buf[1] & 0x80) || (t->buf[0] & 0x70)) {
        return -1;              /* masked, or RSV bits */
    }
    pl = t->buf[1] & 0x7f;
    if (pl == 126) {
        if (t->have < 4) {
            return 0;
        }
        pl = ((size_t)t->buf[2] << 8) | t->buf[3];
        hl = 4;
    }
    else if (pl == 127) {
        return -1;              /* our messages are short */
    }
    if (pl > 1024) {
        return -1;
    }
    if (t->have < hl + pl) {
        return 0;
    }
    *opcode = t->buf[0] & 0x0f;
    if (!(t->buf[0] & 0x80)) {
        return -1;              /* fragmented: our echoes are whole */
    }
    memcpy(payload, t->buf + hl, pl);
    *len = pl;
    t->have -= hl + pl;
    memmove(t->buf, t->buf + hl + pl, t->have);
    return 1;
}

/* What follows a Close the server sent: answer it (unless ours went
 * first), then nothing but the end may come. */
static void after_close(struct tun *t, const unsigned char *payload,
                        size_t len, int answer)
{
    double until = now() + WAIT_MS / 1000.0;
    int rc;

    if (answer) {
        send_frame(t, 8, payload, len < 2 ? len : 2);
    }
    while ((rc = tun_read(t, 500)) >= 0 && t->have == 0 && now() < until)
        ;
    if (t->have > 0) {
        count(&n_unexpected, "tunnel %d: %zu bytes after the Close", t->id,
              t->have);
    }
    else if (rc >= 0) {
        count(&n_stalls, "tunnel %d: no end after the Close", t->id);
    }
}

/* Read frames until the echo of msg (or, msg NULL, of our Close); 1 if it
 * came, 0 if the tunnel ended properly (a 1012), -1 on a failure. waiting:
 * whether a message of ours is not echoed yet. */
static int await(struct tun *t, const char *msg, int ms, int waiting)
{
    unsigned char payload[1100];
    double until = now() + ms / 1000.0;
    size_t len;
    int opcode, rc;

    for (;;) {
        rc = next_frame(t, &opcode, payload, &len);
        if (rc < 0) {
            count(&n_unexpected, "tunnel %d: a frame no server sends "
                  "(%02x %02x)", t->id, t->buf[0], t->buf[1]);
            return -1;
        }
        if (rc > 0) {
            if (opcode == 8) {
                unsigned code = len >= 2 ? (payload[0] << 8) | payload[1] : 0;

                if (!msg && code == 1000) {
                    after_close(t, NULL, 0, 0);
                    count(&n_normal, NULL);
                    return 1;
                }
                if (code == 1012 && len == 17
                    && memcmp(payload + 2, "Service restart", 15) == 0) {
                    count(&n_restart, NULL);
                    if (waiting) {
                        count(&n_waiting, NULL);
                    }
                    after_close(t, payload, len, msg != NULL);
                    return 0;
                }
                count(&n_unexpected, "tunnel %d: Close %u \"%.*s\"", t->id,
                      code, len > 2 ? (int)len - 2 : 0, payload + 2);
                return -1;
            }
            if (msg && opcode == 1 && len == strlen(msg)
                && memcmp(payload, msg, len) == 0) {
                count(&n_echoed, NULL);
                return 1;
            }
            count(&n_unexpected, "tunnel %d: opcode %d \"%.*s\" while waiting "
                  "for \"%s\"", t->id, opcode, (int)len, payload,
                  msg ? msg : "the Close");
            return -1;
        }
        rc = tun_read(t, 100);
        if (rc < 0) {
            if (t->have > 0) {
                count(&n_truncated, "tunnel %d: the connection ended in a "
                      "frame (%zu bytes of it)", t->id, t->have);
            }
            else {
                count(&n_bare, "tunnel %d: the connection ended without a "
                      "Close, waiting for \"%s\"", t->id,
                      msg ? msg : "the Close");
            }
            return -1;
        }
        if (rc == 0 && now() > until) {
            count(&n_stalls, "tunnel %d: nothing for %d ms, waiting for "
                  "\"%s\"", t->id, ms, msg ? msg : "the Close");
            return -1;
        }
    }
}

static void *tunnel(void *arg)
{
    struct tun *t = arg;
    long seq = 0;

    while (now() < deadline) {
        double next;
        int rc = tun_open(t);

        if (rc != 0) {
            if (rc == -1) {
                count(&n_handshakes, "tunnel %d: connect or handshake failed",
                      t->id);
            }
            tun_close(t);
            usleep(100000);
            continue;
        }
        count(&n_opened, NULL);
        next = now();
        for (;;) {
            char msg[64];
            int n;

            if (now() >= deadline) {
                /* a write the server refuses: what it sent says why */
                send_frame(t, 8, "\x03\xe8" "bye", 5);
                rc = await(t, NULL, WAIT_MS, 0);
                if (rc == 0) {
                    rc = 1;     /* a restart crossed our Close: ended too */
                }
                break;
            }
            n = snprintf(msg, sizeof(msg), "tunnel %d message %ld", t->id,
                         ++seq);
            /* a write the server refuses: what it sent says why */
            send_frame(t, 1, msg, (size_t)n);
            rc = await(t, msg, WAIT_MS, 1);
            if (rc <= 0) {
                break;
            }
            /* nothing may come between two messages, a 1012 apart */
            next += interval_ms / 1000.0;
            while (now() < next) {
                int ms = (int)((next - now()) * 1000) + 1;

                if (tun_read(t, ms) != 0) {
                    rc = await(t, "nothing, between two messages", WAIT_MS, 0);
                    break;
                }
            }
            if (rc <= 0) {
                break;
            }
        }
        tun_close(t);
        if (rc > 0) {
            break;              /* ended with our Close */
        }
        if (rc < 0) {
            usleep(100000);
        }
    }
    tun_close(t);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[64];
    struct tun *t;
    int i, argi = 1, n;

    if (argc > 1 && strcmp(argv[1], "-t") == 0) {
        tls = 1;
        argi++;
    }
    if (argc - argi != 6) {
        fprintf(stderr, "usage: %s [-t] HOST PORT PATH SECONDS TUNNELS "
                "INTERVAL_MS\n", argv[0]);
        return 2;
    }
    host = argv[argi];
    port = atoi(argv[argi + 1]);
    path = argv[argi + 2];
    deadline = now() + atof(argv[argi + 3]);
    n = atoi(argv[argi + 4]);
    interval_ms = atoi(argv[argi + 5]);
    if (n < 1 || n > 64 || interval_ms < 10 || interval_ms > 10000
        || atof(argv[argi + 3]) <= 0 || atof(argv[argi + 3]) > 3600) {
        fprintf(stderr, "wstunnel: 1-64 tunnels, 10-10000 ms, 0-3600 s\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (tls) {
        ssl_ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL);
    }
    t = calloc((size_t)n, sizeof(*t));
    for (i = 0; i < n; i++) {
        t[i].id = i + 1;
        t[i].fd = -1;
        pthread_create(&th[i], NULL, tunnel, &t[i]);
    }
    for (i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
    }
    printf("wstunnel tunnels=%d opened=%ld echoed=%ld restart_closes=%ld "
           "waiting_at_close=%ld normal_ends=%ld bare_closes=%ld truncated=%ld "
           "unexpected=%ld stalls=%ld handshakes=%ld\n", n, n_opened, n_echoed,
           n_restart, n_waiting, n_normal, n_bare, n_truncated, n_unexpected,
           n_stalls, n_handshakes);
    return n_bare || n_truncated || n_unexpected || n_stalls || n_handshakes
           || n_echoed == 0 ? 1 : 0;
}
