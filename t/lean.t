# What a request pays nothing for must still work where it is used: merges
# where one side set nothing (a flag, not a compare), and the hooks only
# registered where the configuration uses them (FastExcRaiseEarly,
# FastExcNegotiate: in a nested scope only, in a virtual host only, or in
# .htaccess only, allowed by AllowOverride FileInfo or by
# AllowOverrideList). Throwaway httpds: the suite's own configuration uses
# everything, so it would hide a hook left unregistered.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use FastExcThrowaway;
use File::Path ();
use Time::HiRes qw(sleep time);

my $dir = fxt_tempdir();
my $docroot = "$dir/htdocs";
my $file = "a file\n";
my $errdoc = "the operator's page\n";
my $html404 = qr{<title>404 Not Found</title>};
my $html403 = qr{<title>403 Forbidden</title>};
my $JSON = 'application/json';
my $BROWSER = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';

sub put {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chmod 0644, $path;
}
File::Path::make_path(map({ "$docroot/$_" } qw(m d/loc denied neg/inner list
                                                fileinfo)),
                      { mode => 0755 });
put("$docroot/errdoc.html", $errdoc);
put("$docroot/$_/file.txt", $file) for qw(m denied);
# read only where a server allows it
put("$docroot/$_/.htaccess", "FastExcNegotiate On\n") for qw(list fileinfo);

my %ports = map { $_ => fx_free_port() } qw(lean vhost list fileinfo later);
my $common = fxt_lean_dirs($docroot);

# nothing of ours at server level; each scope sets one field
fxt_httpd_start(dir => $dir, name => 'lean',
    ports => [$ports{lean}, $ports{vhost}],
    modules => [qw(mpm_event authz_core)], conf => <<"EOF");
Listen 127.0.0.1:$ports{lean}
Listen 127.0.0.1:$ports{vhost}
$common
<Directory $docroot/denied>
    Require all denied
</Directory>
<Location /m>
    FastExc On
</Location>
<Location /m/off>
    FastExc Off
</Location>
<Location /m/ws>
    FastExcWebSocket 4003 "nested"
</Location>
<Directory $docroot/d>
    FastExcDetail 404 "from Directory"
</Directory>
<Location /d/loc>
    FastExc On
</Location>
<Location /neg>
    FastExc On
    ErrorDocument 404 /errdoc.html
</Location>
<Location /neg/inner>
    FastExcNegotiate On
</Location>
<VirtualHost 127.0.0.1:$ports{vhost}>
    FastExcDetail 404 "vhost 404"
    <Location /denied>
        FastExcRaiseEarly On
        FastExcRaise 404 "early"
    </Location>
</VirtualHost>
EOF

# FastExcNegotiate only in .htaccess, allowed one way or the other
for my $how (['list', 'AllowOverrideList FastExcNegotiate'],
             ['fileinfo', 'AllowOverride FileInfo']) {
    my ($name, $allow) = @$how;
    fxt_httpd_start(dir => $dir, name => $name, ports => [$ports{$name}],
        modules => [qw(mpm_event authz_core)], conf => <<"EOF");
Listen 127.0.0.1:$ports{$name}
$common
<Directory $docroot/$name>
    $allow
    FastExc On
    ErrorDocument 404 /errdoc.html
</Directory>
EOF
}

# FastExcNegotiate added, then taken away, by graceful restarts: each
# generation registers the hooks its own configuration uses
my $later = fxt_httpd_start(dir => $dir, name => 'later',
    ports => [$ports{later}], modules => [qw(mpm_event authz_core)],
    conf => <<"EOF");
Listen 127.0.0.1:$ports{later}
$common
<Location /neg>
    FastExc On
    ErrorDocument 404 /errdoc.html
    # NEGOTIATE
</Location>
<Location /maint>
    FastExcRaise 503 "come back later"
</Location>
EOF

my @cases = (
    { label => 'FastExc On alone in a <Location>: JSON 404',
      path => '/m/missing', status => 404, ctype => $JSON,
      body => '{"detail":"Not Found"}' },
    { label => 'FastExc On alone: a file passes', path => '/m/file.txt',
      status => 200, body => $file },
    { label => 'FastExc Off under On: httpd\'s page', path => '/m/off/missing',
      status => 404, body_like => $html404 },
    { label => 'a <Directory> detail and a <Location> On, one field each',
      path => '/d/loc/missing', status => 404, ctype => $JSON,
      body => '{"detail":"from Directory"}' },
    { label => 'FastExcNegotiate in a nested scope only: JSON client',
      path => '/neg/inner/missing', accept => $JSON, status => 404,
      ctype => $JSON, body => '{"detail":"Not Found"}', vary => 'Accept' },
    { label => 'FastExcNegotiate in a nested scope only: browser',
      path => '/neg/inner/missing', accept => $BROWSER, status => 404,
      body => $errdoc, vary => 'Accept' },
    { label => 'no FastExcRaiseEarly in this host: <Directory> denies',
      path => '/denied/file.txt', status => 403, body_like => $html403 },
    { label => 'FastExcRaiseEarly in a virtual host only: raised early',
      port => 'vhost', path => '/denied/file.txt', status => 404,
      ctype => $JSON, body => '{"detail":"early"}' },
    { label => 'a host\'s own detail, FastExc On from the main <Location>',
      port => 'vhost', path => '/m/missing', status => 404, ctype => $JSON,
      body => '{"detail":"vhost 404"}' },
    { label => 'FastExcNegotiate in .htaccess (AllowOverrideList): JSON',
      port => 'list', path => '/list/missing', accept => $JSON,
      status => 404, ctype => $JSON, body => '{"detail":"Not Found"}',
      vary => 'Accept' },
    { label => 'FastExcNegotiate in .htaccess (AllowOverrideList): browser',
      port => 'list', path => '/list/missing', accept => $BROWSER,
      status => 404, body => $errdoc },
    { label => 'FastExcNegotiate in .htaccess (FileInfo): JSON',
      port => 'fileinfo', path => '/fileinfo/missing', accept => $JSON,
      status => 404, ctype => $JSON, body => '{"detail":"Not Found"}',
      vary => 'Accept' },
    { label => 'FastExcNegotiate in .htaccess (FileInfo): browser',
      port => 'fileinfo', path => '/fileinfo/missing', accept => $BROWSER,
      status => 404, body => $errdoc },
);

for my $c (@cases) {
    my $res = fxt_http($ports{ $c->{port} || 'lean' }, path => $c->{path},
        headers => $c->{accept} ? [[Accept => $c->{accept}]] : []);
    is($res->{status}, $c->{status}, "$c->{label}: status");
    is($res->{headers}{'content-type'}[0], $c->{ctype},
       "$c->{label}: Content-Type") if $c->{ctype};
    is($res->{headers}{vary}[0], $c->{vary}, "$c->{label}: Vary")
        if $c->{vary};
    is($res->{body}, $c->{body}, "$c->{label}: body") if defined $c->{body};
    like($res->{body}, $c->{body_like}, "$c->{label}: body")
        if $c->{body_like};
}

# Rewrite the 'later' server's configuration (its NEGOTIATE line) and
# restart it gracefully; a bounded wait for the new generation.
sub later_restart {
    my ($line) = @_;
    open my $in, '<', $later->{conf} or die "$later->{conf}: $!";
    my $conf = do { local $/; <$in> };
    close $in;
    $conf =~ s{^\s*(?:# NEGOTIATE|FastExcNegotiate \w+)$}{    $line}m
        or die "no NEGOTIATE line in $later->{conf}";
    open my $out, '>', $later->{conf} or die "$later->{conf}: $!";
    print $out $conf;
    close $out;
    my $gens = () = fxt_log($later) =~ /resuming normal operations/g;
    kill 'USR1', $later->{pid};
    for (1 .. 300) {
        my $now = () = fxt_log($later) =~ /resuming normal operations/g;
        last if $now > $gens;
        sleep 0.1;
    }
}
for my $step (['', 'without FastExcNegotiate', 0],
              ['FastExcNegotiate On', 'FastExcNegotiate On, added by a graceful restart', 1],
              ['FastExcNegotiate Off', 'FastExcNegotiate Off, by another', 0]) {
    my ($line, $what, $negotiates) = @$step;
    my $res;
    later_restart($line) if $line;
    # an old generation's child may still take a connection for a moment
    # after the new one is up (graceful): asked again until the new one
    # answers, for at most 10 s, and then checked whole
    for (1 .. 100) {
        $res = fxt_http($ports{later}, path => '/neg/missing',
                        headers => [[Accept => $JSON]]);
        last if !$line || !!$res->{headers}{vary} == !!$negotiates;
        sleep 0.1;
    }
    is($res->{status}, 404, "$what: JSON client, status");
    if ($negotiates) {
        is($res->{body}, '{"detail":"Not Found"}', "$what: JSON client gets JSON");
        is($res->{headers}{vary}[0], 'Accept', "$what: Vary");
    }
    else {
        is($res->{body}, $errdoc, "$what: JSON client gets the ErrorDocument");
        is($res->{headers}{vary}, undef, "$what: no Vary");
    }
    $res = fxt_http($ports{later}, path => '/neg/missing',
                    headers => [[Accept => $BROWSER]]);
    is($res->{body}, $errdoc, "$what: browser gets the ErrorDocument");
}

# The upgrade handler is registered only where an upgrade has something of
# ours to be answered by or noted with: here, no FastExcWebSocket rule
# anywhere, but a scope's FastExcWebSocketCloseTimeout, which a module's own
# WebSocket closed by fastexc_websocket_close() must still wait (1 s, not
# the default 5 s, for a client that never answers); and beside it a scope
# with nothing of that kind, which waits the default.
{
    my $so = Apache::Test::config()->{cmodules_dir}
        . '/fastexc_test/.libs/mod_fastexc_test.so';
    ok(-e $so, 'the C API helper module is built') or diag($so);
    my $port = fx_free_port();
    my $capi = fxt_httpd_start(dir => $dir, name => 'capi', ports => [$port],
        modules => [qw(mpm_event authz_core)], conf => <<"EOF");
Listen 127.0.0.1:$port
$common
LoadModule fastexc_test_module $so
<Location /own-short>
    SetHandler fastexc-test-ws
    FastExcWebSocketCloseTimeout 1
</Location>
<Location /own>
    SetHandler fastexc-test-ws
    FastExc On
</Location>
EOF
    for my $c (['a scope with FastExcWebSocketCloseTimeout 1', '/own-short', 0.5, 3],
               ['a scope with nothing of WebSockets: the default 5 s', '/own', 4, 8]) {
        my ($label, $path, $min, $max) = @$c;
        my ($sock, $res, $rest) = fxt_ws_open($port, $path);
        is($res->{status}, 101, "$label: 101");
        my $want = fxt_close_frame(4002, 'closed by its module');
        my $t0 = time;
        fxt_read_at_least($sock, \$rest, length($want) + 7, 10);
        like($rest, qr/\Q$want\E\z/, "$label: hello, then its Close");
        my ($tail) = fxt_read_to_eof($sock, '', 10);
        my $waited = time - $t0;
        ok($waited > $min && $waited < $max,
           "$label: a silent client waited for between $min and $max s")
            or diag("closed after $waited s");
        close $sock;
    }
    fxt_httpd_stop($capi);
}

# a raise that hits an upgrade in a server without the upgrade handler (no
# FastExcWebSocket rule, timeout or log level anywhere): still 101 and its
# Close (the error path answers it, not the handler); over HTTP, the raise
{
    my ($sock, $res, $rest) = fxt_ws_open($ports{later}, '/maint');
    is($res->{status}, 101, 'a raise on an upgrade, no upgrade handler: 101');
    my $want = fxt_close_frame(1013, 'come back later');
    fxt_read_at_least($sock, \$rest, length $want, 10);
    is($rest, $want, 'a raise on an upgrade, no upgrade handler: Close 1013');
    close $sock;
    $res = fxt_http($ports{later}, path => '/maint');
    is("$res->{status} $res->{body}", '503 {"detail":"come back later"}',
       'the same URL over HTTP: the raise');
}

# an upgrade in a scope that only says FastExc On: not ours, the file
my ($sock, $res) = fxt_ws_open($ports{lean}, '/m/file.txt');
is($res->{status}, 200, 'upgrade where only FastExc On: passes');
is($res->{body}, $file, 'upgrade where only FastExc On: the file');
close $sock;

# a FastExcWebSocket rule in a nested scope: 101, then its Close
($sock, $res, my $rest) = fxt_ws_open($ports{lean}, '/m/ws/x');
is($res->{status}, 101, 'upgrade in a nested FastExcWebSocket scope: 101');
my $want = fxt_close_frame(4003, 'nested');
fxt_read_at_least($sock, \$rest, length $want, 10);
is($rest, $want, 'upgrade in a nested FastExcWebSocket scope: its Close');
close $sock;

# the same handshake over HTTP/1.0 is no upgrade: the scope's 404
$sock = fxt_connect($ports{lean});
print $sock "GET /m/ws/x HTTP/1.0\r\nHost: localhost\r\nUpgrade: websocket\r\n"
    . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    . "Sec-WebSocket-Version: 13\r\n\r\n";
my ($raw) = fxt_read_to_eof($sock, '', 10);
close $sock;
like($raw, qr{^HTTP/1\.1 404 Not Found\r\n}, 'HTTP/1.0 handshake: no upgrade');
like($raw, qr{\r\n\r\n\{"detail":"Not Found"\}\z},
     'HTTP/1.0 handshake: the scope\'s JSON 404');

done_testing();
