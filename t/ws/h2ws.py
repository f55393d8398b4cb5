"""What t/ws/h2wsclient.py and t/ws/h2tunnel.py share: opening a WebSocket
on an HTTP/2 connection (RFC 8441 extended CONNECT), with python3-h2."""
import socket

import h2.config
import h2.connection


def connect(host, port):
    """An h2c connection with its preface sent: (socket, H2Connection)."""
    sock = socket.create_connection((host, int(port)), timeout=10)
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def open_websocket(conn, host, port, path):
    """Send the extended CONNECT for path; returns the stream id."""
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [
        (":method", "CONNECT"), (":protocol", "websocket"),
        (":scheme", "http"), (":path", path),
        (":authority", f"{host}:{port}"),
        ("sec-websocket-version", "13")])
    return stream
