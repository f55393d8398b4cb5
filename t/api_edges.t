# The C API called from unusual places, through c-modules/fastexc_test:
# after the handler wrote output (buffered, or flushed: the status line and
# headers already sent), from an output filter (answered with an error
# bucket before or after the body went out, or not at all), twice in one
# request (HTTP, a detail that is not JSON, fastexc_raise_websocket on a
# plain request and on an upgrade, a WebSocket then an HTTP raise). Each
# response is read with a request pipelined behind it where the connection
# may live on, so a broken framing would show in the next response; the
# server must never crash. An exception raised too late to be sent (after
# the headers, or after a WebSocket was answered) is logged, never written.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use IO::Select;
use Time::HiRes qw(time);

plan skip_all => 'mod_fastexc_test not built' unless need_module('fastexc_test');

my $log = Apache::Test::vars('t_logs') . '/error_log';
my $start_mark = -s $log;
my $JSON = 'application/json';
my $HTML = 'text/html; charset=iso-8859-1';
my $file = "static file, 22 bytes\n";
my $next = { status => 200, body => $file };   # the pipelined request's answer

# Each case: the request's path and headers, the response (status, reason,
# Content-Type, headers: value or undef for absent, body bytes or a
# pattern), and the log since the request (like / unlike).
my @cases = (
    { label => 'raise after output was buffered, not flushed: the exception',
      path => '/api/late',
      status => 418, reason => "I'm a Teapot", ctype => $JSON,
      headers => { 'X-Late' => 'raised', 'Content-Length' => 21 },
      body => '{"detail":"too late"}',
      log => qr/FX0027: exception 418, detail "too late"/ },
    { label => 'for comparison, httpd alone (418 returned after a flush, '
               . 'no raise): its error page appended to the body',
      path => '/api/late', req => [['X-Late', 'flush-plain']],
      status => 200, ctype => 'text/plain', chunked => 1,
      body_like => qr{^partial\n<!DOCTYPE HTML .*<title>500 Internal Server Error</title>}s },
    { label => 'raise after the headers were sent: the response stays 200',
      path => '/api/late', req => [['X-Late', 'flush']],
      status => 200, ctype => 'text/plain', chunked => 1,
      headers => { 'X-Late' => undef },
      # it was appended to the body ("partial\n{"detail":"too late"}")
      # and logged as sent
      body => "partial\n",
      log => qr/FX0036: exception 418 raised after the response started: not sent/,
      unlike => qr/FX0027: exception 418/ },
    { label => 'raise after the headers were sent, FastExcFormat problem: '
               . 'not sent either (the child crashed rendering nothing)',
      path => '/api/late-problem', req => [['X-Late', 'flush']],
      status => 200, ctype => 'text/plain', chunked => 1,
      headers => { 'X-Late' => undef }, body => "partial\n",
      log => qr/FX0036: exception 418 raised after the response started: not sent/,
      unlike => qr/FX0027: exception 418|exit signal/ },
    { label => 'output filter: raise, then an error bucket before any body',
      path => '/api-filter/file.txt', req => [['X-Filter-Raise', 'first']],
      status => 409, reason => 'Conflict', ctype => $JSON,
      headers => { 'X-From-Filter' => 'yes' },
      body => '{"detail":"from a filter"}',
      log => qr/FX0027: exception 409, detail "from a filter"/ },
    { label => "for comparison, httpd alone (the filter's error bucket, no "
               . 'raise): its HTML page',
      path => '/api-filter/file.txt', req => [['X-Filter-Raise', 'plain']],
      status => 409, ctype => $HTML, headers => { 'X-From-Filter' => undef },
      body_like => qr{<title>409 Conflict</title>} },
    { label => 'output filter: raise after the body went out: nothing '
               . 'changes, nothing logged',
      path => '/api-filter/file.txt', req => [['X-Filter-Raise', 'late']],
      status => 200, ctype => 'text/plain',
      headers => { 'X-From-Filter' => undef }, body => $file,
      unlike => qr/FX0027/ },
    { label => 'output filter: raise without an error bucket: ignored',
      path => '/api-filter/file.txt', req => [['X-Filter-Raise', 'noerror']],
      status => 200, ctype => 'text/plain',
      headers => { 'X-From-Filter' => undef }, body => $file,
      unlike => qr/FX0027/ },
    { label => 'twice, the second returned: the second wins',
      path => '/api/twice',
      status => 409, ctype => $JSON,
      headers => { 'X-Second' => 1, 'X-First' => undef },
      body => '{"detail":"second"}',
      log => qr/FX0027: exception 409, detail "second"/,
      count => [qr/FX0027/, 1] },
    { label => "twice, the first's status returned: the first was replaced, "
               . "httpd's own 404",
      path => '/api/twice', req => [['X-Return', 'first']],
      status => 404, ctype => $HTML,
      headers => { 'X-First' => undef, 'X-Second' => undef },
      body_like => qr{<title>404 Not Found</title>},
      log => qr/FXT0002: raised twice \(http\): 404 then 409/,
      unlike => qr/FX0027/ },
    { label => 'twice, the second not JSON: 500 and its log line',
      path => '/api/twice', req => [['X-Twice', 'bad']],
      status => 500, ctype => $JSON, headers => { 'X-First' => undef },
      body => '{"detail":"Internal Server Error"}', next => 'closed',
      log => qr/FX0006: fastexc_raise: detail is not JSON/ },
    { label => 'fastexc_raise_websocket on a plain request: 403 and the reason',
      path => '/api/x', req => [['X-Raise-Phase', 'handler'],
                                ['X-Raise-WS-Code', 4000],
                                ['X-Raise-WS-Reason', 'no socket']],
      status => 403, ctype => $JSON, body => '{"detail":"no socket"}',
      headers => { 'Upgrade' => undef } },
    { label => 'fastexc_raise_websocket on a plain request, no reason: the '
               . 'phrase',
      path => '/api/x', req => [['X-Raise-Phase', 'fixups'],
                                ['X-Raise-WS-Code', 1008]],
      status => 403, ctype => $JSON, body => '{"detail":"Forbidden"}' },
    { label => 'fastexc_raise_websocket twice on a plain request: the second',
      path => '/api/twice', req => [['X-Twice', 'ws']],
      status => 403, ctype => $JSON, body => '{"detail":"second"}',
      log => qr/FXT0002: raised twice \(ws\): 403 then 403/,
      count => [qr/FX0027/, 1] },
);

sub header {
    my ($res, $name) = @_;
    my $v = $res->{headers}{lc $name};
    return $v && join ', ', @$v;
}

sub count_of {
    my ($text, $re) = @_;
    my @m = $text =~ /$re/g;
    return scalar @m;
}

for my $c (@cases) {
    my $label = $c->{label};
    my $mark = -s $log;
    my $sock = fx_connect();
    fx_send($sock, path => $c->{path}, headers => $c->{req}, close => 0);
    fx_send($sock, path => '/static/file.txt');
    my ($res, $second) = ({}, {});
    eval {
        $res = fx_read_response($sock);
        $second = fx_read_response($sock, buffer => $res->{leftover})
            unless ($c->{next} // '') eq 'closed';
        1;
    } or diag("$label: $@");
    close $sock;
    is($res->{status}, $c->{status}, "$label: status");
    is($res->{reason}, $c->{reason}, "$label: reason phrase")
        if exists $c->{reason};
    is(header($res, 'Content-Type'), $c->{ctype}, "$label: Content-Type");
    if ($c->{chunked}) {
        is(header($res, 'Transfer-Encoding'), 'chunked',
           "$label: chunked (the headers went before the end)");
    }
    for my $h (sort keys %{ $c->{headers} || {} }) {
        if (defined $c->{headers}{$h}) {
            is(header($res, $h), $c->{headers}{$h}, "$label: $h");
        }
        else {
            ok(!defined header($res, $h), "$label: no $h");
        }
    }
    is($res->{body}, $c->{body}, "$label: body bytes") if exists $c->{body};
    like($res->{body}, $c->{body_like}, "$label: body")
        if exists $c->{body_like};
    if (($c->{next} // '') eq 'closed') {
        is(header($res, 'Connection'), 'close',
           "$label: the connection closes (httpd's rule for 500)");
    }
    else {
        is(($second->{status} // 'none') . ' ' . ($second->{body} // ''),
           "$next->{status} $next->{body}",
           "$label: the request behind it is answered on the same connection");
    }
    my $added = fx_log_since($mark);
    like($added, $c->{log}, "$label: logged") if $c->{log};
    unlike($added, $c->{unlike}, "$label: not logged") if $c->{unlike};
    is(count_of($added, $c->{count}[0]), $c->{count}[1],
       "$label: logged once") if $c->{count};
}

# ---- on a WebSocket upgrade: raw bytes ----------------------------------------

# The handshake, then every byte until the server closes; the client
# answers the first Close (as a client must) and then only reads.
sub upgrade {
    my ($path, @headers) = @_;
    my $sock = fx_connect();
    fx_send($sock, path => $path, close => 0, headers => [
        ['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
        ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ['Sec-WebSocket-Version', 13], @headers]);
    my ($buf, $answered, $start) = ('', 0, time);
    my $sel = IO::Select->new($sock);
    while ((my $left = 10 - (time - $start)) > 0) {
        last unless $sel->can_read($left);
        my $n = sysread($sock, $buf, 65536, length $buf);
        if (!$n) {
            close $sock;
            return ($buf, time - $start);
        }
        if (!$answered && $buf =~ /\r\n\r\n\x88/) {
            print $sock fx_ws_client_frame(8, pack('n', 1000));
            $answered = 1;
        }
    }
    close $sock;
    return ($buf, undef);
}

my $head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
    . "Connection: Upgrade\r\n"
    . "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
my $first = "\x88\x07\x0f\xa1first";     # Close 4001 "first"

my @ws_cases = (
    { label => 'fastexc_raise_websocket twice on an upgrade',
      req => [['X-Twice', 'ws']],
      # the second call answered the handshake again: a second 101 head
      # and a Close 4002 followed the first Close
      log => qr/FX0028: WebSocket closed with 4001, reason "first".*FX0037: WebSocket upgrade already answered: close 4002 not sent/s,
      unlike => qr/FX0028: WebSocket closed with 4002/ },
    { label => 'fastexc_raise_websocket, then an HTTP raise returned',
      req => [['X-Twice', 'ws-http']],
      # {"detail":"after"} was written after the Close frame
      log => qr/FX0028: WebSocket closed with 4001, reason "first".*FX0035: error 409 after the WebSocket upgrade was answered: not sent/s,
      unlike => qr/FX0027: exception 409/ },
    { label => 'the same with FastExcFormat problem (the child crashed '
               . 'rendering nothing)',
      path => '/api/twice-problem', req => [['X-Twice', 'ws-http']],
      log => qr/FX0028: WebSocket closed with 4001, reason "first".*FX0035: error 409 after the WebSocket upgrade was answered: not sent/s,
      unlike => qr/FX0027: exception 409|exit signal/ },
);
for my $c (@ws_cases) {
    my $label = $c->{label};
    my $mark = -s $log;
    my ($bytes, $eof) = upgrade($c->{path} || '/api/twice', @{ $c->{req} });
    my $added = fx_log_since($mark);
    is(unpack('H*', substr($bytes, 0, length($head) + length $first)),
       unpack('H*', $head . $first), "$label: 101, then the first Close");
    ok(defined $eof, "$label: the connection closes");
    like($added, $c->{log}, "$label: the first Close logged");
    is(unpack('H*', substr($bytes, length($head) + length $first)), '',
       "$label: nothing after the first Close");
    unlike($added, $c->{unlike}, "$label: nothing else logged as sent");
}

# ---- the server lived through all of it --------------------------------------

unlike(fx_log_since($start_mark), qr/exit signal|AH00052/, 'no child crashed');
my $res = fx_request(path => '/static/file.txt');
is("$res->{status} $res->{body}", "200 $file", 'the server still serves');

done_testing();
