# Observability: each exception sent is logged once at FastExcLogLevel,
# its status/code and detail/reason are notes the access log can show, and
# mod_status shows counts across all children (HTML and ?auto).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

plan skip_all => 'mod_status is not loaded' unless need_module('status');

my $python = $ENV{FASTEXC_PYTHON} || '/usr/bin/python3';
my $t_dir = Apache::Test::vars('t_dir');
my $logs = Apache::Test::vars('t_logs');
my $hp = fx_hostport();

sub slurp_from {
    my ($file, $from) = @_;
    open my $fh, '<', $file or return '';
    seek $fh, $from, 0;
    local $/;
    return <$fh> // '';
}
sub counts {
    my $res = fx_request(path => '/server-status?auto');
    my %c = $res->{body} =~ /^FastExc(\w+?)(\d+): (\d+)$/mg
        ? map { /^FastExc(\w+?)(\d+): (\d+)$/ ? ("$1$2" => $3) : () }
              split /\n/, $res->{body}
        : ();
    return \%c;
}
sub settle { select undef, undef, undef, 0.3 }   # logs are written after the response

my $before = counts();
my $err_mark = -s "$logs/error_log";
my $acc_mark = -s "$logs/fastexc_access_log" || 0;

# three exceptions (on separate connections, so likely on several children)
for my $i (1 .. 3) {
    my $res = fx_request(path => "/obs/x?marker$i");
    is($res->{status}, 418, "exception $i sent");
}
# two WebSocket closes
for my $i (1 .. 2) {
    my $out = `'$python' '$t_dir/ws/wsclient.py' 'ws://$hp/obs/ws'`;
    like($out, qr/"code": 4005/, "WebSocket close $i sent");
}
# an exception logged at another level
my $res = fx_request(path => '/obs/quiet?marker-quiet');
is($res->{status}, 418, 'quiet exception sent');
settle();

my $errors = slurp_from("$logs/error_log", $err_mark);
for my $i (1 .. 3) {
    my @lines = $errors =~ /^(.*FX0027: exception 418, detail "observed marker$i")$/mg;
    is(scalar @lines, 1, "exception $i logged exactly once");
    like($lines[0] // '', qr/\[fastexc:notice\]/, "exception $i logged at notice");
}
my @ws = $errors =~ /FX0028: WebSocket closed with 4005, reason "observed close"$/mg;
is(scalar @ws, 2, 'each WebSocket close logged once');
like($errors, qr/\[fastexc:debug\].*FX0027: exception 418, detail "observed marker-quiet"/,
     'FastExcLogLevel debug: logged at debug');

my $access = slurp_from("$logs/fastexc_access_log", $acc_mark);
# mod_log_config escapes the quotes of a note
like($access, qr{^/obs/x 418 \[418\] \[\\"observed marker1\\"\] \[-\] \[-\]$}m,
     'access log: status and detail from the notes');
like($access, qr{^/obs/ws 101 \[-\] \[-\] \[4005\] \[observed close\]$}m,
     'access log: close code and reason from the notes');
is(fx_request(path => '/static/file.txt')->{status}, 200, 'a plain request');
settle();
$access = slurp_from("$logs/fastexc_access_log", $acc_mark);
like($access, qr{^/static/file.txt 200 \[-\] \[-\] \[-\] \[-\]$}m,
     'access log: no notes without an exception');

my $after = counts();
is(($after->{Exceptions418} // 0) - ($before->{Exceptions418} // 0), 4,
   'mod_status ?auto: 418 counted across children (3 + 1 quiet)');
is(($after->{WebSocketCloses4005} // 0) - ($before->{WebSocketCloses4005} // 0), 2,
   'mod_status ?auto: close code 4005 counted');
my $html = fx_request(path => '/server-status')->{body};
like($html, qr{<h2>mod_fastexc</h2>}, 'mod_status page: our section');
like($html, qr{<tr><td>418</td><td>\d+</td></tr>}, 'mod_status page: the 418 row');
like($html, qr{<tr><td>4005</td><td>2</td></tr>}, 'mod_status page: the 4005 row');

done_testing();
