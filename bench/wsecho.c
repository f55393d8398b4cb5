/*
 * wsecho.c - WebSocket echo backend for `make bench`: the far end of the
 * proxied tunnels whose throughput the benchmark measures.
 *
 *     wsecho PORT [IDLE_SECONDS]
 *
 * Listens on 127.0.0.1:PORT, one thread per connection (at most
 * MAX_CONNS at once). Answers the RFC 6455 opening handshake
 * (Sec-WebSocket-Accept from apr-util's SHA-1 and base64), then echoes
 * every frame back unmasked with the same first byte (FIN and opcode: text,
 * binary and continuation frames keep their boundaries), answers Ping with
 * Pong, ignores Pong, answers Close with the same Close and closes TCP.
 * Payloads are unmasked as they stream through one fixed buffer, never
 * collected whole. A request that is not an upgrade gets 400 (so a plain
 * HTTP probe sees the server up). A connection idle for IDLE_SECONDS
 * (default 30) is closed; writes time out alike. Anything malformed (an
 * unmasked client frame, RSV bits, an unknown opcode, a control frame over
 * 125 bytes or fragmented, a frame over MAX_FRAME) closes the connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_sha1.h>

#define BUF_SIZE   (256 * 1024)
#define HEAD_MAX   8192
#define MAX_CONNS  512
#define MAX_FRAME  ((uint64_t)1 << 31)
#define WS_GUID    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static int idle_ms = 30000;
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static int conns;

/* Wait until fd is readable; 1 if so, 0 on timeout or error. */
static int readable(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    int n;

    do {
        n = poll(&p, 1, idle_ms);
    } while (n < 0 && errno == EINTR);
    return n == 1;
}

/* Read what is there, after waiting at most idle_ms; > 0 or -1. */
static ssize_t read_some(int fd, unsigned char *buf, size_t len)
{
    ssize_t n;

    if (!readable(fd)) {
        return -1;
    }
    do {
        n = read(fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? n : -1;
}

/* Write all of buf (the socket has SO_SNDTIMEO); 0 or -1. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* dst = src ^ mask (starting at mask byte phase); dst <= src may overlap:
 * every word is loaded before the store that could reach it. */
static void unmask(unsigned char *dst, const unsigned char *src, size_t n,
                   const unsigned char mask[4], unsigned phase)
{
    unsigned char m[8];
    uint64_t m64, w;
    size_t i = 0;
    unsigned k;

    for (k = 0; k < 8; k++) {
        m[k] = mask[(phase + k) & 3];
    }
    memcpy(&m64, m, 8);
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, src + i, 8);
        w ^= m64;
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++) {
        dst[i] = src[i] ^ m[i & 7];
    }
}

/* The opening handshake: read the request head, answer 101 (or 400).
 * Bytes read past the head are left at the start of buf; their count in
 * *have. 0 if upgraded, -1 otherwise. */
static int handshake(int fd, unsigned char *buf, size_t *have)
{
    char head[HEAD_MAX + 1], *end, *line, *key = NULL, *save;
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    char accept[64], resp[256];
    size_t got = 0, hlen;
    apr_sha1_ctx_t sha;
    ssize_t n;
    int len;

    for (;;) {
        n = read_some(fd, (unsigned char *)head + got, HEAD_MAX - got);
        if (n < 0) {
            return -1;
        }
        got += (size_t)n;
        head[got] = '\0';
        if ((end = strstr(head, "\r\n\r\n")) != NULL) {
            break;
        }
        if (got == HEAD_MAX) {
            return -1;
        }
    }
    hlen = (size_t)(end + 4 - head);
    *have = got - hlen;
    memcpy(buf, head + hlen, *have);
    *end = '\0';
    for (line = strtok_r(head, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save)) {
        if (strncasecmp(line, "Sec-WebSocket-Key:", 18) == 0) {
            key = line + 18;
            while (*key == ' ' || *key == '\t') {
                key++;
            }
            key[strcspn(key, " \t")] = '\0';
        }
    }
    if (strncmp(head, "GET ", 4) != 0 || !key || !*key || strlen(key) > 64) {
        static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n";
        write_all(fd, (const unsigned char *)bad, sizeof(bad) - 1);
        return -1;
    }
    apr_sha1_init(&sha);
    apr_sha1_update_binary(&sha, (const unsigned char *)key, strlen(key));
    apr_sha1_update_binary(&sha, (const unsigned char *)WS_GUID,
                           sizeof(WS_GUID) - 1);
    apr_sha1_final(digest, &sha);
    apr_base64_encode(accept, (const char *)digest, sizeof(digest));
    len = snprintf(resp, sizeof(resp),
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                   accept);
    return write_all(fd, (const unsigned char *)resp, (size_t)len);
}

/* Echo frames until Close, an error or idleness. Each read's frames are
 * rewritten in place, left-shifted (an unmasked header is 4 bytes shorter
 * than a masked one), and written back in one go. */
static void echo(int fd, unsigned char *buf, size_t have)
{
    uint64_t remaining = 0;     /* payload left of the current data frame */
    unsigned char mask[4] = { 0 };
    unsigned phase = 0;
    int closing = 0;
    ssize_t n;

    for (;;) {
        size_t pos = 0, out = 0;

        while (pos < have && !closing) {
            size_t avail = have - pos, hl, k;
            uint64_t len;
            unsigned op;

            if (remaining > 0) {
                k = avail < remaining ? avail : (size_t)remaining;
                unmask(buf + out, buf + pos, k, mask, phase);
                out += k;
                pos += k;
                remaining -= k;
                phase = (phase + k) & 3;
                continue;
            }
            if (avail < 2) {
                break;
            }
            op = buf[pos] & 0x0f;
            if ((buf[pos] & 0x70) || !(buf[pos + 1] & 0x80)
                || (op > 2 && op < 8) || op > 10) {
                return;                 /* RSV, unmasked, unknown opcode */
            }
            len = buf[pos + 1] & 0x7f;
            hl = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0) + 4;
            if (avail < hl) {
                break;
            }
            if (len == 126) {
                len = ((uint64_t)buf[pos + 2] << 8) | buf[pos + 3];
            }
            else if (len == 127) {
                len = 0;
                for (k = 0; k < 8; k++) {
                    len = (len << 8) | buf[pos + 2 + k];
                }
            }
            if (len > MAX_FRAME) {
                return;
            }
            memcpy(mask, buf + pos + hl - 4, 4);
            if (op >= 8) {              /* control: whole, small, unfragmented */
                if (len > 125 || !(buf[pos] & 0x80)) {
                    return;
                }
                if (avail < hl + len) {
                    break;
                }
                if (op != 10) {         /* Ping -> Pong, Close -> Close */
                    buf[out] = (unsigned char)(0x80 | (op == 9 ? 10 : op));
                    buf[out + 1] = (unsigned char)len;
                    unmask(buf + out + 2, buf + pos + hl, (size_t)len, mask, 0);
                    out += 2 + (size_t)len;
                }
                pos += hl + (size_t)len;
                closing = op == 8;
                continue;
            }
            /* data frame: its unmasked header, then its payload streams */
            {
                unsigned char h[10];
                size_t ohl;

                h[0] = buf[pos];
                if (len < 126) {
                    h[1] = (unsigned char)len;
                    ohl = 2;
                }
                else if (len < 65536) {
                    h[1] = 126;
                    h[2] = (unsigned char)(len >> 8);
                    h[3] = (unsigned char)len;
                    ohl = 4;
                }
                else {
                    h[1] = 127;
                    for (k = 0; k < 8; k++) {
                        h[2 + k] = (unsigned char)(len >> (56 - 8 * k));
                    }
                    ohl = 10;
                }
                memcpy(buf + out, h, ohl);
                out += ohl;
                pos += hl;
                remaining = len;
                phase = 0;
            }
        }
        if (out > 0 && write_all(fd, buf, out) != 0) {
            return;
        }
        if (closing) {
            return;
        }
        memmove(buf, buf + pos, have - pos);
        have -= pos;
        n = read_some(fd, buf + have, BUF_SIZE - have);
        if (n < 0) {
            return;
        }
        have += (size_t)n;
    }
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    unsigned char *buf = malloc(BUF_SIZE);
    size_t have = 0;

    if (buf && handshake(fd, buf, &have) == 0) {
        echo(fd, buf, have);
    }
    free(buf);
    shutdown(fd, SHUT_WR);
    close(fd);
    pthread_mutex_lock(&conns_lock);
    conns--;
    pthread_mutex_unlock(&conns_lock);
    return NULL;
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    pthread_attr_t attr;
    int lfd, on = 1, port;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [IDLE_SECONDS]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    if (argc == 3) {
        idle_ms = atoi(argv[2]) * 1000;
    }
    if (port < 1 || port > 65535 || idle_ms < 1000 || idle_ms > 3600000) {
        fprintf(stderr, "wsecho: port 1-65535, idle 1-3600 seconds\n");
        return 2;
    }
    apr_initialize();
    signal(SIGPIPE, SIG_IGN);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) {
        perror("wsecho: socket");
        return 1;
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0
        || listen(lfd, 128) != 0) {
        perror("wsecho: bind/listen");
        return 1;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        struct timeval tv = { idle_ms / 1000, 0 };
        pthread_t th;
        int fd = accept(lfd, NULL, NULL), full;

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE
                || errno == ENFILE) {
                if (errno != EINTR && errno != ECONNABORTED) {
                    usleep(100000);
                }
                continue;
            }
            perror("wsecho: accept");
            return 1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        pthread_mutex_lock(&conns_lock);
        full = conns >= MAX_CONNS;
        if (!full) {
            conns++;
        }
        pthread_mutex_unlock(&conns_lock);
        if (full) {
            close(fd);
            continue;
        }
        if (pthread_create(&th, &attr, serve, (void *)(intptr_t)fd) != 0) {
            close(fd);
            pthread_mutex_lock(&conns_lock);
            conns--;
            pthread_mutex_unlock(&conns_lock);
        }
    }
}
