/*
 * wsload.c - WebSocket reject load for `make bench`: how many WebSocket
 * handshakes per second a server answers and closes.
 *
 *     wsload HOST PORT PATH SECONDS CONNECTIONS
 *
 * Each of CONNECTIONS threads loops until SECONDS pass: connect, send the
 * opening handshake, read the 101 and the server's Close frame, answer with
 * a masked Close (1000), read until the server closes TCP. Prints
 * "closes=N seconds=S rate=R errors=E". Every socket read has a 5 s timeout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

static const char *host, *path;
static int port;
static double deadline;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total_ok, total_err;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One handshake and close; 0 on success. */
static int one(void)
{
    char req[512], buf[4096];
    struct sockaddr_in sa;
    struct timeval tv = { 5, 0 };
    static const unsigned char close_frame[] = {
        0x88, 0x82, 0x01, 0x02, 0x03, 0x04, 0x03 ^ 0x01, 0xe8 ^ 0x02 };
    size_t have = 0;
    char *end;
    int fd, one_ = 1, n, rc = -1;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        goto out;
    }
    n = snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                 path, host, port);
    if (write(fd, req, n) != n) {
        goto out;
    }
    /* the 101 head, then a complete Close frame */
    for (;;) {
        n = read(fd, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0) {
            goto out;
        }
        have += n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end && strncmp(buf, "HTTP/1.1 101", 12) != 0) {
            goto out;
        }
        if (end) {
            size_t off = end + 4 - buf;
            if (have >= off + 2
                && have >= off + 2 + ((unsigned char)buf[off + 1] & 0x7f)) {
                if (((unsigned char)buf[off] & 0x0f) != 8) {
                    goto out;
                }
                break;
            }
        }
        if (have >= sizeof(buf) - 1) {
            goto out;
        }
    }
    if (write(fd, close_frame, sizeof(close_frame))
        != (ssize_t)sizeof(close_frame)) {
        goto out;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        ;
    rc = n == 0 ? 0 : -1;
out:
    close(fd);
    return rc;
}

static void *worker(void *arg)
{
    long ok = 0, err = 0;

    (void)arg;
    while (now() < deadline) {
        if (one() == 0) {
            ok++;
        }
        else {
            err++;
        }
    }
    pthread_mutex_lock(&lock);
    total_ok += ok;
    total_err += err;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[256];
    double seconds, start;
    int conns, i;

    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT PATH SECONDS CONNECTIONS\n",
                argv[0]);
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    path = argv[3];
    seconds = atof(argv[4]);
    conns = atoi(argv[5]);
    if (conns < 1 || conns > 256 || seconds <= 0 || seconds > 600) {
        fprintf(stderr, "wsload: 1-256 connections, 0-600 seconds\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);   /* a server that closed first is an error */
    start = now();
    deadline = start + seconds;
    for (i = 0; i < conns; i++) {
        pthread_create(&th[i], NULL, worker, NULL);
    }
    for (i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
    }
    seconds = now() - start;
    printf("closes=%ld seconds=%.2f rate=%.1f errors=%ld\n", total_ok,
           seconds, total_ok / seconds, total_err);
    return total_ok > 0 ? 0 : 1;
}
