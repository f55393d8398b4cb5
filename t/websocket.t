# WebSocket exceptions: FastExcWebSocket (direct and before proxying),
# FastExcWebSocketReject http, FastExcWebSocketBackendError, handshake
# hygiene, the C API (raise and established close), the notes API, HTTP/2
# (RFC 8441), misbehaving clients, and conformance of the close frame with
# FastAPI's WebSocketException.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use IO::Socket::INET;
use JSON::PP ();

my $python = $ENV{FASTEXC_PYTHON} || '/usr/bin/python3';
plan skip_all => "python3-websockets, FastAPI or uvicorn missing for $python"
    if system($python, '-c', 'import websockets, fastapi, uvicorn') != 0;

my $t_dir = Apache::Test::vars('t_dir');
my $hp = fx_hostport();
my $log = Apache::Test::vars('t_logs') . '/error_log';

# ---- the backends: FastAPI on loopback, and one that never answers ----
my $backend_port = fx_conf_define('FASTEXC_WS_BACKEND_PORT');
my $stall_port = fx_conf_define('FASTEXC_WS_STALL_PORT');
my $stall = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $stall_port, Listen => 5, ReuseAddr => 1)
    or die "stall backend on $stall_port: $!";
eval { fx_start_uvicorn($python, $backend_port); 1 } or BAIL_OUT($@);
my $backend = "127.0.0.1:$backend_port";

sub hits {
    my $res = fx_request(hostport => $backend, path => '/ws/hits');
    return JSON::PP->new->decode($res->{body});
}

# ---- a real client (python3-websockets) ----
sub ws_client {
    my ($path, @headers) = @_;
    my $out = `'$python' '$t_dir/ws/wsclient.py' 'ws://$hp$path' @{[ map { "'$_'" } @headers ]}`;
    my $res = eval { JSON::PP->new->utf8->decode($out) };
    return $res || { error => "client printed: $out" };
}

my $u = sub { JSON::PP->new->utf8->decode(qq("$_[0]")) };   # decode \u escapes

my @client_cases = (
    # label, path, headers, expected
    ['raised: code and reason', '/ws/raise/x', [],
     { open => 1, code => 4001, reason => $u->('\u00dcn\u00efcode reason \u2713') }],
    ['raised: first rule whose condition holds', '/ws/raise/x?deny', [],
     { open => 1, code => 1008, reason => 'Policy violated' }],
    ['raised: no reason', '/ws/empty', [], { open => 1, code => 1000, reason => '' }],
    ['not raised: condition false, request served', '/ws/cond', [],
     { open => 0, status => 200 }],
    ['condition true', '/ws/cond?deny', [],
     { open => 1, code => 1008, reason => 'denied' }],
    ['FastExcWebSocket Off: nothing inherited', '/ws/raise/off', [],
     { open => 0, status => 404 }],
    ['Reject http: 403', '/ws/http', [], { open => 0, status => 403 }],
    ['Reject http 429', '/ws/http429', [], { open => 0, status => 429 }],
    ['FastExcRaise 503 on an upgrade: 1013 and the detail',
     '/ws/maint/x', [],
     { open => 1, code => 1013, reason => 'Down for maintenance, back at 14:00' }],
    ['FastExcRaise 401 on an upgrade: 1008', '/ws/auth/x', [],
     { open => 1, code => 1008, reason => 'Not authenticated' }],
    ['FastExcWebSocketRaiseCode for the status', '/ws/gone/x', [],
     { open => 1, code => 4404, reason => 'nothing here' }],
    ['FastExcWebSocketRaiseCode for the class; a JSON detail as JSON',
     '/ws/gone/x?json', [],
     { open => 1, code => 4000, reason => '{"loc":["path"],"msg":"gone"}' }],
    ['500: 1011, the reason cut to 123 bytes at a character', '/ws/long/x',
     [], { open => 1, code => 1011, reason => "\x{e4}" x 61 }],
    ['FastExcRaise with FastExcWebSocketReject http: HTTP 503',
     '/ws/maint-http/x', [], { open => 0, status => 503 }],
    ['proxied: raised before proxying', '/wsp/deny', [],
     { open => 1, code => 1008, reason => 'no proxy for you' }],
    ['proxied: backend down', '/wsp/down', [],
     { open => 1, code => 1011, reason => 'backend unavailable' }],
    ['proxied: backend rejects the upgrade', '/wsp/reject', [],
     { open => 1, code => 1011, reason => 'backend unavailable' }],
    ['proxied: backend times out', '/wsp/stall', [],
     { open => 1, code => 1011, reason => 'backend unavailable' }],
    ['proxied: backend down, no BackendError: HTTP 503', '/wsp/plain-down', [],
     { open => 0, status => 503 }],
    ['proxied: backend closes with its own code', '/wsp/raise', [],
     { open => 1, code => 4003, reason => 'raised after accept' }],
    ['C API: fastexc_raise_websocket from fixups', '/api/x',
     ['X-Raise-Phase:fixups', 'X-Raise-WS-Code:4010',
      'X-Raise-WS-Reason:from the C API'],
     { open => 1, code => 4010, reason => 'from the C API' }],
    ['C API: from access_checker', '/api/x',
     ['X-Raise-Phase:access_checker', 'X-Raise-WS-Code:1013'],
     { open => 1, code => 1013, reason => '' }],
    ['C API: from post_read_request', '/api/x',
     ['X-Raise-Phase:post_read_request', 'X-Raise-WS-Code:1001',
      'X-Raise-WS-Reason:going away'],
     { open => 1, code => 1001, reason => 'going away' }],
    ['C API: unsendable code answered 500', '/api/x',
     ['X-Raise-Phase:handler', 'X-Raise-WS-Code:1005'],
     { open => 0, status => 500 }],
    ['C API: established WebSocket closed by fastexc_websocket_close',
     '/api/wsown', [],
     { open => 1, code => 4002, reason => 'closed by its module',
       received => ['hello'] }],
    ['notes API from mod_lua', '/lua/wsraise.lua', [],
     { open => 1, code => 4004, reason => 'closed from Lua' }],
);

# fastexc_websocket_close() waits for the client's Close as long as the
# scope of the upgrade says (it took the virtual host's: 5 s here); a client
# that never answers shows the wait.
for my $c (['the location sets 1 s', '/api/wsown-short', 0.5, 3],
           ['the default, 5 s', '/api/wsown', 4, 8]) {
    my ($label, $path, $min, $max) = @$c;
    my ($sock, $res) = fx_ws_open(path => $path);
    my $waited = fx_wait_eof($sock, 10);
    ok(defined $waited && $waited > $min && $waited < $max,
       "fastexc_websocket_close, silent client, $label")
        or diag('closed after ' . ($waited // 'never'));
}

my $echo_before = hits()->{echo};
for my $c (@client_cases) {
    my ($label, $path, $hdrs, $want) = @$c;
    my $got = ws_client($path, @$hdrs);
    diag("$label: $got->{error}") if $got->{error};
    is(!!$got->{open}, !!$want->{open}, "$label: handshake "
       . ($want->{open} ? 'accepted' : 'refused'));
    for my $k (qw(code reason status)) {
        is($got->{$k}, $want->{$k}, "$label: $k") if exists $want->{$k};
    }
    is_deeply($got->{received}, $want->{received}, "$label: messages")
        if $want->{received};
}
is(hits()->{echo}, $echo_before, 'raised before proxying: no backend connection');

# a normal proxied session is untouched: echo through the tunnel
{
    my ($sock, $res, $buf) = fx_ws_open(path => '/wsp/echo');
    is($res->{status}, 101, 'proxied session: 101');
    print $sock fx_ws_client_frame(1, 'ping through the tunnel');
    my $f = fx_ws_read_frame($sock, \$buf);
    is($f && $f->{payload}, 'ping through the tunnel', 'proxied session: echo');
    print $sock fx_ws_client_frame(8, pack('n', 1000));
    $f = fx_ws_read_frame($sock, \$buf);
    is($f && $f->{opcode}, 8, 'proxied session: backend closes normally');
    close $sock;
    is(hits()->{echo}, $echo_before + 1, 'proxied session reached the backend');
}

# ---- exact bytes: handshake and close frame, and FastAPI conformance ----
{
    my ($sock, $res, $buf) = fx_ws_open(path => '/ws/conf');
    is($res->{status}, 101, 'handshake: 101');
    is($res->{headers}{'sec-websocket-accept'}[0], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
       'handshake: Sec-WebSocket-Accept of the RFC 6455 sample key');
    is(lc $res->{headers}{upgrade}[0], 'websocket', 'handshake: Upgrade');
    my $ours = fx_ws_read_frame($sock, \$buf);
    close $sock;
    ($sock, $res, $buf) = fx_ws_open(hostport => $backend, path => '/ws/raise');
    is($res->{status}, 101, 'FastAPI: accepted');
    my $ref = fx_ws_read_frame($sock, \$buf);
    close $sock;
    ok($ours && $ref, 'both sent a frame');
    is(unpack('H*', $ours->{raw}), unpack('H*', $ref->{raw}),
       'close frame identical to FastAPI WebSocketException(4003, reason)');
    is(unpack('H*', $ours->{raw}),
       '8815' . '0fa3' . unpack('H*', 'raised after accept'),
       'close frame bytes');
}

# Reject http: FastAPI JSON body; hygiene: RFC 6455's HTTP errors as JSON
my @http_cases = (
    ['Reject http body', '/ws/http', {},
     { status => 403, body => '{"detail":"Policy violated"}',
       headers => { 'Content-Type' => 'application/json' } }],
    ['Reject http 429 body', '/ws/http429', {},
     { status => 429, body => '{"detail":"Try again later"}' }],
    ['version 8: 426 with Sec-WebSocket-Version', '/ws/raise/x', { version => 8 },
     { status => 426, reason => 'Upgrade Required', json => 1,
       headers => { 'Sec-WebSocket-Version' => 13 } }],
    ['bad key: 400', '/ws/raise/x', { key => 'not-a-key' },
     { status => 400, body => '{"detail":"Invalid Sec-WebSocket-Key"}' }],
    ['non-upgrade request in the same scope: served', '/ws/cond',
     { plain => 1 }, { status => 200, body => "static file, 22 bytes\n" }],
    ['C API on a non-upgrade request: HTTP 403', '/api/x',
     { plain => 1, headers => [['X-Raise-Phase', 'handler'],
                               ['X-Raise-WS-Code', 4000],
                               ['X-Raise-WS-Reason', 'no socket']] },
     { status => 403, body => '{"detail":"no socket"}' }],
);
for my $c (@http_cases) {
    my ($label, $path, $o, $want) = @$c;
    my $res;
    if ($o->{plain}) {
        $res = fx_request(path => $path, headers => $o->{headers});
    }
    else {
        my $sock;
        ($sock, $res) = fx_ws_open(path => $path, %$o);
        close $sock;
    }
    fx_check($label, $res, $want);
}

# A long reason from the API is cut at a UTF-8 boundary (and logged).
{
    my $got = ws_client('/api/x', 'X-Raise-Phase:handler',
                        'X-Raise-WS-Code:4000', 'X-Raise-WS-Reason:long:100');
    is($got->{code}, 4000, 'long reason: closed');
    is(length(Encode::encode_utf8($got->{reason} // '')), 122,
       'long reason: cut to 122 bytes, not splitting a 2-byte character');
}

# ---- misbehaving clients: every wait is bounded ----
{
    my $mark = -s $log;
    my ($sock, $res, $buf) = fx_ws_open(path => '/ws/raise/x');
    my $f = fx_ws_read_frame($sock, \$buf);
    is($f && $f->{opcode}, 8, 'silent client: got Close');
    my $t = fx_wait_eof($sock, 10);
    ok(defined $t, 'silent client: server closed within 10 s (timeout 1 s)');
    ok(defined $t && $t >= 0.5, 'silent client: server waited for a Close');
    like(fx_log_since($mark), qr/FX0013: WebSocket close handshake: timed out/,
         'silent client: logged');
}
{
    my $mark = -s $log;
    my ($sock, $res, $buf) = fx_ws_open(path => '/ws/raise/x');
    fx_ws_read_frame($sock, \$buf);
    print $sock "GET /garbage HTTP/1.1\r\nHost: x\r\n\r\n";
    ok(defined fx_wait_eof($sock, 10), 'garbage frames: server closed');
    like(fx_log_since($mark), qr/FX0013: .*client sent invalid frames/,
         'garbage frames: logged');
}
{
    my $mark = -s $log;
    my ($sock, $res, $buf) = fx_ws_open(path => '/ws/raise/x');
    fx_ws_read_frame($sock, \$buf);
    print $sock fx_ws_client_frame(1, 'x' x 5000), fx_ws_client_frame(9, 'p'),
                fx_ws_client_frame(8, pack('n', 1000) . 'bye');
    ok(defined fx_wait_eof($sock, 10), 'data before Close: server closed');
    like(fx_log_since($mark), qr/FX0013: .*client closed \(client code 1000\)/,
         'data before Close: discarded, Close read');
}
{
    my ($sock) = fx_ws_open(path => '/ws/raise/x');
    close $sock;    # vanish mid-close
    my $res = fx_request(path => '/static/file.txt');
    is($res->{status}, 200, 'client vanished: server still serves');
}

# ---- HTTP/2 (RFC 8441) ----
SKIP: {
    skip 'python3-h2 missing', 4 if system($python, '-c', 'import h2') != 0;
    my ($host, $port) = split /:/, $hp;
    my $out = `'$python' '$t_dir/ws/h2wsclient.py' $host $port /ws/raise/x`;
    my $got = eval { JSON::PP->new->decode($out) } || {};
    ok($got->{settings}, 'h2: server offers extended CONNECT');
    is($got->{status}, 200, 'h2: :status 200');
    is($got->{frame}, '88' . sprintf('%02x', 2 + 20) . '0fa1'
       . unpack('H*', Encode::encode_utf8($u->('\u00dcn\u00efcode reason \u2713'))),
       'h2: the same Close frame');
    ok($got->{ended}, 'h2: stream ends after the close handshake');
}

done_testing();

use Encode ();
