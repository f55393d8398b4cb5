# Every exception path and every close path is counted, once, under its own
# status or close code: mod_status ?auto (FastExcExceptionsNNN,
# FastExcWebSocketClosesNNN) is read before and after each case, and the
# whole change must be the expected one (no other counter moves, nothing is
# counted twice). Locations: t/conf/counters.conf.in.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use Digest::SHA qw(sha1_base64);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);

plan skip_all => 'mod_status is not loaded' unless need_module('status');
plan skip_all => 'mod_lua is not loaded' unless need_module('lua');
plan skip_all => 'mod_fastexc_test not built' unless need_module('fastexc_test');

sub counts {
    my $body = fx_request(path => '/server-status?auto')->{body};
    return { $body =~ /^FastExc((?:Exceptions|WebSocketCloses)\d+): (\d+)$/mg };
}

sub delta {
    my ($before, $after) = @_;
    my %d;
    for my $k (keys %$after) {
        my $n = $after->{$k} - ($before->{$k} // 0);
        $d{$k} = $n if $n;
    }
    return \%d;
}

# The change a case made, once it is the expected one or after 3 s (a
# tunnel's Close is counted after it is written); no change expected: the
# change after 0.5 s.
sub change_after {
    my ($before, $want) = @_;
    my $deadline = time + 3;
    sleep 0.5 unless %$want;
    while (1) {
        my $d = delta($before, counts());
        return $d if same($d, $want) || time > $deadline;
        sleep 0.1;
    }
}
sub same {
    my ($x, $y) = @_;
    return join(',', map { "$_=$x->{$_}" } sort keys %$x)
        eq join(',', map { "$_=$y->{$_}" } sort keys %$y);
}

# ---- the scripted backend: /reject answers 403, /tunnel upgrades, sends a
# text frame and goes away (the tunnel ends: FastExcWebSocketTunnelClose) ----
my $port = do {
    my $file = Apache::Test::vars('t_conf') . '/counters.conf';
    open my $fh, '<', $file or die "$file: $!";
    my ($p) = join('', <$fh>) =~ /^Define FASTEXC_CNT_BACKEND_PORT (\d+)$/m;
    $p // die "no backend port in $file";
};
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                   Listen => 5, ReuseAddr => 1)
    or die "backend on $port: $!";
my $backend = fork // die "fork: $!";
if (!$backend) {
    while (my $s = $listen->accept) {
        my $head = '';
        while ($head !~ /\r\n\r\n/) { sysread($s, $head, 4096, length $head) or last }
        my ($key) = $head =~ /^Sec-WebSocket-Key:\s*(\S+)/mi;
        if ($head =~ m{^GET /tunnel} && $key) {
            my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
            print $s "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n",
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n",
                     "\x81\x02hi";
            sleep 0.3;
        }
        else {
            print $s "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        }
        close $s;
    }
    POSIX::_exit(0);
}
close $listen;
END { local $?; if ($backend) { kill "TERM", $backend; waitpid $backend, 0 } }

# A WebSocket handshake; reads frames until a Close, answers it. The close
# code, or the HTTP status when the handshake is refused.
sub ws {
    my ($path, %o) = @_;
    my ($sock, $res, $buf) = fx_ws_open(path => $path, %o);
    return "HTTP $res->{status}" if $res->{status} != 101;
    while (my $f = fx_ws_read_frame($sock, \$buf)) {
        next unless $f->{opcode} == 8;
        print $sock fx_ws_client_frame(8, substr($f->{payload}, 0, 2));
        close $sock;
        return 'close ' . unpack('n', $f->{payload});
    }
    return 'no close';
}
sub http { fx_request(@_)->{status} }
sub api { my @h = @_; http(path => '/api/x', headers => [map { [split /:/, $_, 2] } @h]) }

my @cases = (
    # label, action, what it answers, the counters it moves
    ['FastExcRaise', sub { http(path => '/cnt/raise?x') }, 409, { Exceptions409 => 1 }],
    ['FastExcRaise, HEAD', sub { http(path => '/cnt/raise', method => 'HEAD') }, 409,
     { Exceptions409 => 1 }],
    ['FastExcRaise 204 (no body)', sub { http(path => '/cnt/204') }, 204, { Exceptions204 => 1 }],
    ['FastExcFormat problem', sub { http(path => '/cnt/problem') }, 410, { Exceptions410 => 1 }],
    ['SetHandler fastexc', sub { http(path => '/cnt/handler') }, 404, { Exceptions404 => 1 }],
    ['FastExc On: httpd 403', sub { http(path => '/cnt/on/denied') }, 403, { Exceptions403 => 1 }],
    ['FastExc On: FastExcDetail 404', sub { http(path => '/cnt/on/nothing') }, 404,
     { Exceptions404 => 1 }],
    ['FastExc On: ErrorDocument literal 401', sub { http(path => '/cnt/ed') }, 401,
     { Exceptions401 => 1 }],
    ['FastExc On: proxy error 503', sub { http(path => '/cnt/down-http') }, 503,
     { Exceptions503 => 1 }],
    ['notes: text', sub { http(path => '/lua/raise.lua?status=421&text=x') }, 421,
     { Exceptions421 => 1 }],
    ['notes: JSON', sub { http(path => '/lua/raise.lua?status=423&json=%5B1%5D') }, 423,
     { Exceptions423 => 1 }],
    ['notes: invalid JSON', sub { http(path => '/lua/raise.lua?status=424&json=%7B') }, 424,
     { Exceptions424 => 1 }],
    ['C API: text', sub { api('X-Raise-Phase:handler', 'X-Raise-Status:402', 'X-Raise-Text:t') },
     402, { Exceptions402 => 1 }],
    ['C API: JSON', sub { api('X-Raise-Phase:fixups', 'X-Raise-Status:406', 'X-Raise-Json:[1]') },
     406, { Exceptions406 => 1 }],
    ['C API: default detail and a header', sub { api('X-Raise-Phase:post_read_request',
        'X-Raise-Status:418', 'X-Raise-Header:X-A: b') }, 418, { Exceptions418 => 1 }],
    ['C API: bad JSON answered 500', sub { api('X-Raise-Phase:handler',
        'X-Raise-Status:400', 'X-Raise-Json:{') }, 500, { Exceptions500 => 1 }],
    ['C API: WebSocket raise on a plain request', sub { api('X-Raise-Phase:fixups',
        'X-Raise-WS-Code:4000') }, 403, { Exceptions403 => 1 }],
    ['FastExcWebSocketReject http 429', sub { ws('/cnt/wshttp') }, 'HTTP 429',
     { Exceptions429 => 1 }],
    ['bad handshake: version 8', sub { ws('/cnt/ws', version => 8) }, 'HTTP 426',
     { Exceptions426 => 1 }],
    ['bad handshake: key', sub { ws('/cnt/ws', key => 'short') }, 'HTTP 400',
     { Exceptions400 => 1 }],
    ['FastExcWebSocket', sub { ws('/cnt/ws') }, 'close 4021', { WebSocketCloses4021 => 1 }],
    ['C API: fastexc_raise_websocket', sub { ws('/api/x', headers => [
        ['X-Raise-Phase', 'fixups'], ['X-Raise-WS-Code', 4022]]) }, 'close 4022',
     { WebSocketCloses4022 => 1 }],
    ['C API: fastexc_websocket_close', sub { ws('/api/wsown') }, 'close 4002',
     { WebSocketCloses4002 => 1 }],
    ['notes: fastexc-ws-code', sub { ws('/lua/wsraise.lua') }, 'close 4004',
     { WebSocketCloses4004 => 1 }],
    ['BackendError: backend down', sub { ws('/cnt/wsdown') }, 'close 4033',
     { WebSocketCloses4033 => 1 }],
    ['BackendError: backend refuses the upgrade', sub { ws('/cnt/wsp/reject') },
     'close 4032', { WebSocketCloses4032 => 1 }],
    ['TunnelClose: the backend went away', sub { ws('/cnt/wsp/tunnel') }, 'close 4031',
     { WebSocketCloses4031 => 1 }],
    # nothing sent, nothing counted
    ['a raise in a subrequest', sub { http(path => '/api/subreq',
        headers => [['X-Lookup', '/cnt/raise']]) }, 200, {}],
    ['a plain request', sub { http(path => '/static/file.txt') }, 200, {}],
    ['FastExc On, a success', sub { http(path => '/cnt/on/file') }, 200, {}],
);

for my $c (@cases) {
    my ($label, $action, $answer, $want) = @$c;
    my $before = counts();
    is($action->(), $answer, "$label: answered $answer");
    is_deeply(change_after($before, $want), $want, "$label: counted");
}

done_testing();
