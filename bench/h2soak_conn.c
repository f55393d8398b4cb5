/*
 * h2soak_conn.c - one connection of h2soak (h2soak.c): opened, its TLS
 * handshake, nghttp2's bytes written as far as the socket takes them and
 * the socket's bytes fed to nghttp2, closed (its requests finished).
 */
#include "h2soak.h"

void conn_close(struct conn *c, double t)
{
    struct req *r;

    c->dead = 1;
    while ((r = c->reqs) != NULL) {
        list_del(&c->reqs, r);
        c->inflight--;
        finish(c, r, 0, 1);
    }
    if (c->s) {
        nghttp2_session_del(c->s);
    }
    if (c->ssl) {
        SSL_free(c->ssl);
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c->out);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->state = C_CLOSED;
    c->retry_at = t;
}

void conn_failed(struct conn *c, double t)
{
    n_connect_errors++;
    conn_close(c, t);
    c->retry_at = t + 0.05;
}

int conn_open(struct conn *c)
{
    struct sockaddr_in sa;
    int one = 1;

    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) {
        return -1;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    c->state = C_CONNECTING;
    c->last_read = now();
    n_opened++;
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0
        && errno != EINPROGRESS) {
        return -1;
    }
    return 0;
}

int conn_handshake(struct conn *c, short *want)
{
    const unsigned char *alpn;
    unsigned int alpnlen;
    int rc = SSL_connect(c->ssl), e;

    if (rc == 1) {
        SSL_get0_alpn_selected(c->ssl, &alpn, &alpnlen);
        if (alpnlen != 2 || memcmp(alpn, "h2", 2) != 0) {
            report("TLS: the server did not select h2");
            return -1;
        }
        return conn_start_h2(c);
    }
    e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        *want = POLLIN;
        return 0;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        *want = POLLOUT;
        return 0;
    }
    return -1;
}

/* Bytes nghttp2 has to send, written as far as the socket takes them;
 * -1 if the connection failed. */
int conn_flush(struct conn *c)
{
    for (;;) {
        ssize_t n;

        if (c->outoff == c->outlen) {
            const uint8_t *data;

            c->outoff = c->outlen = 0;
            while (c->outlen < 65536
                   && (n = nghttp2_session_mem_send(c->s, &data)) > 0) {
                if (c->outlen + (size_t)n > c->outcap) {
                    c->outcap = (c->outlen + (size_t)n) * 2;
                    c->out = realloc(c->out, c->outcap);
                    if (!c->out) {
                        abort();
                    }
                }
                memcpy(c->out + c->outlen, data, (size_t)n);
                c->outlen += (size_t)n;
            }
            if (c->outlen == 0) {
                return 0;
            }
        }
        if (c->ssl) {
            int e;

            ERR_clear_error();
            n = SSL_write(c->ssl, c->out + c->outoff,
                          (int)(c->outlen - c->outoff));
            if (n <= 0) {
                e = SSL_get_error(c->ssl, (int)n);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    return 0;
                }
                c->end = "a TLS write failed";
                return -1;
            }
        }
        else {
            n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
                     MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    return 0;
                }
                c->end = strerror(errno);
                return -1;
            }
        }
        c->outoff += (size_t)n;
    }
}

/* Everything readable, fed to nghttp2; -1 at end of file or on error. */
int conn_read(struct conn *c)
{
    unsigned char buf[65536];

    for (;;) {
        ssize_t n;

        if (c->ssl) {
            int e;

            ERR_clear_error();
            n = SSL_read(c->ssl, buf, sizeof(buf));
            if (n <= 0) {
                e = SSL_get_error(c->ssl, (int)n);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                    return 0;
                }
                c->end = e == SSL_ERROR_ZERO_RETURN ? "TLS close_notify"
                         : e == SSL_ERROR_SYSCALL && errno ? strerror(errno)
                         : e == SSL_ERROR_SYSCALL ? "end of file"
                         : "TLS error";
                return -1;
            }
        }
        else {
            n = recv(c->fd, buf, sizeof(buf), 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                return 0;
            }
            if (n <= 0) {
                c->end = n == 0 ? "end of file" : strerror(errno);
                return -1;
            }
        }
        c->last_read = now();
        if (nghttp2_session_mem_recv(c->s, buf, (size_t)n) < 0) {
            n_protocol_errors++;
            c->end = "HTTP/2 protocol error";
            return -1;
        }
    }
}
