# A bad configuration offered to a running server on graceful restart is
# refused, naming the directive, and the old configuration keeps serving; a
# good one is taken.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);

my $httpd = Apache::Test::vars('httpd');
my $t_conf = Apache::Test::vars('t_conf');
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;

open my $fh, '<', "$t_conf/modules.load" or die "modules.load: $!";
my $modules = do { local $/; <$fh> };
close $fh;

my $port = fx_free_port();
my $conf = "$dir/httpd.conf";
my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';

sub write_conf {
    my $body = shift;
    open my $out, '>', $conf or die "$conf: $!";
    print $out "ServerRoot $dir\nServerName localhost\n",
               "Listen 127.0.0.1:$port\nPidFile $dir/httpd.pid\n",
               "ErrorLog $dir/error_log\nDefaultRuntimeDir $dir\n",
               "Mutex file:$dir default\n", $user, $modules, "\n",
               "<Location /g>\n$body\n</Location>\n";
    close $out;
}

sub answer {
    my $res = eval { fx_request(hostport => "127.0.0.1:$port", path => '/g') };
    return $res ? "$res->{status} $res->{body}" : 'no answer';
}

sub wait_for {    # bounded: 10 s
    my $want = shift;
    for (1 .. 100) {
        return 1 if answer() eq $want;
        sleep 0.1;
    }
    return 0;
}

write_conf('FastExcRaise 418 "old configuration"');
my $out = `'$httpd' -f '$conf' -k start 2>&1`;
is($? >> 8, 0, 'started') or diag($out);
ok(wait_for('418 {"detail":"old configuration"}'), 'serves the first configuration');

write_conf('FastExcRaise 101 "bad"');
$out = `'$httpd' -f '$conf' -k graceful 2>&1`;
isnt($? >> 8, 0, 'graceful restart with a bad configuration: refused');
like($out, qr/FastExcRaise: status 101: a 1xx status is informational/,
     'the refusal names the directive and the problem');
sleep 1;
is(answer(), '418 {"detail":"old configuration"}',
   'the old configuration keeps serving');

write_conf(q(FastExcRaise 422 'json:{"config":"new"}'));
$out = `'$httpd' -f '$conf' -k graceful 2>&1`;
is($? >> 8, 0, 'graceful restart with a good configuration') or diag($out);
ok(wait_for('422 {"detail":{"config":"new"}}'), 'serves the new configuration');

`'$httpd' -f '$conf' -k stop 2>&1`;
ok(!-e "$dir/httpd.pid" || wait_gone(), 'stopped');

sub wait_gone {
    for (1 .. 100) { return 1 unless -e "$dir/httpd.pid"; sleep 0.1 }
    return 0;
}

done_testing();
