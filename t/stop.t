# FastExcWebSocketTunnelClose when httpd stops, not only restarts: a
# graceful stop (apachectl graceful-stop, Debian's systemctl stop) or a child
# the MPM retires sends the stop Close (1001 "Going away" by default); the
# restart and stop Closes spread over FastExcWebSocketTunnelCloseSpread,
# measured as the clients see them. What httpd leaves no module a way to
# change is asserted as it is: an ungraceful stop closes TCP bare, and a
# prefork child keeps its tunnel through graceful signals.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use FastExcThrowaway;
use IO::Select;
use Time::HiRes qw(sleep time);

plan skip_all => 'no event MPM module beside httpd'
    unless fxt_have_module('mpm_event');

my $dir = fxt_tempdir();
my $backend = fxt_backend_start(dir => $dir);
my $n_spread = 40;      # tunnels closed over the spread's window
my $window = 3;         # seconds

# An event httpd with the tunnel scopes; %o: name, extra (server-wide).
sub start {
    my %o = @_;
    my $port = fx_free_port();
    my $srv = fxt_httpd_start(dir => $dir, name => $o{name}, ports => [$port],
        modules => [$o{mpm} || 'mpm_event', qw(authz_core proxy proxy_http)],
        conf => <<"EOF");
Listen 127.0.0.1:$port
Timeout 30
GracefulShutdownTimeout 15
LogFormat "%U ws=%{fastexc-sent-ws-code}n cause=%{fastexc-sent-ws-cause}n" fx
CustomLog $dir/$o{name}/access_log fx
@{[ $o{extra} // "" ]}
ProxyPass /on/ ws://127.0.0.1:$backend/ upgrade=websocket
ProxyPass /custom/ ws://127.0.0.1:$backend/ upgrade=websocket
ProxyPass /stop-off/ ws://127.0.0.1:$backend/ upgrade=websocket
ProxyPass /off/ ws://127.0.0.1:$backend/ upgrade=websocket
<Location /on>
    FastExcWebSocketTunnelClose On
</Location>
<Location /custom>
    FastExcWebSocketTunnelClose stop 4100 "Back in a moment"
</Location>
<Location /stop-off>
    FastExcWebSocketTunnelClose On
    FastExcWebSocketTunnelClose stop Off
</Location>
<Location /metrics>
    SetHandler fastexc-metrics
</Location>
EOF
    $srv->{port} = $port;
    return $srv;
}

sub ctl {
    my ($srv, $what) = @_;
    my $o = `'$srv->{httpd}' -f '$srv->{conf}' -k $what 2>&1`;
    is($? >> 8, 0, "$srv->{name}: -k $what") or diag($o);
}

# A tunnel that echoed one frame: (socket, bytes read past the frame).
sub tunnel {
    my ($srv, $path) = @_;
    my ($sock, $res, $buf) = fxt_ws_open($srv->{port}, $path);
    die "$path: $res->{status}" if $res->{status} != 101;
    print $sock fx_ws_client_frame(1, 'hello');
    my $f = fx_ws_read_frame($sock, \$buf);
    die "$path: no echo" unless $f && $f->{payload} eq 'hello';
    return ($sock, $buf);
}

sub echoes {
    my ($sock, $buf, $text) = @_;
    print $sock fx_ws_client_frame(1, $text);
    my $f = fx_ws_read_frame($sock, \$buf);
    return $f && $f->{payload} eq $text;
}

# The parent is gone within $limit seconds.
sub gone {
    my ($srv, $limit) = @_;
    for (1 .. $limit * 20) {
        return 1 unless kill 0, $srv->{pid};
        sleep 0.05;
    }
    return 0;
}

# Every socket read until each gave a whole Close frame and EOF (at most
# $limit s): per socket, its bytes and the time the Close was whole.
sub closes {
    my ($limit, @socks) = @_;
    my %got = map { $_ => { sock => $_, buf => '' } } @socks;
    my $sel = IO::Select->new(@socks);
    my $start = time;
    while ($sel->count && time - $start < $limit) {
        for my $s ($sel->can_read(0.05)) {
            my $g = $got{$s};
            my $n = sysread($s, $g->{buf}, 4096, length $g->{buf});
            if ($g->{buf} =~ /^\x88(.)/s && !$g->{at}
                && length $g->{buf} >= 2 + ord $1) {
                $g->{at} = time;
            }
            $sel->remove($s) unless $n;
        }
    }
    return map { $got{$_} } @socks;
}

# ---- graceful stop ------------------------------------------------------------
{
    my $srv = start(name => 'stop');
    my @on = map { [tunnel($srv, "/on/echo/on$_")] } 1 .. 20;
    my ($custom, $cbuf) = tunnel($srv, '/custom/echo/c');
    my ($soff, $sbuf) = tunnel($srv, '/stop-off/echo/s');
    my ($off, $obuf) = tunnel($srv, '/off/echo/o');
    my $from = -s $srv->{log};
    my $t0 = time;
    ctl($srv, 'graceful-stop');
    my @got = closes(10, map({ $_->[0] } @on), $custom);
    my $custom_got = pop @got;
    my $close = fxt_close_frame(1001, 'Going away');
    is(scalar(grep { $_->{buf} eq $close } @got), 20,
       'graceful-stop: each of 20 On tunnels gets 1001 "Going away", then EOF')
        or diag(join ' ', map { unpack 'H*', $_->{buf} } @got);
    is($custom_got->{buf}, fxt_close_frame(4100, 'Back in a moment'),
       'graceful-stop: the scope\'s own stop Close');
    my @at = sort { $a <=> $b } map { $_->{at} // 1e12 } @got;
    ok($at[-1] - $t0 < 5, 'graceful-stop: promptly')
        or diag('last after ' . ($at[-1] - $t0));
    # without a spread, all at once (compare the spread below)
    ok($at[-1] - $at[0] < 1, 'graceful-stop: no spread, all in one go')
        or diag(sprintf 'over %.2f s', $at[-1] - $at[0]);
    diag(sprintf 'no spread: 20 closes over %.3f s', $at[-1] - $at[0]);

    # "stop Off" and no directive: httpd's own way, the tunnel lives on
    ok(echoes($soff, $sbuf, 'still'), 'graceful-stop: a stop-Off tunnel lives on');
    ok(echoes($off, $obuf, 'still'), 'graceful-stop: an Off tunnel lives on');
    ok(kill(0, $srv->{pid}), 'graceful-stop: httpd waits for them');
    # each closes as a client does: its Close, the backend's reply, EOF
    for my $s ($soff, $off) {
        print $s fx_ws_client_frame(8, pack('n', 1000));
    }
    my @ends = closes(10, $soff, $off);
    is(join(' ', map { unpack 'H*', $_->{buf} } @ends),
       join(' ', (unpack('H*', fxt_close_frame(1000))) x 2),
       'graceful-stop: they end normally, the backend\'s Close passed');
    close $_ for $soff, $off, $custom, map { $_->[0] } @on;
    ok(gone($srv, 10), 'graceful-stop: and httpd stops once they ended');
    $srv->{stopped} = 1;
    # each child logs the tunnels it closes
    my ($n, $log) = (0, fxt_log($srv, $from));
    $n += $1 while $log
        =~ /FX0034: graceful stop: closing (\d+) WebSocket tunnel\(s\) over 0 ms/g;
    is($n, 21, 'graceful-stop: logged, the tunnels closed counted');
    open my $fh, '<', "$dir/stop/access_log" or die $!;
    my @lines = <$fh>;
    is(scalar(grep { m{^/on/echo/on\d+ ws=1001 cause=stop$} } @lines), 20,
       'graceful-stop: each close noted as 1001, cause stop')
        or diag(@lines);
    is(scalar(grep { m{^/stop-off/echo/s ws=- cause=-$} } @lines), 1,
       'graceful-stop: the stop-Off tunnel noted with no close');
}

# ---- a child the MPM retires ----------------------------------------------------
{
    my $srv = start(name => 'retire', extra => <<'EOF');
StartServers 1
ServerLimit 4
ThreadsPerChild 16
MinSpareThreads 1
MaxSpareThreads 64
MaxRequestWorkers 64
MaxConnectionsPerChild 3
EOF
    my ($sock, $buf) = tunnel($srv, '/on/echo/retire');
    # connections until the child has served its three and goes away (the
    # start's probe may be one); none to the next child, so that the two
    # below leave it running
    for (1 .. 3) {
        eval { fxt_http($srv->{port}, path => '/none') };
        last if IO::Select->new($sock)->can_read(2);
    }
    my ($bytes, $eof) = fxt_read_to_eof($sock, $buf, 10);
    is(unpack('H*', $bytes), unpack('H*', fxt_close_frame(1001, 'Going away')),
       'retired child (MaxConnectionsPerChild): 1001, the process goes away');
    ok(defined $eof, 'retired child: then EOF');
    my ($again, $abuf) = eval { tunnel($srv, '/on/echo/again') };
    ok($again && echoes($again, $abuf, 'new'),
       'retired child: the next child tunnels');
    # counted where Prometheus reads it (the counters outlive the child)
    my $m = fxt_http($srv->{port}, path => '/metrics')->{body};
    like($m, qr/^fastexc_websocket_closes_total\{cause="stop"\} 1$/m,
         'retired child: counted, cause stop');
    like($m, qr/^fastexc_websocket_closes_by_code_total\{code="1001",cause="stop"\} 1$/m,
         'retired child: counted under 1001')
        or diag($m);
}

# ---- the spread -----------------------------------------------------------------
{
    my $srv = start(name => 'spread', extra => <<"EOF");
FastExcWebSocketTunnelCloseSpread $window
StartServers 1
ServerLimit 4
ThreadsPerChild 64
MinSpareThreads 1
MaxSpareThreads 256
MaxRequestWorkers 256
EOF
    for my $what (['graceful', 1012, 'Service restart'],
                  ['graceful-stop', 1001, 'Going away']) {
        my ($ctl, $code, $reason) = @$what;
        my @t;
        for my $i (1 .. $n_spread) {
            my ($s) = eval { tunnel($srv, "/on/echo/$ctl$i") };
            push @t, $s if $s;
        }
        is(scalar @t, $n_spread, "spread, $ctl: $n_spread tunnels");
        my $t0 = time;
        ctl($srv, $ctl);
        my @got = closes($window + 10, @t);
        my $close = fxt_close_frame($code, $reason);
        is(scalar(grep { $_->{buf} eq $close } @got), $n_spread,
           "spread, $ctl: each gets a whole $code, then EOF");
        my @at = sort { $a <=> $b } map { ($_->{at} // 1e12) - $t0 } @got;
        my @bins = (0) x $window;
        $bins[$_ >= $window ? $window - 1 : int $_]++ for @at;
        diag(sprintf "spread, %s: %d closes from %.3f s to %.3f s after "
             . "-k %s; per second: %s", $ctl, scalar @at, $at[0], $at[-1],
             $ctl, join(' ', @bins));
        ok($at[0] < 1, "spread, $ctl: the first at once");
        ok($at[-1] - $at[0] >= $window * 0.8 && $at[-1] < $window + 1.5,
           "spread, $ctl: over the window ($window s), not beyond")
            or diag(sprintf '%.3f .. %.3f', $at[0], $at[-1]);
        # evenly: each second of the window holds a third, give or take
        ok(!grep({ $_ < $n_spread / $window * 0.6
                   || $_ > $n_spread / $window * 1.4 } @bins),
           "spread, $ctl: evenly ($n_spread / $window a second)")
            or diag("per second: @bins");
        if ($ctl eq 'graceful') {
            # counted, and kept across the restart
            my $m = fxt_http($srv->{port}, path => '/metrics')->{body};
            like($m, qr/^fastexc_websocket_closes_by_code_total\{code="1012",cause="restart"\} $n_spread$/m,
                 "spread: the $n_spread restart closes counted");
            like(fxt_log($srv), qr/FX0034: graceful restart: closing $n_spread WebSocket tunnel\(s\) over ${window}000 ms/,
                 'spread: logged with its window');
        }
    }
    ok(gone($srv, 10), 'spread: httpd stopped once its tunnels closed');
    $srv->{stopped} = 1;
}

# ---- what httpd leaves to no module ---------------------------------------------
{
    # apachectl stop: the MPM closes every connection of the child before
    # child_stopping runs: a bare close, whatever the directive says
    my $srv = start(name => 'hard');
    my ($sock, $buf) = tunnel($srv, '/on/echo/hard');
    my ($sock2, $buf2) = tunnel($srv, '/on/echo/hard2');
    ctl($srv, 'stop');
    my ($bytes, $eof) = fxt_read_to_eof($sock, $buf, 10);
    is(unpack('H*', $bytes), '', 'stop (ungraceful): no Close can be sent');
    ok(defined $eof && $eof < 5, 'stop (ungraceful): the connection closes at once')
        or diag('after ' . ($eof // 'never'));
    $srv->{stopped} = 1;
}
SKIP: {
    skip 'no prefork MPM module', 4 unless fxt_have_module('mpm_prefork');
    # prefork: graceful signals run no module code in a busy child; the
    # tunnel lives until it ends, or until GracefulShutdownTimeout
    my $srv = start(name => 'prefork', mpm => 'mpm_prefork', extra => <<'EOF');
StartServers 2
MinSpareServers 1
MaxSpareServers 4
GracefulShutdownTimeout 2
EOF
    my ($sock, $buf) = tunnel($srv, '/on/echo/prefork');
    ctl($srv, 'graceful');
    sleep 0.5;
    ok(echoes($sock, $buf, 'after restart'),
       'prefork, graceful restart: the old child keeps the tunnel');
    ctl($srv, 'graceful-stop');
    sleep 0.5;
    ok(echoes($sock, $buf, 'after stop'),
       'prefork, graceful-stop: the tunnel lives on');
    my ($bytes, $eof) = fxt_read_to_eof($sock, '', 10);
    is(unpack('H*', $bytes), '',
       'prefork: at GracefulShutdownTimeout, a bare close (SIGTERM ends the child)');
    ok(defined $eof && $eof < 5, 'prefork: closed at the timeout')
        or diag('after ' . ($eof // 'never'));
    $srv->{stopped} = 1;
}

done_testing();
