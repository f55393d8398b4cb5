# Memory per connection stays bounded whatever the number of requests on it:
# 40,000 upgrades a backend refuses, on one keep-alive client connection and
# on reused backend connections, with and without FastExcWebSocketTunnelClose.
# The tunnel watchers' filters once came from the connection pools per
# request (+1.5 MB in the child over 40,000 requests on the client side).
# Its own httpd: one event MPM child, whose RSS is read from /proc.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX ();

plan skip_all => 'needs /proc' unless -r "/proc/$$/status";

# Under the sanitizers or valgrind (make sanitize, make memcheck set
# FASTEXC_INSTRUMENTED) RSS says nothing of the module: fewer requests, the
# same answers checked.
my $asan = ($ENV{FASTEXC_INSTRUMENTED} // '') ne '';
my ($WARM, $N, $BATCH) = $asan ? (200, 2_000, 100) : (2_000, 40_000, 200);
# what 40,000 requests may add to the child: far below the 1.5 MB a per-
# request allocation of the size of a filter record gives
my $SLACK_KB = 400;

my $httpd = Apache::Test::vars('httpd');
my $t_conf = Apache::Test::vars('t_conf');
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
my ($port, $up_port) = map { fx_free_port() } 1 .. 2;
my $conf = "$dir/httpd.conf";

# ---- a backend refusing every upgrade, keeping its connections ---------------

my $accepts = "$dir/accepts";
my $up_pid = fork // die "fork: $!";
if (!$up_pid) {
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => $up_port, Listen => 64, ReuseAddr => 1)
        or POSIX::_exit(1);
    $SIG{CHLD} = 'IGNORE';
    while (my $s = $l->accept) {
        if (open my $fh, '>>', $accepts) { print $fh "1\n"; close $fh }
        if (fork) { close $s; next }
        binmode $s;
        my $sel = IO::Select->new($s);
        my $buf = '';
        while (1) {
            while ($buf =~ s/^.*?\r\n\r\n//s) {
                syswrite $s, "HTTP/1.1 403 Forbidden\r\n"
                    . "Content-Type: application/json\r\n"
                    . "Transfer-Encoding: chunked\r\n\r\n"
                    . "14\r\n{\"detail\":\"refused\"}\r\n0\r\n\r\n";
            }
            last unless $sel->can_read(60);
            sysread($s, $buf, 65536, length $buf) or last;
        }
        POSIX::_exit(0);
    }
    POSIX::_exit(0);
}
END { local $?; if ($up_pid) { kill 'KILL', $up_pid; waitpid $up_pid, 0 } }

# ---- the server ---------------------------------------------------------------

open my $fh, '<', "$t_conf/modules.load" or die "modules.load: $!";
my $modules = do { local $/; <$fh> };
close $fh;
my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
my $up = "http://127.0.0.1:$up_port";
open my $out, '>', $conf or die "$conf: $!";
print $out <<"EOF";
ServerRoot $dir
ServerName localhost
Listen 127.0.0.1:$port
PidFile $dir/httpd.pid
ErrorLog $dir/error_log
LogLevel warn
DefaultRuntimeDir $dir
Mutex file:$dir default
$user$modules
Timeout 30
KeepAliveTimeout 30
MaxKeepAliveRequests 0
StartServers 1
ServerLimit 1
ThreadsPerChild 4
MaxRequestWorkers 4
MinSpareThreads 1
MaxSpareThreads 4
ProxyPass /on/ $up/ upgrade=websocket
ProxyPass /off/ $up/ upgrade=websocket
<Location /on>
    FastExcWebSocketTunnelClose On
</Location>
EOF
close $out;

my $started = `'$httpd' -f '$conf' -k start 2>&1`;
is($? >> 8, 0, 'httpd started') or diag($started);
for (1 .. 100) {
    last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
    sleep 0.1;
}
END { local $?; `'$httpd' -f '$conf' -k stop 2>&1` if $conf && -e "$dir/httpd.pid" }

sub child_rss_kb {
    open my $pf, '<', "$dir/httpd.pid" or return;
    chomp(my $parent = <$pf>);
    my @kids = grep { -r "/proc/$_/stat" && do {
        open my $sf, '<', "/proc/$_/stat"; (split ' ', <$sf>)[3] == $parent
    } } map { m{/proc/(\d+)$} ? $1 : () } glob '/proc/[0-9]*';
    return unless @kids == 1;
    open my $st, '<', "/proc/$kids[0]/status" or return;
    while (<$st>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return;
}

my $req_tail = " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
    . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    . "Sec-WebSocket-Version: 13\r\n\r\n";

# $n upgrades pipelined $BATCH at a time on one connection; how many were
# answered 403 with the backend's body.
sub refused {
    my ($sock, $path, $n) = @_;
    my ($ok, $sel) = (0, IO::Select->new($sock));
    while ($n > 0) {
        my $b = $n < $BATCH ? $n : $BATCH;
        print $sock "GET $path$req_tail" x $b;
        my ($buf, $ends) = ('', 0);
        while ($ends < $b) {
            last unless $sel->can_read(10);
            sysread($sock, $buf, 65536, length $buf) or last;
            $ends = () = $buf =~ /\r\n0\r\n\r\n/g;
        }
        $ok += () = $buf =~ m{^HTTP/1\.1 403 Forbidden\r\n.*?\r\n\r\n14\r\n\{"detail":"refused"\}\r\n0\r\n\r\n}msg;
        return $ok if $ends < $b;
        $n -= $b;
    }
    return $ok;
}

my %growth;
for my $scope ('off', 'on') {
    my $sock = fx_connect("127.0.0.1:$port");
    is(refused($sock, "/$scope/x", $WARM), $WARM, "$scope: warm-up answered");
    my $before = child_rss_kb();
    my $accepted_before = -s $accepts || 0;
    is(refused($sock, "/$scope/x", $N), $N,
       "$scope: $N refused upgrades on one keep-alive connection, each "
       . "answered with the backend's 403 and body");
    my $after = child_rss_kb();
    ok(defined $before && defined $after, "$scope: the child's RSS read");
    $growth{$scope} = ($after // 0) - ($before // 0);
    # the backend side is exercised only if its connections are reused
    ok(((-s $accepts || 0) - $accepted_before) / 2 < $N / 100,
       "$scope: backend connections reused");
    close $sock;
}
diag(sprintf 'child RSS growth over %d requests: %d kB without, %d kB with '
     . 'FastExcWebSocketTunnelClose', $N, $growth{off}, $growth{on});
SKIP: {
    skip 'RSS under instrumentation says nothing', 2 if $asan;
    ok($growth{on} <= $growth{off} + $SLACK_KB,
       "with the directive the child grows no more than without (+$SLACK_KB kB)")
        or diag("on $growth{on} kB, off $growth{off} kB");
    ok($growth{off} <= $SLACK_KB, 'and without it, it barely grows')
        or diag("off $growth{off} kB");
}

done_testing();
