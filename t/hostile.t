# Hostile input over the wire: bytes a request brings into a detail or a
# header (invalid UTF-8, control bytes, quotes, backslashes, CR/LF, very long
# values), malformed and oversized WebSocket handshakes, and clients that
# stall or flood after the server's Close. Each gets a well-formed answer
# (valid JSON, a right Content-Length, no injected header) or a bounded
# close, and a log line where the input was mended; the server stays up.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $log = Apache::Test::vars('t_logs') . '/error_log';

my $long = 'x' x 7000;
# path components < 256 bytes, the whole under PATH_MAX: httpd maps it
my $long_path = join '/', ('y' x 199) x 17;
my @cases = (
    # label, path, request headers, expectations
    ['invalid UTF-8 in an interpolated header', '/raise/template',
     [['X-Id', "a\xff\xfe\xc3"]],
     { status => 400,
       body => "{\"detail\":\"bad id a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd at /raise/template\"}",
       log => qr/FX0002: detail of the exception at .*invalid UTF-8/ }],
    ['control bytes through the query', '/raise/inject?a%01%1fb%7f',
     [], { status => 400, body => "{\"detail\":\"got a\\u0001\\u001fb\x7f\"}",
           headers => { 'X-Echo' => 'a  b' },
           log => qr/FX0003: header X-Echo .*control bytes/ }],
    ['quotes and backslashes', '/raise/template', [['X-Id', q("\\"\\\\u0000")]],
     { status => 400,
       body => '{"detail":"bad id \"\\\\\"\\\\\\\\u0000\" at /raise/template"}' }],
    ['CR/LF aimed at a header', '/raise/inject?x%0D%0AInjected:%201%0D%0A%0D%0A<html>',
     [], { status => 400, headers => { 'Injected' => undef,
                                      'X-Echo' => 'x  Injected: 1    <html>' } }],
    ['JSON breaking attempt', '/raise/inject?%22%7D%2C%22detail%22%3A%22owned',
     [], { status => 400, body => '{"detail":"got \"},\"detail\":\"owned"}' }],
    ['a 7000-byte header value', '/raise/template', [['X-Id', $long]],
     { status => 400, body => "{\"detail\":\"bad id $long at /raise/template\"}" }],
    ['a 3400-byte URI', "/raise/template/$long_path", [],
     { status => 400,
       body => "{\"detail\":\"bad id  at /raise/template/$long_path\"}" }],
    ['NUL through the query', '/raise/inject?a%00b', [],
     { status => 400 }],
);

for my $c (@cases) {
    my ($label, $path, $hdrs, $want) = @$c;
    my $mark = -s $log;
    my $res = fx_request(path => $path, headers => $hdrs);
    fx_check($label, $res, $want);
    ok(fx_json_ok($res->{body}), "$label: body is JSON");
    is($res->{headers}{'content-length'}[0], length($res->{body}),
       "$label: Content-Length matches the body");
    ok(!grep({ $_->[0] =~ /^(set-cookie|injected)$/i } @{ $res->{header_list} }),
       "$label: no injected header");
    like(fx_log_since($mark), $want->{log}, "$label: logged") if $want->{log};
}

# Malformed and oversized WebSocket handshakes: the HTTP error RFC 6455 asks
# for, as FastAPI JSON.
my @ws = (
    ['oversized key', { key => 'A' x 1000 }, 400],
    ['key of 15 bytes', { key => 'AAAAAAAAAAAAAAAAAAAA' }, 400],
    ['two keys', { headers => [['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']] }, 400],
    ['two versions', { version => '13, 8' }, 426],
    ['version 0', { version => '0' }, 426],
    ['oversized version', { version => '1' x 1000 }, 426],
);
for my $c (@ws) {
    my ($label, $o, $status) = @$c;
    my ($sock, $res) = fx_ws_open(path => '/ws/raise/x', %$o);
    close $sock;
    is($res->{status}, $status, "handshake, $label: $status");
    ok(fx_json_ok($res->{body}), "handshake, $label: JSON body");
}
{
    # Upgrade on a POST is no handshake: served as a plain request
    my $res = fx_request(method => 'POST', path => '/ws/cond', body => 'x',
        headers => [['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
                    ['Sec-WebSocket-Version', 13],
                    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']]);
    isnt($res->{status}, 101, 'Upgrade on POST: no 101');
    ok($res->{status} >= 200, 'Upgrade on POST: an HTTP answer');
}

# Clients after the server's Close: every wait is bounded (timeout 1 s here).
{
    my $mark = -s $log;
    my ($sock, $res, $buf) = fx_ws_open(path => '/ws/raise/x');
    fx_ws_read_frame($sock, \$buf);
    # half a frame header, then silence
    print $sock "\x81";
    ok(defined fx_wait_eof($sock, 10), 'half a frame then silence: closed');
    like(fx_log_since($mark), qr/FX0013: .*timed out/, 'half a frame: timed out, logged');
}
{
    my ($sock, $res, $buf) = fx_ws_open(path => '/ws/raise/x');
    fx_ws_read_frame($sock, \$buf);
    # a 1 MiB data frame the server must read and discard, never keep
    my $big = 'z' x (1 << 20);
    my @mask = (1, 2, 3, 4);
    my $frame = pack('CCQ>', 0x82, 0x80 | 127, length $big) . pack('C4', @mask)
        . ($big ^ (pack('C4', @mask) x (length($big) / 4)));
    local $SIG{PIPE} = 'IGNORE';
    print $sock $frame, fx_ws_client_frame(8, pack('n', 1000));
    ok(defined fx_wait_eof($sock, 15), 'a 1 MiB frame before Close: closed');
}
{
    my ($sock, $res, $buf) = fx_ws_open(path => '/ws/raise/x');
    fx_ws_read_frame($sock, \$buf);
    # a frame claiming 2^62 bytes
    print $sock pack('CCQ>C4', 0x82, 0x80 | 127, 1 << 62, 1, 2, 3, 4), 'abc';
    ok(defined fx_wait_eof($sock, 10), 'a frame claiming 2^62 bytes: bounded');
}

# still serving, and no child died
is(fx_request(path => '/raise/text')->{status}, 404, 'server still answers');
unlike(fx_log_since(0), qr/exit signal|Segmentation|AddressSanitizer|runtime error:/,
       'no child crashed');

done_testing();
