# A real Prometheus (Debian's package) started on loopback with a temporary
# directory, scraping SetHandler fastexc-metrics every second, answers a
# query for an exception counter with the value this test caused. Skips,
# saying so, when the package is not installed (scripts/deps.sh tries).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use FastExcThrowaway qw(fxt_tempdir);
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

my $prometheus = '/usr/bin/prometheus';
plan skip_all => "Prometheus is not installed ($prometheus: Debian's prometheus "
    . 'package, which make deps tries to install)' unless -x $prometheus;

my $hp = fx_hostport();
my $series = 'fastexc_exceptions_by_status_total{status="463",source="raise"}';

sub handler_value {
    my $body = fx_request(path => '/fastexc-metrics')->{body};
    my ($v) = $body =~ /^\Q$series\E (\d+)$/m;
    return $v // 0;
}

# what this test causes: three exceptions with a status of its own
my $before = handler_value();
is(fx_request(path => "/prom/raise?$_")->{status}, 463, "exception $_ sent") for 1 .. 3;
my $want = $before + 3;
is(handler_value(), $want, 'the handler counts them');

# Prometheus, on a free loopback port, its data in a temporary directory
my $dir = fxt_tempdir();
my $port = fx_free_port();
open my $cfg, '>', "$dir/prometheus.yml" or die $!;
print $cfg <<"YML";
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: fastexc
    metrics_path: /fastexc-metrics
    static_configs:
      - targets: ['$hp']
YML
close $cfg;
my $pid = fork // die "fork: $!";
if (!$pid) {
    open STDOUT, '>', "$dir/prometheus.log";
    open STDERR, '>&', \*STDOUT;
    no warnings 'exec';
    exec $prometheus, "--config.file=$dir/prometheus.yml",
        "--storage.tsdb.path=$dir/data", "--web.listen-address=127.0.0.1:$port",
        '--log.level=warn';
    POSIX::_exit(127);
}
END {
    if ($pid) {
        local $?;
        kill 'TERM', $pid;
        my $gone;
        for (1 .. 100) { last if $gone = waitpid($pid, POSIX::WNOHANG()) == $pid; sleep 0.1 }
        if (!$gone) { kill 'KILL', $pid; waitpid $pid, 0 }
    }
}
sub prom_log { open my $fh, '<', "$dir/prometheus.log" or return ''; local $/; <$fh> // '' }

# the HTTP API: { status, data } or undef while it does not answer
sub api {
    my $path = shift;
    my $res = eval { fx_request(hostport => "127.0.0.1:$port", path => $path) };
    return undef unless $res && $res->{status} == 200;
    return eval { JSON::PP->new->decode($res->{body}) };
}
sub query {
    (my $q = shift) =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    my $r = api("/api/v1/query?query=$q");
    return $r && $r->{status} eq 'success' ? $r->{data}{result} : undef;
}

my $ready;
for (1 .. 300) {   # 30 s
    last if $ready = eval { fx_request(hostport => "127.0.0.1:$port", path => '/-/ready')->{status} == 200 };
    last if waitpid($pid, POSIX::WNOHANG()) == $pid;
    sleep 0.1;
}
ok($ready, "Prometheus is up on 127.0.0.1:$port") or diag(prom_log());

SKIP: {
    skip 'Prometheus did not start', 4 unless $ready;
    my ($got, $up);
    my $deadline = time + 30;
    while (time < $deadline) {
        my $r = query($series);
        $got = $r && @$r ? $r->[0]{value}[1] : undef;
        last if defined $got && $got == $want;
        sleep 0.5;
    }
    is($got, $want, "the query $series answers $want, the count this test caused")
        or diag(explain(api('/api/v1/targets')));
    my $r = query('up{job="fastexc"}');
    is($r && @$r ? $r->[0]{value}[1] : undef, 1, 'the target is up');
    $r = query('fastexc_build_info');
    like($r && @$r ? $r->[0]{metric}{version} : '', qr/^\d+\.\d+\.\d+$/,
         'fastexc_build_info carries the version');
    $r = query('sum(fastexc_exceptions_total)');
    ok($r && @$r && $r->[0]{value}[1] >= 3, 'the totals by source add up');
}

done_testing();
