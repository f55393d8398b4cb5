"""A WebSocket over HTTP/2 (RFC 8441, extended CONNECT on h2c) client, with
Debian's python3-h2, for t/websocket.t.

    h2wsclient.py HOST PORT PATH

Prints one JSON line: {"settings": <ENABLE_CONNECT_PROTOCOL seen>,
"status": <:status>, "frame": <hex of the first WebSocket frame>,
"ended": <the stream ended after our Close reply>}. Bounded: 10 s.
"""
import json
import sys
import time

import h2.events
import h2.settings

from h2ws import connect, open_websocket


def main(host, port, path):
    out = {"settings": False, "status": None, "frame": "", "ended": False}
    sock, conn = connect(host, port)
    deadline = time.time() + 10
    stream = None
    data = b""
    replied = False
    while time.time() < deadline and not out["ended"]:
        chunk = sock.recv(65536)
        if not chunk:
            break
        for ev in conn.receive_data(chunk):
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                code = h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL
                if code in ev.changed_settings and stream is None:
                    out["settings"] = ev.changed_settings[code].new_value == 1
                    stream = open_websocket(conn, host, port, path)
            elif isinstance(ev, h2.events.ResponseReceived):
                out["status"] = int(dict(ev.headers)[b":status"])
            elif isinstance(ev, h2.events.DataReceived):
                data += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length,
                                               ev.stream_id)
                if len(data) >= 2 and len(data) >= 2 + (data[1] & 0x7F) \
                        and not replied:
                    out["frame"] = data[:2 + (data[1] & 0x7F)].hex()
                    # answer the Close with ours (masked, code 1000)
                    mask = b"\x01\x02\x03\x04"
                    payload = bytes(b ^ mask[i % 4]
                                    for i, b in enumerate(b"\x03\xe8"))
                    conn.send_data(stream, b"\x88\x82" + mask + payload)
                    replied = True
            elif isinstance(ev, (h2.events.StreamEnded,
                                 h2.events.StreamReset)):
                out["ended"] = True
        sock.sendall(conn.data_to_send())
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])
