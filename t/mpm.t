# The same answers under each MPM Debian ships (prefork, worker, event): a
# FastExcRaise, a WebSocket answered with 101 and a Close, the same upgrade
# rejected over HTTP, and a proxied tunnel whose backend is killed (a Close
# 1011 after the echoed bytes with FastExcWebSocketTunnelClose On, a bare
# close without). One throwaway httpd per MPM, a scripted backend.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use FastExcThrowaway;

my @mpms = grep { fxt_have_module("mpm_$_") } qw(prefork worker event);
plan skip_all => 'no MPM modules beside httpd' unless @mpms;

my $dir = fxt_tempdir();
mkdir "$dir/htdocs";
open my $fh, '>', "$dir/htdocs/file.txt" or die $!;
print $fh "a file\n";
close $fh;
chmod 0644, "$dir/htdocs/file.txt";
chmod 0755, "$dir/htdocs";

my $backend = fxt_backend_start(dir => $dir);
my $hello = "\x81\x05hello";

# label, request, what must come back; {ws} is an upgrade, {kill} the name
# of the backend connection to kill once the echo came back
my @cases = (
    { label => 'FastExcRaise: 404 and its JSON', path => '/raise/x',
      status_line => 'HTTP/1.1 404 Not Found',
      headers => { 'content-type' => 'application/json',
                   'content-length' => 27 },
      body => '{"detail":"Item not found"}' },
    { label => 'outside the scope: the file', path => '/file.txt',
      status_line => 'HTTP/1.1 200 OK', body => "a file\n",
      headers => { 'content-length' => 7 } },
    { label => 'FastExcWebSocket 4003: 101, then the Close', ws => 1,
      path => '/ws/close',
      status_line => 'HTTP/1.1 101 Switching Protocols',
      headers => { 'upgrade' => 'websocket',
                   'sec-websocket-accept' => 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' },
      bytes => fxt_close_frame(4003, 'reason') },
    { label => 'FastExcWebSocketReject http: 403 and its JSON', ws => 1,
      path => '/ws/http', status_line => 'HTTP/1.1 403 Forbidden',
      headers => { 'content-type' => 'application/json', 'upgrade' => undef,
                   'sec-websocket-accept' => undef },
      body => '{"detail":"reason"}' },
    { label => 'tunnel, On: backend killed, 1011 after the echo', ws => 1,
      path => '/on/echo/NAME', kill => 'NAME',
      status_line => 'HTTP/1.1 101 Switching Protocols',
      bytes => $hello . fxt_close_frame(1011, 'Backend went away') },
    { label => 'tunnel, no directive: backend killed, a bare close', ws => 1,
      path => '/off/echo/NAME', kill => 'NAME',
      status_line => 'HTTP/1.1 101 Switching Protocols', bytes => $hello },
);

for my $mpm (@mpms) {
    my $port = fx_free_port();
    my $srv = eval {
        fxt_httpd_start(dir => $dir, name => $mpm, ports => [$port],
            modules => ["mpm_$mpm", qw(authz_core proxy proxy_http)],
            conf => <<"EOF") };
Listen 127.0.0.1:$port
DocumentRoot $dir/htdocs
Timeout 10
<IfModule mpm_prefork_module>
    StartServers 2
    MinSpareServers 1
    MaxSpareServers 4
    MaxRequestWorkers 16
</IfModule>
<IfModule !mpm_prefork_module>
    StartServers 1
    ServerLimit 2
    ThreadsPerChild 8
    MaxRequestWorkers 16
    MinSpareThreads 4
    MaxSpareThreads 16
</IfModule>
ProxyPass /on/ ws://127.0.0.1:$backend/ upgrade=websocket
ProxyPass /off/ ws://127.0.0.1:$backend/ upgrade=websocket
<Location /on>
    FastExcWebSocketTunnelClose On
</Location>
<Location /raise>
    FastExcRaise 404 "Item not found"
</Location>
<Location /ws/close>
    FastExcWebSocket 4003 "reason"
</Location>
<Location /ws/http>
    FastExcWebSocket 4003 "reason"
    FastExcWebSocketReject http
</Location>
EOF
    ok($srv, "$mpm: httpd started") or diag($@);
    next unless $srv;
    my $v = `'$srv->{httpd}' -f '$srv->{conf}' -V 2>&1`;
    like($v, qr/^Server MPM:\s+\Q$mpm\E$/m, "$mpm: the server runs that MPM");

    my $n = 0;
    for my $c (@cases) {
        my $label = "$mpm, $c->{label}";
        my ($res, $bytes, $eof);
        (my $path = $c->{path}) =~ s/NAME/$mpm-$n/;
        (my $kill = $c->{kill} // '') =~ s/NAME/$mpm-$n/;
        $n++;
        if ($c->{ws}) {
            my ($sock, $rest);
            ($sock, $res, $rest) = fxt_ws_open($port, $path);
            if ($kill) {
                print $sock fx_ws_client_frame(1, 'hello');
                # the echo is back: the backend is mid-session
                fxt_read_at_least($sock, \$rest, length $hello, 10);
                fxt_backend_kill($dir, $kill);
            }
            # an HTTP answer keeps the connection alive: only a 101 ends it
            ($bytes, $eof) = fxt_read_to_eof($sock, $rest, 10,
                                             answer_close => 1)
                if $res->{status} == 101;
            close $sock;
        }
        else {
            $res = fxt_http($port, path => $path);
        }
        is($res->{status_line}, $c->{status_line}, "$label: status line");
        for my $h (sort keys %{ $c->{headers} || {} }) {
            my $got = $res->{headers}{$h} && join ', ', @{ $res->{headers}{$h} };
            if (defined $c->{headers}{$h}) {
                is($got, $c->{headers}{$h}, "$label: $h");
            }
            else {
                ok(!defined $got, "$label: no $h") or diag("$h: $got");
            }
        }
        is($res->{body}, $c->{body}, "$label: body bytes") if exists $c->{body};
        if (exists $c->{bytes}) {
            is(unpack('H*', $bytes), unpack('H*', $c->{bytes}),
               "$label: bytes after the 101");
            ok(defined $eof, "$label: then the connection closes");
        }
    }
    my $log = fxt_log($srv);
    like($log, qr/FX0027: exception 404, detail "Item not found"/,
         "$mpm: the raise logged");
    like($log, qr/FX0028: WebSocket closed with 4003, reason "reason"$/m,
         "$mpm: the WebSocket answer logged");
    like($log, qr/FX0028: WebSocket closed with 1011, reason "Backend went away", tunnel ended: the backend went away/,
         "$mpm: the tunnel's Close logged");
    unlike($log, qr/exit signal|AH00052/, "$mpm: no child crashed");
    fxt_httpd_stop($srv);
}

done_testing();
