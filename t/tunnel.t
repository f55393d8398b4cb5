# FastExcWebSocketTunnelClose: a proxied WebSocket whose tunnel ends
# abnormally gets a Close frame (backend gone, idle timeout, graceful
# restart) at a frame boundary only, never after a Close went either way;
# tunnels that end normally are byte for byte what they are without it.
# Its own httpd (event MPM), so it can be restarted gracefully mid-session.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use Digest::SHA qw(sha1_base64);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IPC::Open2 qw(open2);
use JSON::PP ();
use POSIX ();
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(sleep time);

my $python = $ENV{FASTEXC_PYTHON} || '/usr/bin/python3';
plan skip_all => "FastAPI or uvicorn missing for $python"
    if system($python, '-c', 'import fastapi, uvicorn') != 0;

my $httpd = Apache::Test::vars('httpd');
my $t_conf = Apache::Test::vars('t_conf');
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
my ($port, $idle_port, $up_port, $raw_port, $h2idle_port)
    = map { fx_free_port() } 1 .. 5;
my $conf = "$dir/httpd.conf";

# ---- the backends ----------------------------------------------------------

# FastAPI (t/fastapi/app.py): killed and started again by the cases
my $uvicorn = fx_start_uvicorn($python, $up_port);
sub kill_uvicorn {
    kill 'KILL', $uvicorn;
    waitpid $uvicorn, 0;
}
sub restart_uvicorn { $uvicorn = fx_start_uvicorn($python, $up_port) }

# A scripted backend: answers the handshake, then does what the path says.
my %raw = (
    # a whole frame, then the process goes away
    'frame-close' => sub { my $s = shift; print $s "\x81\x02hi"; 1 },
    # half a frame, then gone: no Close may follow it
    'mid-frame' => sub { my $s = shift; print $s "\x81\x0ahell"; 1 },
    # its own Close, then gone at once without waiting for the reply
    'close-eof' => sub { my $s = shift; print $s "\x88\x06\x03\xe8done"; 1 },
    # a frame, then a reset instead of a FIN
    'reset' => sub {
        my $s = shift;
        print $s "\x81\x02hi";
        sleep 0.3;
        setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
        1;
    },
    # permessage-deflate frames (RSV1) and a 16-bit length: still followed
    'deflate' => sub {
        my $s = shift;
        print $s "\xc1\x03abc", "\x82\x7e\x01\x00", 'x' x 256;
        1;
    },
    # a 70000-byte frame (64-bit length) written in pieces
    'big' => sub {
        my $s = shift;
        print $s "\x82\x7f", pack('Q>', 70000);
        for (1 .. 7) { print $s 'y' x 10000; sleep 0.02 }
        1;
    },
    # the same, its last piece with small frames after it in one write
    # (headers taken where the big frame ends): a ping, then the backend's
    # Close, half a frame, or nothing
    (map {
        my $tail = $_->[1];
        ($_->[0] => sub {
            my $s = shift;
            print $s "\x82\x7f", pack('Q>', 70000);
            for (1 .. 6) { print $s 'y' x 10000; sleep 0.02 }
            print $s ('y' x 10000) . "\x81\x02hi\x89\x00" . $tail;
            1;
        })
    } (['big-close', "\x88\x02\x03\xe8"], ['big-mid', "\x82\x0ahell"],
       ['big-frames', ''])),
    # one 2 MiB frame at about 2 MiB/s, a pause, then another frame:
    # a restart during the first must let it end, then close
    'slow-big' => sub {
        my $s = shift;
        print $s "\x82\x7f", pack('Q>', 2 * 1024 * 1024);
        for (1 .. 32) { print $s 'z' x 65536; sleep 0.03 }
        sleep 0.5;
        print $s "\x81\x05after";
        my $sel = IO::Select->new($s);
        1 while $sel->can_read(10) && sysread($s, my $b, 65536);
        1;
    },
    # reads nothing of a large upload, then resets the connection
    'stall-reset' => sub {
        my $s = shift;
        sleep 1.5;
        setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
        1;
    },
    # waits for the client's Close, then goes without answering it
    'client-close' => sub {
        my $s = shift;
        my $sel = IO::Select->new($s);
        my $buf = '';
        while ($sel->can_read(10)) {
            sysread($s, $buf, 4096, length $buf) or last;
            last if $buf =~ /^\x88/;
        }
        1;
    },
);
my $raw_pid = fork // die "fork: $!";
if (!$raw_pid) {
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => $raw_port, Listen => 16, ReuseAddr => 1)
        or POSIX::_exit(1);
    $SIG{CHLD} = 'IGNORE';
    while (my $s = $l->accept) {
        if (fork) { close $s; next }
        binmode $s;
        $s->autoflush(1);
        my $head = '';
        my $sel = IO::Select->new($s);
        while ($head !~ /\r\n\r\n/ && $sel->can_read(5)) {
            sysread($s, $head, 4096, length $head) or last;
        }
        my ($path) = $head =~ m{^GET /(\S*) };
        my ($key) = $head =~ /^Sec-WebSocket-Key:\s*(\S+)/mi;
        POSIX::_exit(0) if !defined $key;   # the readiness probe
        if ($path =~ /^refuse/) {
            # refuses every upgrade with a chunked JSON 403, keeping the
            # connection for the next request (a reused backend connection)
            while ($head =~ /\r\n\r\n/) {
                $head =~ s/^.*?\r\n\r\n//s;
                print $s "HTTP/1.1 403 Forbidden\r\n",
                    "Content-Type: application/json\r\n",
                    "Transfer-Encoding: chunked\r\n\r\n",
                    "14\r\n{\"detail\":\"refused\"}\r\n0\r\n\r\n";
                while ($head !~ /\r\n\r\n/ && $sel->can_read(30)) {
                    sysread($s, $head, 4096, length $head) or last;
                }
            }
            POSIX::_exit(0);
        }
        my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
            . '=';
        print $s "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n",
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n";
        sleep 0.2;
        ($raw{$path} || sub { 1 })->($s);
        close $s;
        POSIX::_exit(0);
    }
    POSIX::_exit(0);
}
# (local $?: the backend killed must not become the test's exit status)
END { local $?; if ($raw_pid) { kill 'KILL', $raw_pid; waitpid $raw_pid, 0 } }
for (1 .. 100) {
    last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$raw_port");
    sleep 0.05;
}

# ---- the server --------------------------------------------------------------

open my $fh, '<', "$t_conf/modules.load" or die "modules.load: $!";
my $modules = do { local $/; <$fh> };
close $fh;
my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
my $up = "ws://127.0.0.1:$up_port/ws";
my $rawb = "ws://127.0.0.1:$raw_port";
open my $out, '>', $conf or die "$conf: $!";
print $out <<"EOF";
ServerRoot $dir
ServerName localhost
Listen 127.0.0.1:$port
Listen 127.0.0.1:$idle_port
Listen 127.0.0.1:$h2idle_port
PidFile $dir/httpd.pid
ErrorLog $dir/error_log
LogLevel info fastexc:debug
DefaultRuntimeDir $dir
Mutex file:$dir default
$user$modules
LogFormat "%U ws=%{fastexc-sent-ws-code}n reason=\\"%{fastexc-sent-ws-reason}n\\"" fx
CustomLog $dir/access_log fx
Timeout 30
Protocols h2c http/1.1
H2WebSockets on
# two generations side by side during a graceful restart
ServerLimit 8
MaxRequestWorkers 100

<VirtualHost 127.0.0.1:$port>
    ProxyPass /on/echo $up/echo upgrade=websocket
    ProxyPass /off/echo $up/echo upgrade=websocket
    ProxyPass /on/raise $up/raise upgrade=websocket
    ProxyPass /on/reject $up/reject upgrade=websocket
    ProxyPass /off/raise $up/raise upgrade=websocket
    ProxyPass /on/raw/ $rawb/ upgrade=websocket
    ProxyPass /off/raw/ $rawb/ upgrade=websocket
    ProxyPass /custom/raw/ $rawb/ upgrade=websocket
    ProxyPass /backend-off/raw/ $rawb/ upgrade=websocket
    ProxyPass /restart-off/echo $up/echo upgrade=websocket
    <Location /on>
        FastExcWebSocketTunnelClose On
    </Location>
    <Location /custom>
        FastExcWebSocketTunnelClose backend 4001 "backend custom ✓"
    </Location>
    <Location /backend-off>
        FastExcWebSocketTunnelClose On
        FastExcWebSocketTunnelClose backend Off
    </Location>
    <Location /restart-off>
        FastExcWebSocketTunnelClose On
        FastExcWebSocketTunnelClose restart Off
    </Location>
</VirtualHost>

<VirtualHost 127.0.0.1:$idle_port>
    # the tunnel's idle timeout: the larger of the client's and backend's
    Timeout 2
    ProxyPass /on/echo $up/echo upgrade=websocket
    ProxyPass /custom/echo $up/echo upgrade=websocket
    ProxyPass /off/echo $up/echo upgrade=websocket
    <Location /on>
        FastExcWebSocketTunnelClose On
    </Location>
    <Location /custom>
        FastExcWebSocketTunnelClose timeout 4008 "too quiet"
    </Location>
</VirtualHost>

<VirtualHost 127.0.0.1:$h2idle_port>
    # HTTP/2: mod_http2 polls the connection with Timeout too, and at a
    # timeout with a stream whose output is waiting it closes the whole
    # connection (GOAWAY 70007, APR_TIMEUP): when the tunnel's idle timeout
    # is the same 2 s from the same last frame, its Close is lost now and
    # then (2 in 1500). ProxyTimeout 3 makes the tunnel's 3 s, a second
    # away from the connection's polls (2 s, 4 s).
    Timeout 2
    ProxyTimeout 3
    ProxyPass /on/echo $up/echo upgrade=websocket
    <Location /on>
        FastExcWebSocketTunnelClose On
    </Location>
</VirtualHost>
EOF
close $out;

my $started = `'$httpd' -f '$conf' -k start 2>&1`;
is($? >> 8, 0, 'httpd started') or diag($started);
for (1 .. 100) {
    last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
    sleep 0.1;
}
END {
    # a failure shows what the server logged (the directory goes with it)
    my $status = $?;
    local $?;
    if ($dir && ($status || !Test::More->builder->is_passing)) {
        my @lines = split /\n/, log_text('error_log');
        diag("error_log: $_") for @lines[($#lines > 29 ? $#lines - 29 : 0)
                                         .. $#lines];
    }
    `'$httpd' -f '$conf' -k stop 2>&1` if $conf && -e "$dir/httpd.pid";
}

# ---- helpers -----------------------------------------------------------------

sub close_frame {
    my ($code, $reason) = @_;
    utf8::encode($reason);
    return pack('CCn', 0x88, 2 + length $reason, $code) . $reason;
}

sub open_ws {
    my ($path, $p) = @_;
    my ($sock, $res, $rest) = fx_ws_open(hostport => "127.0.0.1:" . ($p || $port),
                                         path => $path);
    return ($sock, $res->{status}, $rest);
}

# Everything the server sends until it closes (or $limit seconds), and when.
sub read_to_eof {
    my ($sock, $buf, $limit) = @_;
    my $start = time;
    my $sel = IO::Select->new($sock);
    while ((my $left = $limit - (time - $start)) > 0) {
        next unless $sel->can_read($left);
        my $n = sysread($sock, $buf, 65536, length $buf);
        return ($buf, time - $start) if !$n;
    }
    return ($buf, undef);
}

sub log_text {
    my $file = shift;
    open my $in, '<', "$dir/$file" or return '';
    local $/;
    return <$in>;
}

# ---- the backend goes away ---------------------------------------------------

my @ends = (
    # label, path, what the client sends first, what ends it, expected bytes
    ['FastAPI killed mid-session: 1011 after the echo', '/on/echo', 'hello',
     \&kill_uvicorn, "\x81\x05hello" . close_frame(1011, 'Backend went away')],
    ['without the directive: the same death is a bare TCP close', '/off/echo',
     'hello', \&kill_uvicorn, "\x81\x05hello"],
    ['backend exits after a frame: 1011', '/on/raw/frame-close', undef, undef,
     "\x81\x02hi" . close_frame(1011, 'Backend went away')],
    ['backend resets the connection: 1011', '/on/raw/reset', undef, undef,
     "\x81\x02hi" . close_frame(1011, 'Backend went away')],
    ['RSV1 and 16-bit frames are followed: 1011 after them', '/on/raw/deflate',
     undef, undef, "\xc1\x03abc\x82\x7e\x01\x00" . ('x' x 256)
     . close_frame(1011, 'Backend went away')],
    ['a 70000-byte frame in pieces: 1011 after its last byte', '/on/raw/big',
     undef, undef, "\x82\x7f" . pack('Q>', 70000) . ('y' x 70000)
     . close_frame(1011, 'Backend went away')],
    ['frames after a big one in the same read: 1011 after them',
     '/on/raw/big-frames', undef, undef, "\x82\x7f" . pack('Q>', 70000)
     . ('y' x 70000) . "\x81\x02hi\x89\x00"
     . close_frame(1011, 'Backend went away')],
    ['a Close after a big frame in the same read: its Close only',
     '/on/raw/big-close', undef, undef, "\x82\x7f" . pack('Q>', 70000)
     . ('y' x 70000) . "\x81\x02hi\x89\x00\x88\x02\x03\xe8"],
    ['half a frame after a big one in the same read: no Close',
     '/on/raw/big-mid', undef, undef, "\x82\x7f" . pack('Q>', 70000)
     . ('y' x 70000) . "\x81\x02hi\x89\x00\x82\x0ahell"],
    ['dies in the middle of a frame: no Close can follow', '/on/raw/mid-frame',
     undef, undef, "\x81\x0ahell"],
    ['the backend closed first: its Close only', '/on/raw/close-eof', undef,
     undef, "\x88\x06\x03\xe8done"],
    ['the client closed first: nothing added', '/on/raw/client-close',
     "\x88", undef, ''],
    ['configured code and UTF-8 reason', '/custom/raw/frame-close', undef,
     undef, "\x81\x02hi" . close_frame(4001, "backend custom \x{2713}")],
    ['backend Off: a bare TCP close', '/backend-off/raw/frame-close', undef,
     undef, "\x81\x02hi"],
    ['without the directive: a bare TCP close', '/off/raw/frame-close', undef,
     undef, "\x81\x02hi"],
);
for my $case (@ends) {
    my ($label, $path, $send, $end, $want) = @$case;
    my ($sock, $status, $buf) = open_ws($path);
    is($status, 101, "$label: 101");
    if (defined $send) {
        print $sock $send eq "\x88" ? fx_ws_client_frame(8, pack('n', 1000))
                                    : fx_ws_client_frame(1, $send);
        if ($send ne "\x88") {
            # the echo is back before the end
            my $frame = fx_ws_read_frame($sock, \$buf);
            $buf = $frame ? $frame->{raw} . $buf : $buf;
        }
    }
    $end->() if $end;
    my ($got, $eof) = read_to_eof($sock, $buf, 10);
    is(unpack('H*', $got), unpack('H*', $want), "$label: bytes");
    ok(defined $eof, "$label: then the connection closes");
    restart_uvicorn() if $end && $end == \&kill_uvicorn;
}

# The backend stops reading a large upload and resets: the tunnel fails
# flushing towards it, below the module's filters. That is the backend's
# end (1011), not the idle timeout it was taken for.
{
    my ($sock, $status, $buf) = open_ws('/on/raw/stall-reset');
    is($status, 101, 'backend reset during an upload: 101');
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);
    my $frame = fx_ws_client_frame(2, 'u' x 60000);
    my ($sent, $start, $pending) = (0, time, '');
    while (time - $start < 4 && $sent < 64 * 1024 * 1024) {
        $pending = $frame if $pending eq '';
        last unless $sel->can_write(0.5);
        my $n = syswrite($sock, $pending);
        last if !defined $n && !$!{EAGAIN};
        next unless $n;
        substr($pending, 0, $n, '');
        $sent += $n;
    }
    $sock->blocking(1);
    my ($got, $eof) = read_to_eof($sock, $buf, 10);
    is(unpack('H*', $got), unpack('H*', close_frame(1011, 'Backend went away')),
       'backend reset during an upload: 1011')
        or diag("sent $sent bytes");
}

like(log_text('error_log'), qr/FX0028: WebSocket closed with 1011, reason "Backend went away", tunnel ended: the backend went away/,
     'logged once with the code, reason and why');
like(log_text('error_log'), qr/FX0030: WebSocket tunnel ended \(the backend went away\) in the middle of a frame/,
     'a Close that could not be sent is logged too');
like(log_text('access_log'), qr{^/on/echo ws=1011 reason="Backend went away"$}m,
     'the access log shows the code and reason (notes)');
like(log_text('access_log'), qr{^/off/echo ws=- }m,
     'and nothing for a tunnel without the directive');

# ---- an upgrade the backend refuses: the connection goes on ------------------

{
    # a request pipelined behind the refused upgrade is read through the
    # connection after the watched request ended
    my $sock = fx_connect("127.0.0.1:$port");
    print $sock "GET /on/reject HTTP/1.1\r\nHost: localhost\r\n",
        "Upgrade: websocket\r\nConnection: Upgrade\r\n",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        "Sec-WebSocket-Version: 13\r\n\r\n",
        "GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    my $first = fx_read_response($sock);
    # both answers may come in one read: the second starts in what is left
    my $second = fx_read_response($sock, buffer => $first->{leftover});
    is($first->{status}, 403, "a refused upgrade: the backend's 403 passes");
    is($second && $second->{status}, 404,
       'a pipelined request after it: answered on the same connection');
}

# A backend refusing upgrades with a chunked body, on one keep-alive client
# connection (and a reused backend one): the directive changes nothing. It
# once put its filter where mod_proxy_http's HTTP_IN was then added past:
# the chunk framing reached the client after Timeout, and the next request
# hung.
for my $scope ('on', 'off') {
    my $sock = fx_connect("127.0.0.1:$port");
    for my $n (1, 2) {
        my $start = time;
        fx_send($sock, path => "/$scope/raw/refuse", close => 0,
                headers => [['Upgrade', 'websocket'],
                            ['Connection', 'Upgrade'],
                            ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
                            ['Sec-WebSocket-Version', '13']]);
        my $res = eval { fx_read_response($sock) } || {};
        my $took = time - $start;
        is(($res->{status} // 'none') . ' ' . ($res->{body} // ''),
           '403 {"detail":"refused"}',
           "refused upgrade ($scope), request $n: the backend's 403 and "
           . 'its body, unframed');
        ok($took < 3, "refused upgrade ($scope), request $n: at once")
            or diag(sprintf 'took %.1f s', $took);
    }
    close $sock;
}

# ---- normal ends: byte for byte the same with and without -------------------

my @normal = (
    # label, backend path, what the client sends first, whether it answers
    # the backend's Close (as a client must when the backend closes first)
    ['the backend raises WebSocketException(4003) after accept', 'raise',
     sub { }, 1],
    ['the client closes with 1000, the backend answers', 'echo', sub {
        my $sock = shift;
        print $sock fx_ws_client_frame(1, 'hello');
        print $sock fx_ws_client_frame(8, pack('n', 1000) . 'bye');
    }, 0],
);
for my $case (@normal) {
    my ($label, $what, $client, $answer) = @$case;
    my %got;
    for my $scope ('on', 'off') {
        my ($sock, $status, $buf) = open_ws("/$scope/$what");
        $client->($sock);
        $got{$scope} = '';
        while (my $f = fx_ws_read_frame($sock, \$buf)) {
            $got{$scope} .= $f->{raw};
            next unless $f->{opcode} == 8;
            # uvicorn closes TCP once the closing handshake is complete
            print $sock fx_ws_client_frame(8, substr($f->{payload}, 0, 2))
                if $answer;
            last;
        }
        (my $rest, my $eof) = read_to_eof($sock, $buf, 10);
        $got{$scope} .= $rest;
        ok(defined $eof, "$label ($scope): the connection closes");
    }
    like($got{on}, qr/\x88/, "$label: the backend's Close went through");
    is(unpack('H*', $got{on}), unpack('H*', $got{off}),
       "$label: identical bytes with and without the directive");
}

# ---- idle timeout (Timeout 2 on that virtual host) ---------------------------

for my $case (['On: 1001', '/on/echo', close_frame(1001, 'Idle timeout')],
              ['configured timeout code', '/custom/echo',
               close_frame(4008, 'too quiet')],
              ['without the directive: a bare TCP close', '/off/echo', '']) {
    my ($label, $path, $close) = @$case;
    my ($sock, $status, $buf) = open_ws($path, $idle_port);
    print $sock fx_ws_client_frame(1, 'hello');
    my ($got, $eof) = read_to_eof($sock, $buf, 10);
    is(unpack('H*', $got), unpack('H*', "\x81\x05hello" . $close),
       "idle timeout, $label: bytes");
    ok(defined $eof && $eof > 1.5 && $eof < 8,
       "idle timeout, $label: after the 2 s timeout")
        or diag('closed after ' . ($eof // 'never'));
}

# ---- HTTP/2 (RFC 8441): the same, on a stream -------------------------------

my $t_dir = Apache::Test::vars('t_dir');
SKIP: {
    skip 'python3-h2 missing', 8
        if system($python, '-c', 'import h2') != 0;
    # the client answers the Close, as a client must: the stream then ends
    # at once (it stayed open until the tunnel's timeout, holding an h2
    # worker: the tunnel cannot half-close a stream)
    for my $case (['backend killed', $port, '/on/echo', \&kill_uvicorn,
                   close_frame(1011, 'Backend went away'), 1],
                  ['without the directive, backend killed', $port,
                   '/off/echo', \&kill_uvicorn, ''],
                  ['idle timeout', $h2idle_port, '/on/echo', undef,
                   close_frame(1001, 'Idle timeout'), 1]) {
        my ($label, $p, $path, $end, $close, $answer) = @$case;
        my $pid = open2(my $from, my $to, $python, "$t_dir/ws/h2tunnel.py",
                        '127.0.0.1', $p, $path, $answer ? 'answer' : ());
        my $line = <$from> // '';
        is($line, "echoed\n", "HTTP/2, $label: the tunnel echoes");
        $end->() if $end;
        print $to "go\n";
        close $to;
        my $res = eval { JSON::PP->new->decode(<$from> // '') } || {};
        waitpid $pid, 0;
        is(($res->{status} // '') . ' ' . ($res->{data} // ''),
           '200 ' . unpack('H*', "\x81\x05hello" . $close),
           "HTTP/2, $label: bytes")
            or diag('stream ended: ' . ($res->{ended} // 'not'));
        if ($answer) {
            ok(($res->{ended} // '') =~ /^(stream-ended|reset 0)$/
               && defined $res->{close_to_end_ms}
               && $res->{close_to_end_ms} < 3000,
               "HTTP/2, $label: the Close answered, the stream ends at once")
                or diag('stream ended: ' . ($res->{ended} // 'not') . ' '
                        . ($res->{close_to_end_ms} // '-') . ' ms after the Close');
        }
        restart_uvicorn() if $end;
    }
}

# ---- graceful restart --------------------------------------------------------

{
    my ($on, undef, $on_buf) = open_ws('/on/echo');
    my ($off, undef, $off_buf) = open_ws('/off/echo');
    my ($roff, undef, $roff_buf) = open_ws('/restart-off/echo');
    for my $s ($on, $off, $roff) {
        print $s fx_ws_client_frame(1, 'before');
    }
    my $f = fx_ws_read_frame($on, \$on_buf);
    is($f && $f->{payload}, 'before', 'restart: the On tunnel echoes');
    $f = fx_ws_read_frame($off, \$off_buf);
    is($f && $f->{payload}, 'before', 'restart: the Off tunnel echoes');
    $f = fx_ws_read_frame($roff, \$roff_buf);
    is($f && $f->{payload}, 'before', 'restart: the restart Off tunnel echoes');

    my $o = `'$httpd' -f '$conf' -k graceful 2>&1`;
    is($? >> 8, 0, 'graceful restart') or diag($o);
    my ($got, $eof) = read_to_eof($on, $on_buf, 10);
    is(unpack('H*', $got), unpack('H*', close_frame(1012, 'Service restart')),
       'restart: the On tunnel gets 1012');
    ok(defined $eof && $eof < 5, 'restart: promptly, then the connection closes')
        or diag('closed after ' . ($eof // 'never'));

    # without the directive the old generation keeps the tunnel, as before
    print $off fx_ws_client_frame(1, 'after');
    $f = fx_ws_read_frame($off, \$off_buf);
    is($f && $f->{payload}, 'after', 'restart: the Off tunnel lives on');
    print $off fx_ws_client_frame(8, pack('n', 1000));
    $f = fx_ws_read_frame($off, \$off_buf);
    is($f && $f->{opcode}, 8, 'restart: and closes normally');
    # "restart Off" in an On scope: the same (it was cut with a bare EOF)
    print $roff fx_ws_client_frame(1, 'after');
    $f = fx_ws_read_frame($roff, \$roff_buf);
    is($f && $f->{payload}, 'after', 'restart: the restart Off tunnel lives on');
    print $roff fx_ws_client_frame(8, pack('n', 1000));
    $f = fx_ws_read_frame($roff, \$roff_buf);
    is($f && $f->{opcode}, 8, 'restart: and closes normally too');

    # the new generation tunnels
    my ($again, $status, $buf);
    for (1 .. 50) {
        ($again, $status, $buf) = eval { open_ws('/on/echo') };
        last if $again;
        sleep 0.1;
    }
    print $again fx_ws_client_frame(1, 'new');
    $f = fx_ws_read_frame($again, \$buf);
    is($f && $f->{payload}, 'new', 'restart: a new tunnel works');
    like(log_text('error_log'), qr/FX0034: graceful restart: closing 1 WebSocket tunnel/,
         'restart: logged');
    close $again;
}

# A restart while the backend streams one large frame: the frame reaches
# its end, then 1012 (the socket was cut at whatever byte had arrived).
{
    my ($sock, $status, $buf) = open_ws('/on/raw/slow-big');
    is($status, 101, 'restart mid-frame: 101');
    my $sel = IO::Select->new($sock);
    while (length $buf < 200_000 && $sel->can_read(10)) {
        sysread($sock, $buf, 65536, length $buf) or last;
    }
    my $o = `'$httpd' -f '$conf' -k graceful 2>&1`;
    is($? >> 8, 0, 'restart mid-frame: graceful restart') or diag($o);
    my ($got, $eof) = read_to_eof($sock, $buf, 30);
    my $head = "\x82\x7f" . pack('Q>', 2 * 1024 * 1024);
    my $close = close_frame(1012, 'Service restart');
    is(unpack('H*', substr($got, 0, 10)), unpack('H*', $head),
       'restart mid-frame: the frame as sent');
    ok(length $got >= 10 + 2 * 1024 * 1024
       && substr($got, 10, 2 * 1024 * 1024) eq 'z' x (2 * 1024 * 1024),
       'restart mid-frame: the whole frame')
        or diag('got ' . length($got) . ' bytes');
    # the next frame, if it had arrived whole by the time the first ended
    # (a slow server), went out too; never a part of one
    my $rest = length $got >= 10 + 2 * 1024 * 1024
        ? substr($got, 10 + 2 * 1024 * 1024) : '';
    ok($rest eq $close || $rest eq "\x81\x05after" . $close,
       'restart mid-frame: 1012 at a frame boundary, nothing after')
        or diag('after the frame: ' . unpack('H*', $rest));
    ok(defined $eof, 'restart mid-frame: then the connection closes');
}

done_testing();
