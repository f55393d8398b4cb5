# SetHandler fastexc-metrics: Prometheus' text format (HELP and TYPE lines,
# every source and cause from zero, the version as an info metric), each
# path counted under its own source or cause, the notes in the environment
# (%{...}e), the version in the startup log and on mod_status, and Debian's
# promtool accepting the output. Locations: t/conf/metrics.conf.in.
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

my $logs = Apache::Test::vars('t_logs');
my $include = Apache::Test::vars('top_dir') . '/include/mod_fastexc.h';

# The version the header says.
my $version = do {
    open my $fh, '<', $include or die "$include: $!";
    my ($v) = join('', <$fh>) =~ /^#define MOD_FASTEXC_VERSION "([^"]+)"$/m;
    $v // die "no MOD_FASTEXC_VERSION in $include";
};

# { 'name{labels}' => value } and the raw text.
sub metrics {
    my $res = fx_request(path => '/fastexc-metrics');
    my %m;
    for (split /\n/, $res->{body}) {
        next if /^#/;
        my ($series, $value) = /^(\S+) (\S+)$/ or next;
        $m{$series} = $value;
    }
    return (\%m, $res);
}
sub delta {
    my ($before, $after) = @_;
    my %d;
    for my $k (keys %$after) {
        next if $k =~ /^fastexc_(tunnels_watched|build_info)/;
        my $n = $after->{$k} - ($before->{$k} // 0);
        $d{$k} = $n if $n;
    }
    return \%d;
}
sub same {
    my ($x, $y) = @_;
    return join(',', map { "$_=$x->{$_}" } sort keys %$x)
        eq join(',', map { "$_=$y->{$_}" } sort keys %$y);
}
# The change once it is the one wanted, or after 3 s.
sub change_after {
    my ($before, $want) = @_;
    my $deadline = time + 3;
    while (1) {
        my $d = delta($before, (metrics())[0]);
        return $d if same($d, $want) || time > $deadline;
        sleep 0.1;
    }
}
# The series one exception moves: its source's total and its status's.
sub exc { my ($status, $source) = @_;
    return { "fastexc_exceptions_total{source=\"$source\"}" => 1,
             "fastexc_exceptions_by_status_total{status=\"$status\",source=\"$source\"}" => 1 } }
sub ws { my ($code, $cause) = @_;
    return { "fastexc_websocket_closes_total{cause=\"$cause\"}" => 1,
             "fastexc_websocket_closes_by_code_total{code=\"$code\",cause=\"$cause\"}" => 1 } }

# ---- the format ------------------------------------------------------------------

my ($m, $res) = metrics();
is($res->{status}, 200, 'metrics: 200');
is($res->{headers}{'content-type'}[0], 'text/plain; version=0.0.4; charset=utf-8',
   'metrics: the text exposition format 0.0.4');
my $text = $res->{body};
my %family;
my $order_ok = 1;
for my $line (split /\n/, $text) {
    if ($line =~ /^# (HELP|TYPE) (\w+) (.+)$/) {
        $family{$2}{$1} = $3;
        next;
    }
    my ($name) = $line =~ /^(\w+)/;
    $order_ok = 0 unless $family{$name}{HELP} && $family{$name}{TYPE};
}
ok($order_ok, 'metrics: every series follows its HELP and TYPE lines');
is_deeply({ map { $_ => $family{$_}{TYPE} } keys %family },
          { fastexc_exceptions_total => 'counter',
            fastexc_exceptions_by_status_total => 'counter',
            fastexc_websocket_closes_total => 'counter',
            fastexc_websocket_closes_by_code_total => 'counter',
            fastexc_tunnels_watched => 'gauge',
            fastexc_build_info => 'gauge' }, 'metrics: the families and their types');
for my $source (qw(raise httpd backend api)) {
    ok(exists $m->{"fastexc_exceptions_total{source=\"$source\"}"},
       "metrics: source $source present (from zero)");
}
for my $cause (qw(answer backend_error tunnel_backend tunnel_timeout restart stop)) {
    ok(exists $m->{"fastexc_websocket_closes_total{cause=\"$cause\"}"},
       "metrics: cause $cause present (from zero)");
}
ok(exists $m->{fastexc_tunnels_watched}, 'metrics: the tunnels gauge');
is($m->{"fastexc_build_info{version=\"$version\"}"}, 1,
   "metrics: build_info carries the header's version ($version)");
my @labels = $text =~ /\{([^}]*)\}/g;
is(scalar(grep { !/^(source="(raise|httpd|backend|api)"|cause="(answer|backend_error|tunnel_backend|tunnel_timeout|restart|stop)"|status="[2-5]\d\d",source="\w+"|code="[1-4]\d\d\d",cause="\w+"|version="[^"]+")$/ } @labels),
   0, 'metrics: label values bounded (statuses, codes, fixed sources and causes)');
is(fx_request(path => '/fastexc-metrics', method => 'HEAD')->{body}, '',
   'metrics: HEAD has no body');
is(fx_request(path => '/fastexc-metrics', method => 'POST', body => '')->{status}, 405,
   'metrics: POST refused');

# ---- each path under its source or cause -----------------------------------------

# the scripted backend of /met/wsp/: upgrades, one frame, gone
my $port = do {
    my $file = Apache::Test::vars('t_conf') . '/metrics.conf';
    open my $fh, '<', $file or die "$file: $!";
    my ($p) = join('', <$fh>) =~ /^Define FASTEXC_MET_BACKEND_PORT (\d+)$/m;
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
        if ($key) {
            my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
            print $s "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n",
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n",
                     "\x81\x02hi";
            sleep 0.3;
        }
        close $s;
    }
    POSIX::_exit(0);
}
close $listen;
END { local $?; if ($backend) { kill 'TERM', $backend; waitpid $backend, 0 } }

sub ws_close {
    my ($path, %o) = @_;
    my ($sock, $r, $buf) = fx_ws_open(path => $path, %o);
    return "HTTP $r->{status}" if $r->{status} != 101;
    while (my $f = fx_ws_read_frame($sock, \$buf)) {
        next unless $f->{opcode} == 8;
        print $sock fx_ws_client_frame(8, substr($f->{payload}, 0, 2));
        close $sock;
        return 'close ' . unpack('n', $f->{payload});
    }
    return 'no close';
}
sub http { fx_request(@_)->{status} }

my $env_mark = -s "$logs/fastexc_env_log" || 0;
my @cases = (
    ['FastExcRaise', sub { http(path => '/met/raise?a') }, 451, exc(451, 'raise')],
    ['FastExc On: httpd 404', sub { http(path => '/met/on/missing') }, 404, exc(404, 'httpd')],
    ['FastExc On: Require denied', sub { http(path => '/met/denied') }, 403, exc(403, 'httpd')],
    ['FastExc On: backend down', sub { http(path => '/met/down') }, 503, exc(503, 'backend')],
    ['FastExc On: the backend\'s 404 (ProxyErrorOverride)', sub { http(path => '/met/override/x') },
     404, exc(404, 'backend')],
    ['notes API', sub { http(path => '/lua/raise.lua?status=452&text=metered') }, 452,
     exc(452, 'api')],
    ['FastExcWebSocket', sub { ws_close('/met/ws') }, 'close 4051', ws(4051, 'answer')],
    ['notes API: fastexc-ws-code', sub { ws_close('/lua/wsraise.lua') }, 'close 4004',
     ws(4004, 'answer')],
    ['C API: fastexc_raise_websocket', sub { ws_close('/api/x', headers => [
        ['X-Raise-Phase', 'fixups'], ['X-Raise-WS-Code', 4055]]) }, 'close 4055',
     ws(4055, 'answer')],
    ['C API: fastexc_websocket_close', sub { ws_close('/api/wsown') }, 'close 4002',
     ws(4002, 'answer')],
    ['a raise on an upgrade (FastExcWebSocketRaiseCode)', sub { ws_close('/ws/gone') },
     'close 4404', ws(4404, 'answer')],
    ['FastExcWebSocketBackendError', sub { ws_close('/met/wsdown') }, 'close 4052',
     ws(4052, 'backend_error')],
    ['FastExcWebSocketTunnelClose: the backend went away', sub { ws_close('/met/wsp/t') },
     'close 4053', ws(4053, 'tunnel_backend')],
    ['nothing sent, nothing counted', sub { http(path => '/static/file.txt') }, 200, {}],
);
for my $c (@cases) {
    my ($label, $action, $answer, $want) = @$c;
    my ($before) = metrics();
    is($action->(), $answer, "$label: answered $answer");
    my $d = change_after($before, $want);
    is_deeply($d, $want, "$label: counted") or diag(explain($d));
}

# The C API's HTTP raises count under source api.
{
    my ($before) = metrics();
    is(http(path => '/api/x', headers => [['X-Raise-Phase', 'handler'],
        ['X-Raise-Status', 453], ['X-Raise-Text', 'metered']]), 453, 'C API: answered 453');
    is_deeply(change_after($before, exc(453, 'api')), exc(453, 'api'), 'C API: counted as api');
}

# the by-status series of a status sent, with every source from zero
($m) = metrics();
is_deeply([map { exists $m->{"fastexc_exceptions_by_status_total{status=\"451\",source=\"$_\"}"} ? 1 : 0 }
           qw(raise httpd backend api)], [1, 1, 1, 1],
          'by status: a status sent is listed with every source');

# ---- the environment -------------------------------------------------------------

sleep 0.3;   # the access log is written after the response
my $env = do {
    open my $fh, '<', "$logs/fastexc_env_log" or die "fastexc_env_log: $!";
    seek $fh, $env_mark, 0;
    local $/;
    <$fh> // '';
};
like($env, qr{^/met/raise 451 \[451\] \[raise\] \[\\"metered a\\"\] \[-\] \[-\] \[-\] \[raise\]$}m,
     'environment: FASTEXC_SENT_STATUS, _SOURCE, _DETAIL (and the note fastexc-sent-source)');
like($env, qr{^/met/down 503 \[503\] \[backend\] }m, 'environment: a backend\'s error');
like($env, qr{^/met/ws 101 \[-\] \[-\] \[-\] \[4051\] \[answer\] \[metered close\] \[-\]$}m,
     'environment: FASTEXC_SENT_WS_CODE, _WS_CAUSE, _WS_REASON');
like($env, qr{^/met/wsdown \d+ \[-\] \[-\] \[-\] \[4052\] \[backend_error\] }m,
     'environment: a backend error\'s close');
unlike($env, qr{^/static/}m, 'environment: CustomLog env=FASTEXC_SENT_STATUS logs exceptions only');

# ---- the version: startup log, mod_status ----------------------------------------

like(fx_log_since(0), qr/\[fastexc:notice\].* FX0040: mod_fastexc\/\Q$version\E configured \(jansson [\d.]+; counters in shared memory, kept across restarts\)/,
     'startup: the version logged (FX0040)');
like(fx_request(path => '/server-status?auto')->{body}, qr/^FastExcVersion: \Q$version\E$/m,
     'mod_status ?auto: FastExcVersion');
like(fx_request(path => '/server-status')->{body}, qr{<h2>mod_fastexc</h2>\n<dl><dt>Version: mod_fastexc/\Q$version\E</dt></dl>},
     'mod_status page: the version');

# ---- promtool ------------------------------------------------------------------------

SKIP: {
    my $promtool = -x '/usr/bin/promtool' ? '/usr/bin/promtool' : undef;
    skip 'promtool is not installed (Debian\'s prometheus package; make deps installs it)', 2
        unless $promtool;
    my $file = Apache::Test::vars('t_logs') . '/metrics.txt';
    open my $out, '>', $file or die "$file: $!";
    print $out (metrics())[1]->{body};
    close $out;
    my $said = `'$promtool' check metrics < '$file' 2>&1`;
    is($? >> 8, 0, 'promtool check metrics: exit 0');
    is($said, '', 'promtool check metrics: no problem reported') or diag($said);
}

done_testing();
