# The counters across children and generations, in a throwaway httpd:
# exceptions sent on many connections are summed over the children, kept
# across a graceful restart and a restart, and added to by the new
# generation; a tunnel closed by the graceful restart counts under cause
# restart, an idle one under tunnel_timeout; the gauge of tunnels watched
# follows them.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcThrowaway;
use FastExcTest qw(fx_free_port);
use Time::HiRes qw(sleep time);

plan skip_all => 'mod_proxy_http is not available'
    unless fxt_have_module('proxy') && fxt_have_module('proxy_http');

my $dir = fxt_tempdir();
my $backend = fxt_backend_start(dir => $dir);
my $port = fx_free_port();
my $srv = fxt_httpd_start(dir => $dir, name => 'restart', ports => [$port],
    modules => [qw(mpm_event authz_core proxy proxy_http)],
    conf => <<"EOF");
Listen 127.0.0.1:$port
Timeout 5
StartServers 2
MinSpareThreads 1
MaxSpareThreads 50
ThreadsPerChild 25
<Location /fastexc-metrics>
    SetHandler fastexc-metrics
</Location>
<Location /r>
    FastExcRaise 409 "restart test"
</Location>
ProxyPass /tun/ http://127.0.0.1:$backend/ upgrade=websocket timeout=1
<Location /tun/>
    FastExcWebSocketTunnelClose On
    FastExcWebSocketCloseTimeout 1
</Location>
EOF

sub metrics {
    my %m;
    for (split /\n/, fxt_http($port, path => '/fastexc-metrics')->{body}) {
        $m{$1} = $2 if /^(\S+) (\d+)$/;
    }
    return \%m;
}
my $s409 = 'fastexc_exceptions_by_status_total{status="409",source="raise"}';
sub raises { fxt_http($port, path => "/r?$_")->{status} == 409 or die "no 409" for 1 .. $_[0] }

# The Close a tunnel gets (its code), answering it.
sub tunnel_close {
    my ($sock, $limit) = @_;
    my ($bytes) = fxt_read_to_eof($sock, '', $limit, answer_close => 1);
    return undef unless defined $bytes && length $bytes >= 4 && ord($bytes) == 0x88;
    return unpack 'x2n', $bytes;
}
sub gauge_is {
    my ($want, $label, $tries) = @_;
    my $got;
    for (1 .. $tries || 30) {
        last if ($got = metrics()->{fastexc_tunnels_watched} // -1) == $want;
        sleep 0.1;
    }
    is($got, $want, $label);
}
sub generations { scalar(() = fxt_log($srv) =~ /FX0040: mod_fastexc\//g) }
sub restart {
    my ($how) = @_;
    my $n = generations();
    my $said = `'$srv->{httpd}' -f '$srv->{conf}' -k $how 2>&1`;
    die "httpd -k $how: $said" if $?;
    for (1 .. 100) {
        last if generations() > $n;
        sleep 0.1;
    }
    for (1 .. 100) {
        last if eval { fxt_http($port, path => '/fastexc-metrics')->{status} == 200 };
        sleep 0.1;
    }
    ok(generations() > $n, "httpd -k $how: a new generation");
}

raises(20);
is(metrics()->{$s409}, 20, '20 exceptions, on as many connections, summed over the children');

# a watched tunnel, then a graceful restart
my ($sock, $res) = fxt_ws_open($port, '/tun/echo/a');
is($res->{status}, 101, 'a tunnel through the proxy');
gauge_is(1, 'the gauge: one tunnel watched', 5);   # within its 5 s idle
restart('graceful');
is(tunnel_close($sock, 10), 1012, 'the graceful restart closed the tunnel with 1012');
my $m = metrics();
is($m->{$s409}, 20, 'the counters are kept across the graceful restart');
is($m->{'fastexc_websocket_closes_total{cause="restart"}'}, 1, 'cause restart: 1');
is($m->{'fastexc_websocket_closes_by_code_total{code="1012",cause="restart"}'}, 1,
   'code 1012 under cause restart');
# the old generation's worker forwards the client's answer to the backend
# and ends the tunnel when it times out (Timeout 5)
gauge_is(0, 'the gauge: none once the old generation ended it', 100);

raises(5);
is(metrics()->{$s409}, 25, 'the new generation adds to the same counters');

# an idle tunnel: the larger of Timeout (5) and the backend's (1)
($sock, $res) = fxt_ws_open($port, '/tun/echo/b');
is($res->{status}, 101, 'another tunnel');
is(tunnel_close($sock, 10), 1001, 'idle: closed with 1001');
$m = metrics();
is($m->{'fastexc_websocket_closes_total{cause="tunnel_timeout"}'}, 1, 'cause tunnel_timeout: 1');
gauge_is(0, 'the gauge: none');

restart('restart');
is(metrics()->{$s409}, 25, 'the counters are kept across a restart (SIGHUP) too');

unlike(fxt_log($srv), qr/exit signal|AH00052/, 'no child crashed');
done_testing();
