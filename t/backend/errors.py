"""A scripted HTTP/1.1 backend for t/backend.t (FastExcBackendErrors).

Each path answers exactly the bytes written here: status line, headers and
body (fixed length, chunked in several writes, gzip-encoded, with or without
a Content-Type), so the test knows what mod_proxy_http got. Keep-alive as
HTTP/1.1 says. Usage: errors.py <port> (listens on 127.0.0.1).
"""
import gzip
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML = b"<!DOCTYPE html><html><body><h1>Backend error</h1></body></html>\n"

# path -> (status line, [(header, value)], body parts, chunked: True,
# False (Content-Length) or None (the headers given, then the connection
# closed after the parts))
# a body in several parts is written part by part with a pause between, so
# httpd reads it in several brigades
ROUTES = {
    "/json": ("404 Not Found",
              [("Content-Type", "application/json")],
              [b'{"detail":"Item not found","id":42}'], False),
    "/problem-json": ("422 Unprocessable Entity",
                      [("Content-Type", "Application/Problem+JSON; charset=utf-8")],
                      [b'{"title":"bad"}'], False),
    "/html": ("401 Unauthorized",
              [("Content-Type", "text/html; charset=utf-8"),
               ("WWW-Authenticate", 'Basic realm="backend"'),
               ("Retry-After", "30"),
               ("Set-Cookie", "sid=abc; Path=/"),
               ("X-Backend", "yes"),
               ("ETag", '"html-v1"'),
               ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
               ("Content-Language", "en"),
               ("Content-Location", "/errors/401.html"),
               ("Cache-Control", "no-store")],
              [HTML], False),
    "/empty": ("403 Forbidden", [], [], False),
    "/chunked": ("404 Not Found",
                 [("Content-Type", "text/html")],
                 [b"<html><body>", b"<p>not here</p>", b"</body></html>"],
                 True),
    "/gzip": ("503 Service Unavailable",
              [("Content-Type", "text/html"),
               ("Content-Encoding", "gzip"),
               ("Retry-After", "120"),
               ("Vary", "Accept-Encoding")],
              [gzip.compress(HTML, mtime=0)], False),
    "/gzip-json": ("400 Bad Request",
                   [("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip")],
                   [gzip.compress(b'{"detail":"zipped"}', mtime=0)], False),
    "/gzip-noct": ("404 Not Found",
                   [("Content-Encoding", "gzip")],
                   [gzip.compress(b'{"detail":"zipped"}', mtime=0)], False),
    "/sniff-json": ("409 Conflict", [],
                    [b' \r\n\t{"detail":"sniffed"}'], False),
    "/sniff-array": ("400 Bad Request", [], [b'[1,2]'], False),
    "/sniff-text": ("409 Conflict", [], [b"conflict: try again"], False),
    "/sniff-split": ("409 Conflict", [],
                     [b"   ", b"\n  ", b'{"detail":"late"}'], True),
    "/sniff-spaces": ("409 Conflict", [],
                      [b" " * 600 + b'{"detail":"too late"}'], False),
    # says 100 bytes, sends whitespace, then closes: broken before judged
    "/broken": ("409 Conflict", [("Content-Length", "100")], [b"  "], None),
    "/broken-html": ("404 Not Found", [("Content-Type", "text/html"),
                                       ("Content-Length", "100")],
                     [b"<html>"], None),
    "/ok": ("200 OK", [("Content-Type", "text/html")], [HTML], False),
    "/created": ("201 Created", [("Content-Type", "text/plain")],
                 [b"made"], False),
    "/no-content": ("204 No Content", [("X-Backend", "yes")], [], False),
    "/not-modified": ("304 Not Modified", [("ETag", '"v1"')], [], False),
    "/range": ("416 Range Not Satisfiable",
               [("Content-Type", "text/html"),
                ("Content-Range", "bytes */1000")],
               [HTML], False),
    "/grpc": ("503 Service Unavailable",
              [("Content-Type", "text/html")], [HTML], False),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, head_only):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        route = ROUTES.get(self.path.split("?")[0])
        if route is None:
            route = ("404 Not Found", [("Content-Type", "text/plain")],
                     [b"no route\n"], False)
        status, headers, parts, chunked = route
        out = ["HTTP/1.1 %s" % status]
        out += ["%s: %s" % h for h in headers]
        no_body = status[:3] in ("204", "304")
        if chunked:
            out.append("Transfer-Encoding: chunked")
        elif not no_body and chunked is not None:
            out.append("Content-Length: %d" % sum(len(p) for p in parts))
        self.wfile.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        self.wfile.flush()
        if head_only or no_body:
            return
        for i, part in enumerate(parts):
            if i:
                time.sleep(0.05)
            if chunked:
                part = b"%x\r\n%s\r\n" % (len(part), part)
            self.wfile.write(part)
            self.wfile.flush()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        if chunked is None:
            time.sleep(0.1)
            self.close_connection = True

    def do_GET(self):
        self.answer(False)

    def do_POST(self):
        self.answer(False)

    def do_HEAD(self):
        self.answer(True)


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
