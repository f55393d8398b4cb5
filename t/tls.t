# TLS on either side of the module. Client side (mod_ssl): an https raise,
# a wss upgrade answered with 101 and a Close, a wss tunnel whose backend is
# killed (1011 with FastExcWebSocketTunnelClose On, a bare close without).
# Backend side (ProxyPass wss://, SSLProxyEngine): a TLS backend killed
# mid-session, or ending after a large frame, still gets its Close at a
# frame boundary; one dying mid-frame leaves no Close. Its own httpd (event
# MPM), a certificate made with openssl at run time, a scripted backend
# speaking TLS through IO::Socket::SSL.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use FastExcThrowaway;

plan skip_all => 'mod_ssl missing' unless fxt_have_module('ssl');
plan skip_all => 'openssl missing' if system('openssl version >/dev/null 2>&1');
plan skip_all => 'IO::Socket::SSL missing (libio-socket-ssl-perl)'
    unless eval { require IO::Socket::SSL; 1 };

my $dir = fxt_tempdir();
my ($cert, $key) = fxt_self_signed($dir);
my $backend = fxt_backend_start(dir => $dir);
my $tls_backend = fxt_backend_start(dir => $dir, tls => [$cert, $key]);
my ($https, $http) = (fx_free_port(), fx_free_port());

my $locations = <<"EOF";
    SSLProxyEngine on
    SSLProxyVerify none
    SSLProxyCheckPeerName off
    SSLProxyCheckPeerCN off
    SSLProxyCheckPeerExpire off
    ProxyPass /on/ ws://127.0.0.1:$backend/ upgrade=websocket
    ProxyPass /off/ ws://127.0.0.1:$backend/ upgrade=websocket
    ProxyPass /tls-on/ wss://127.0.0.1:$tls_backend/ upgrade=websocket
    ProxyPass /tls-off/ wss://127.0.0.1:$tls_backend/ upgrade=websocket
    <Location /on>
        FastExcWebSocketTunnelClose On
    </Location>
    <Location /tls-on>
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
my $srv = fxt_httpd_start(dir => $dir, name => 'tls', ports => [$https, $http],
    modules => [qw(mpm_event authz_core proxy proxy_http ssl
                   socache_shmcb)],
    conf => <<"EOF");
Listen 127.0.0.1:$https https
Listen 127.0.0.1:$http
Timeout 10
SSLSessionCache shmcb:$dir/tls/ssl_scache(512000)
<VirtualHost 127.0.0.1:$https>
    SSLEngine on
    SSLCertificateFile $cert
    SSLCertificateKeyFile $key
$locations
</VirtualHost>
<VirtualHost 127.0.0.1:$http>
$locations
</VirtualHost>
EOF

my $hello = "\x81\x05hello";
my $close1011 = fxt_close_frame(1011, 'Backend went away');
my $big = "\x82\x7f" . pack('Q>', 70000) . ('y' x 70000);

# label, client side TLS?, request, expected; {kill}: the backend
# connection is killed once the echo came back
my @cases = (
    { label => 'https: FastExcRaise 404 and its JSON', tls => 1,
      path => '/raise/x', status_line => 'HTTP/1.1 404 Not Found',
      headers => { 'content-type' => 'application/json',
                   'content-length' => 27 },
      body => '{"detail":"Item not found"}' },
    { label => 'wss: FastExcWebSocket, 101 then the Close', tls => 1,
      ws => 1, path => '/ws/close',
      status_line => 'HTTP/1.1 101 Switching Protocols',
      headers => { 'upgrade' => 'websocket',
                   'sec-websocket-accept' => 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' },
      bytes => fxt_close_frame(4003, 'reason') },
    { label => 'wss: FastExcWebSocketReject http, 403 and its JSON',
      tls => 1, ws => 1, path => '/ws/http',
      status_line => 'HTTP/1.1 403 Forbidden',
      headers => { 'content-type' => 'application/json',
                   'sec-websocket-accept' => undef },
      body => '{"detail":"reason"}' },
    { label => 'wss to a ws backend, On: killed, 1011 after the echo',
      tls => 1, ws => 1, path => '/on/echo/NAME', kill => 'NAME',
      bytes => $hello . $close1011 },
    { label => 'wss to a ws backend, no directive: killed, a bare close',
      tls => 1, ws => 1, path => '/off/echo/NAME', kill => 'NAME',
      bytes => $hello },
    { label => 'ws to a wss backend, On: killed, 1011 after the echo',
      ws => 1, path => '/tls-on/echo/NAME', kill => 'NAME',
      bytes => $hello . $close1011 },
    { label => 'ws to a wss backend, On: a 70000-byte frame in pieces, '
               . 'then gone: 1011 after its last byte',
      ws => 1, path => '/tls-on/big', bytes => $big . $close1011 },
    { label => 'ws to a wss backend, On: gone mid-frame, no Close',
      ws => 1, path => '/tls-on/mid-frame', bytes => "\x81\x0ahell" },
    { label => 'ws to a wss backend, no directive: killed, a bare close',
      ws => 1, path => '/tls-off/echo/NAME', kill => 'NAME',
      bytes => $hello },
    { label => 'wss to a wss backend, On: killed, 1011 after the echo',
      tls => 1, ws => 1, path => '/tls-on/echo/NAME', kill => 'NAME',
      bytes => $hello . $close1011 },
    { label => 'wss to a wss backend, On: the large frame, then 1011',
      tls => 1, ws => 1, path => '/tls-on/big', bytes => $big . $close1011 },
);

my $n = 0;
for my $c (@cases) {
    my $label = $c->{label};
    my $port = $c->{tls} ? $https : $http;
    my ($res, $bytes, $eof);
    (my $path = $c->{path}) =~ s/NAME/tls-$n/;
    (my $kill = $c->{kill} // '') =~ s/NAME/tls-$n/;
    $n++;
    if ($c->{ws}) {
        my ($sock, $rest);
        ($sock, $res, $rest) = fxt_ws_open($port, $path, tls => $c->{tls});
        if ($kill) {
            print $sock fx_ws_client_frame(1, 'hello');
            ok(fxt_read_at_least($sock, \$rest, length $hello, 10),
               "$label: the echo came back");
            fxt_backend_kill($dir, $kill);
        }
        ($bytes, $eof) = fxt_read_to_eof($sock, $rest, 10, answer_close => 1)
            if $res->{status} == 101;
        close $sock;
    }
    else {
        $res = fxt_http($port, path => $path, tls => $c->{tls});
    }
    is($res->{status_line},
       $c->{status_line} || 'HTTP/1.1 101 Switching Protocols',
       "$label: status line");
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
        # long byte strings: compare lengths and the ends, not 140 KB of hex
        is(length $bytes, length $c->{bytes}, "$label: as many bytes");
        is(unpack('H*', substr($bytes, -40)), unpack('H*', substr($c->{bytes}, -40)),
           "$label: the last bytes");
        ok($bytes eq $c->{bytes}, "$label: the exact bytes");
        ok(defined $eof, "$label: then the connection closes");
    }
}

my $log = fxt_log($srv);
my @closes = $log =~ /FX0028: WebSocket closed with 1011, reason "Backend went away", tunnel ended: the backend went away/g;
is(scalar @closes, 5, 'five tunnel Closes logged, once each');
like($log, qr/FX0030: WebSocket tunnel ended \(the backend went away\) in the middle of a frame/,
     'the Close that could not be sent logged too');
unlike($log, qr/exit signal|AH00052/, 'no child crashed');

done_testing();
