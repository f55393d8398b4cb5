# The WebSocket answer to handshakes as real clients send them: header sets
# replayed from Chromium, Firefox, curl and python3-websockets, header case,
# token order, extensions and subprotocols offered. Each gets 101 with the
# right Sec-WebSocket-Accept, no extension or subprotocol chosen (the Close
# frame's RSV bits are zero: nothing was negotiated), then the Close.
# (t/browser.t drives a real headless Chromium; t/websocket.t the HTTP/2
# and python3-websockets clients.)
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Digest::SHA qw(sha1_base64);
use FastExcTest;

my $hp = fx_hostport();
my $key = 'x3JJHMbDL1EzLkh9GBhXDw==';
my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
my $reason = "\xc3\x9cn\xc3\xafcode reason \xe2\x9c\x93";
my $close = pack('CCn', 0x88, 2 + length $reason, 4001) . $reason;

my @cases = (
    ['Chromium', [
        'Connection: Upgrade', 'Pragma: no-cache', 'Cache-Control: no-cache',
        'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 '
            . '(KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
        'Upgrade: websocket', "Origin: http://$hp",
        'Sec-WebSocket-Version: 13', 'Accept-Encoding: gzip, deflate, br, zstd',
        'Accept-Language: en-US,en;q=0.9', "Sec-WebSocket-Key: $key",
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits']],
    ['Firefox (keep-alive before Upgrade)', [
        'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) '
            . 'Gecko/20100101 Firefox/128.0',
        'Accept: */*', 'Accept-Language: en-US,en;q=0.5',
        'Accept-Encoding: gzip, deflate, br, zstd',
        'Sec-WebSocket-Version: 13', "Origin: http://$hp",
        'Sec-WebSocket-Extensions: permessage-deflate',
        "Sec-WebSocket-Key: $key", 'DNT: 1', 'Connection: keep-alive, Upgrade',
        'Sec-Fetch-Dest: empty', 'Sec-Fetch-Mode: websocket',
        'Sec-Fetch-Site: same-origin', 'Pragma: no-cache',
        'Cache-Control: no-cache', 'Upgrade: websocket']],
    ['curl', [
        'User-Agent: curl/7.88.1', 'Accept: */*', 'Upgrade: websocket',
        'Sec-WebSocket-Version: 13', "Sec-WebSocket-Key: $key",
        'Connection: Upgrade']],
    ['python3-websockets', [
        'Upgrade: websocket', 'Connection: Upgrade',
        "Sec-WebSocket-Key: $key", 'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
        'User-Agent: Python/3.11 websockets/10.4']],
    ['header names and tokens in other cases', [
        'upgrade: WebSocket', 'connection: UPGRADE',
        "sec-websocket-key: $key", 'SEC-WEBSOCKET-VERSION: 13']],
    ['Upgrade among other tokens', [
        'Upgrade: websocket', 'Connection: Upgrade, keep-alive, TE',
        "Sec-WebSocket-Key: $key", 'Sec-WebSocket-Version: 13']],
    ['subprotocols offered', [
        'Upgrade: websocket', 'Connection: Upgrade',
        "Sec-WebSocket-Key: $key", 'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: chat, superchat']],
);

for my $c (@cases) {
    my ($label, $headers) = @$c;
    my $sock = fx_connect();
    print $sock "GET /ws/raise/x HTTP/1.1\r\nHost: $hp\r\n",
        join('', map { "$_\r\n" } @$headers), "\r\n";
    my ($buf, $sel) = ('', IO::Select->new($sock));
    while ($buf !~ /\r\n\r\n/ || length($buf) - index($buf, "\r\n\r\n") - 4
           < length $close) {
        last unless $sel->can_read(10);
        sysread($sock, $buf, 4096, length $buf) or last;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    $head //= '';
    like($head, qr{^HTTP/1\.1 101 Switching Protocols\r\n}, "$label: 101");
    like($head, qr{\r\nSec-WebSocket-Accept: \Q$accept\E(\r\n|$)},
         "$label: the accept key");
    like($head, qr{\r\nUpgrade: websocket(\r\n|$)}i, "$label: Upgrade");
    unlike($head, qr{Sec-WebSocket-(Extensions|Protocol)}i,
           "$label: no extension or subprotocol chosen");
    is(unpack('H*', substr($rest // '', 0, length $close)), unpack('H*', $close),
       "$label: the Close frame, RSV bits zero");
    print $sock fx_ws_client_frame(8, pack('n', 4001));
    ok(defined fx_wait_eof($sock, 10), "$label: then the connection closes");
    close $sock;
}

done_testing();
