# FastExcBackendErrors: a proxied backend's error bodies rewritten to the
# scope's exception (NonJSON: those that are not JSON; All: every one), the
# backend's status and headers kept but those that described its body; and
# gRPC requests, which the module never turns into JSON. The backend is
# t/backend/errors.py (python3's http.server) on loopback, answering each
# path with exact bytes: fixed-length, chunked over several writes, gzip,
# with and without a Content-Type. Configuration: t/conf/extra.conf.in,
# block "t/backend.t".
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $python = $ENV{FASTEXC_PYTHON} || '/usr/bin/python3';
my $port = fx_conf_define('FASTEXC_BE_PORT');
eval {
    fx_start_python($python, $port,
                    Apache::Test::vars('t_dir') . '/backend/errors.py', $port);
    1;
} or BAIL_OUT($@);

my $html = "<!DOCTYPE html><html><body><h1>Backend error</h1></body></html>\n";
my $log_mark = -s Apache::Test::vars('t_logs') . '/error_log';

sub hdr {
    my ($res, $name) = @_;
    my $v = $res->{headers}{lc $name};
    return $v && join ', ', @$v;
}

# One request; %o as fx_request. Checks status, reason, body bytes and
# headers (undef: absent).
sub check {
    my ($label, $want, %o) = @_;
    my $res = fx_request(%o);
    fx_check($label, $res, $want);
    return $res;
}

my $json401 = '{"detail":"Unauthorized"}';

# ---- the backend's answer, untouched (FastExcBackendErrors not set) --------
# what the rewritten responses below drop is there without the directive

my $off = check('Off: HTML error as the backend sent it',
    { status => 401, body => $html,
      headers => { 'Content-Type' => 'text/html; charset=utf-8',
                   'Content-Length' => length $html,
                   'ETag' => '"html-v1"',
                   'Last-Modified' => 'Mon, 01 Jan 2024 00:00:00 GMT',
                   'Content-Language' => 'en',
                   'Content-Location' => '/errors/401.html',
                   'WWW-Authenticate' => 'Basic realm="backend"' } },
    path => '/be/off/html');
check('Off: chunked HTML error as sent',
    { status => 404, body => '<html><body><p>not here</p></body></html>',
      headers => { 'Transfer-Encoding' => 'chunked',
                   'Content-Type' => 'text/html' } },
    path => '/be/off/chunked');
check('Off: gzip HTML error as sent',
    { status => 503, body_like => qr/^\x1f\x8b/,
      headers => { 'Content-Encoding' => 'gzip',
                   'Content-Type' => 'text/html' } },
    path => '/be/off/gzip');

# ---- NonJSON: HTML, text, empty bodies rewritten ---------------------------

check('NonJSON: HTML 401 rewritten, status and headers kept',
    { status => 401, reason => 'Unauthorized', body => $json401,
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => length $json401,
                   'WWW-Authenticate' => 'Basic realm="backend"',
                   'Retry-After' => '30',
                   'Set-Cookie' => 'sid=abc; Path=/',
                   'X-Backend' => 'yes',
                   'Cache-Control' => 'no-store',
                   # the body's description goes with the body
                   'ETag' => undef, 'Last-Modified' => undef,
                   'Content-Language' => undef,
                   'Content-Location' => undef } },
    path => '/be/nonjson/html');
check('NonJSON: empty body, no Content-Type (Content-Length: 0) rewritten',
    { status => 403, body => '{"detail":"Forbidden"}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => 22 } },
    path => '/be/nonjson/empty');
check('NonJSON: chunked HTML error rewritten, sent with a length',
    { status => 404, body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => 22, 'Transfer-Encoding' => undef } },
    path => '/be/nonjson/chunked');
check('NonJSON: gzip HTML error rewritten (decided by Content-Type)',
    { status => 503, body => '{"detail":"Service Unavailable"}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Encoding' => undef, 'Retry-After' => '120',
                   'Vary' => 'Accept-Encoding' } },
    path => '/be/nonjson/gzip');
check('NonJSON: 416 rewritten, its Content-Range (the length) kept',
    { status => 416, reason => 'Requested Range Not Satisfiable',
      body => '{"detail":"Requested Range Not Satisfiable"}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Range' => 'bytes */1000' } },
    path => '/be/nonjson/range');

# ---- NonJSON: JSON kept byte for byte -----------------------------------------

check('NonJSON: JSON error kept byte for byte',
    { status => 404, body => '{"detail":"Item not found","id":42}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => 35 } },
    path => '/be/nonjson/json');
check('NonJSON: +json type, any case, with parameters: kept',
    { status => 422, body => '{"title":"bad"}',
      headers => { 'Content-Type' => 'Application/Problem+JSON; charset=utf-8' } },
    path => '/be/nonjson/problem-json');
my $zipped_json = fx_request(path => '/be/off/gzip-json')->{body};
ok(length $zipped_json > 10 && $zipped_json =~ /^\x1f\x8b/,
   'Off: the gzip JSON body is gzip');
check('NonJSON: gzip JSON error kept (Content-Type says JSON)',
    { status => 400, body => $zipped_json,
      headers => { 'Content-Type' => 'application/json',
                   'Content-Encoding' => 'gzip' } },
    path => '/be/nonjson/gzip-json');
check('NonJSON: gzip body with no Content-Type is not sniffed: rewritten',
    { status => 404, body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Encoding' => undef } },
    path => '/be/nonjson/gzip-noct');
check('Off: that gzip body with no Content-Type as sent',
    { status => 404, headers => { 'Content-Encoding' => 'gzip' } },
    path => '/be/off/gzip-noct');

# ---- no Content-Type: the first bytes decide ------------------------------------

check('sniff: whitespace then { is JSON: kept byte for byte',
    { status => 409, body => qq( \r\n\t{"detail":"sniffed"}),
      headers => { 'Content-Type' => undef,
                   'Content-Length' => 24 } },
    path => '/be/nonjson/sniff-json');
check('sniff: [ is JSON: kept',
    { status => 400, body => '[1,2]' }, path => '/be/nonjson/sniff-array');
check('sniff: text is not JSON: rewritten',
    { status => 409, body => '{"detail":"Conflict"}',
      headers => { 'Content-Type' => 'application/json' } },
    path => '/be/nonjson/sniff-text');
check('sniff: whitespace over several reads, then {: kept',
    { status => 409, body => qq(   \n  {"detail":"late"}) },
    path => '/be/nonjson/sniff-split');
check('sniff: 600 bytes of whitespace first (over 512): rewritten',
    { status => 409, body => '{"detail":"Conflict"}',
      headers => { 'Content-Type' => 'application/json' } },
    path => '/be/nonjson/sniff-spaces');

check('sniff: the backend breaks before the body is judged: httpd\'s 502',
    { status => 502, body_like => qr{<title>502 Bad Gateway</title>},
      headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } },
    path => '/be/nonjson/broken');

check('the backend breaks off while its HTML is dropped: the exception whole',
    { status => 404, body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => 22 } },
    path => '/be/nonjson/broken-html');

# ---- All ------------------------------------------------------------------------------

check('All: JSON error rewritten too',
    { status => 404, body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => 22 } },
    path => '/be/all/json');
check('All: sniffable JSON rewritten too',
    { status => 409, body => '{"detail":"Conflict"}' },
    path => '/be/all/sniff-json');

# ---- never touched: 2xx, 204, 304 ----------------------------------------------------

check('NonJSON: 200 HTML untouched',
    { status => 200, body => $html,
      headers => { 'Content-Type' => 'text/html',
                   'Content-Length' => length $html } },
    path => '/be/nonjson/ok');
check('All: 201 untouched',
    { status => 201, body => 'made',
      headers => { 'Content-Type' => 'text/plain' } },
    path => '/be/all/created');
check('All: 204 untouched',
    { status => 204, body => '',
      headers => { 'X-Backend' => 'yes', 'Content-Type' => undef } },
    path => '/be/all/no-content');
check('All: 304 untouched',
    { status => 304, body => '',
      headers => { 'ETag' => '"v1"', 'Content-Type' => undef } },
    path => '/be/all/not-modified');

# ---- HEAD: the headers a GET would get --------------------------------------------

check('HEAD: rewritten from the headers, Content-Length of the new body',
    { status => 401, body => '',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => length $json401,
                   'WWW-Authenticate' => 'Basic realm="backend"',
                   'ETag' => undef } },
    method => 'HEAD', path => '/be/nonjson/html');
check('HEAD: JSON kept, the backend\'s length',
    { status => 404, body => '',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => 35 } },
    method => 'HEAD', path => '/be/nonjson/json');
check('HEAD: no Content-Type (nothing to sniff): rewritten',
    { status => 409, body => '',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => 21 } },
    method => 'HEAD', path => '/be/nonjson/sniff-json');

# ---- the scope's FastExcDetail and FastExcFormat ------------------------------------

check('FastExcDetail of the scope: its detail and headers',
    { status => 401, body => '{"detail":"Not authenticated"}',
      headers => { 'WWW-Authenticate' => 'Bearer', 'Retry-After' => '30' } },
    path => '/be/detail/html');
check('FastExcFormat problem: Problem Details',
    { status => 401,
      body => '{"type":"about:blank","title":"Unauthorized","status":401,'
              . '"detail":"Unauthorized","instance":"/be/problem/html"}',
      headers => { 'Content-Type' => 'application/problem+json',
                   'WWW-Authenticate' => 'Basic realm="backend"' } },
    path => '/be/problem/html');
check('FastExcFormat problem: JSON from the backend kept',
    { status => 404, body => '{"detail":"Item not found","id":42}',
      headers => { 'Content-Type' => 'application/json' } },
    path => '/be/problem/json');

# ---- errors httpd makes stay on the error path (FastExc On) --------------------------

check('ProxyErrorOverride: httpd\'s error, not rewritten here (FastExc Off)',
    { status => 401,
      body_like => qr{<title>401 Unauthorized</title>},
      headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } },
    path => '/be/override/html');
check('backend down: mod_proxy\'s 503, rendered by FastExc On',
    { status => 503, body => '{"detail":"Service Unavailable"}',
      headers => { 'Content-Type' => 'application/json' } },
    path => '/be/down/x');

# ---- gRPC: never JSON ------------------------------------------------------------------

my @grpc_types = ('application/grpc', 'application/grpc+proto',
                  'Application/GRPC; charset=utf-8');
for my $ct (@grpc_types) {
    check("gRPC ($ct): the backend's error passes as it is",
        { status => 503, body => $html,
          headers => { 'Content-Type' => 'text/html' } },
        method => 'POST', path => '/be/nonjson/grpc', body => "\0\0\0\0\0",
        headers => [['Content-Type', $ct]]);
}
check('not gRPC (application/grpcx): rewritten',
    { status => 503, body => '{"detail":"Service Unavailable"}' },
    method => 'POST', path => '/be/nonjson/grpc', body => "\0\0\0\0\0",
    headers => [['Content-Type', 'application/grpcx']]);
check('gRPC, FastExcBackendErrors All: passes as it is',
    { status => 503, body => $html },
    method => 'POST', path => '/be/all/grpc', body => "\0\0\0\0\0",
    headers => [['Content-Type', 'application/grpc']]);
check('gRPC, FastExcRaise: the status, httpd\'s own body',
    { status => 503,
      body_like => qr{<title>503 Service Unavailable</title>},
      headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } },
    method => 'POST', path => '/be/raise', body => "\0\0\0\0\0",
    headers => [['Content-Type', 'application/grpc']]);
check('not gRPC, FastExcRaise: the exception',
    { status => 503, body => '{"detail":"raised"}',
      headers => { 'Content-Type' => 'application/json',
                   'Retry-After' => '5' } },
    method => 'POST', path => '/be/raise', body => "\0\0\0\0\0",
    headers => [['Content-Type', 'application/json']]);
check('gRPC, FastExcRaise with an ErrorDocument literal: the literal',
    { status => 403, body => 'No access',
      headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } },
    method => 'POST', path => '/be/raise-ed', body => "\0\0\0\0\0",
    headers => [['Content-Type', 'application/grpc']]);
check('not gRPC, FastExcRaise with an ErrorDocument literal: the exception',
    { status => 403, body => '{"detail":"raised"}',
      headers => { 'Content-Type' => 'application/json' } },
    path => '/be/raise-ed');
check('gRPC, FastExc On: httpd\'s own 404',
    { status => 404, body_like => qr{<title>404 Not Found</title>},
      headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } },
    method => 'POST', path => '/be/on/missing', body => "\0\0\0\0\0",
    headers => [['Content-Type', 'application/grpc']]);
check('a GET with a gRPC Content-Type is no gRPC call (gRPC always POSTs): JSON',
    { status => 404, body => '{"detail":"Not Found"}' },
    path => '/be/on/missing', headers => [['Content-Type', 'application/grpc']]);
check('not gRPC, FastExc On: JSON 404',
    { status => 404, body => '{"detail":"Not Found"}' },
    path => '/be/on/missing');

# ---- keep-alive after rewritten errors ---------------------------------------------

{
    my $sock = fx_connect();
    my @seq = (
        ['/be/nonjson/html', 401, $json401],
        ['/be/nonjson/chunked', 404, '{"detail":"Not Found"}'],
        ['/be/nonjson/sniff-split', 409, qq(   \n  {"detail":"late"})],
        ['/be/nonjson/empty', 403, '{"detail":"Forbidden"}'],
        ['/be/nonjson/ok', 200, $html],
    );
    my $i = 0;
    for my $s (@seq) {
        my $last = ++$i == @seq;
        fx_send($sock, path => $s->[0], close => $last ? 1 : 0);
        my $res = eval { fx_read_response($sock) };
        ok($res, "keep-alive #$i $s->[0]: answered on the same connection")
            or diag($@);
        next unless $res;
        is($res->{status}, $s->[1], "keep-alive #$i: status");
        is($res->{body}, $s->[2], "keep-alive #$i: body bytes");
        is($res->{leftover}, '', "keep-alive #$i: nothing after the body");
    }
    close $sock;
}

# ---- the log says why ----------------------------------------------------------------------

my $log = fx_log_since($log_mark);
like($log, qr/FX0051: backend error 401 rewritten: Content-Type text\/html; charset=utf-8 is not JSON/,
     'FX0051: a rewrite and why');
like($log, qr/FX0051: backend error 409 rewritten: no Content-Type, the body does not start with \{ or \[/,
     'FX0051: a sniffed rewrite');
like($log, qr/FX0052: backend error 404 kept: Content-Type application\/json/,
     'FX0052: kept and why');
like($log, qr/FX0052: backend error 409 kept: no Content-Type, the body starts with \{ or \[/,
     'FX0052: kept by the sniff');
like($log, qr/FX0053: gRPC request: FastExcBackendErrors steps aside/,
     'FX0053: gRPC, backend error passed');
like($log, qr/FX0050: gRPC request: error 404 left to httpd/,
     'FX0050: gRPC, the error path left to httpd');
like($log, qr/FX0054: backend error 409: the response broke before its body could be judged/,
     'FX0054: a backend that broke before the judgement');
like($log, qr/FX0027: exception 401, detail "Unauthorized"/,
     'FX0027: a rewrite is logged as an exception sent');
unlike($log, qr/FX0051: backend error 503 rewritten: FastExcBackendErrors All/,
       'backend down: mod_proxy\'s 503 is not the filter\'s');
unlike($log, qr/exit signal|AH00052/, 'no child crashed');


# ---- FastAPI/uvicorn as the backend, errors in the fleet's envelope -------------
# its JSON HTTPException kept byte for byte; its HTML, text, empty and
# chunked errors rewritten into the scope's template, status and headers kept

{
    my $uv_port = fx_conf_define('FASTEXC_BE_UV_PORT');
    fx_start_uvicorn($python, $uv_port);
    check('FastAPI: its JSON HTTPException kept byte for byte',
        { status => 409, body => '{"detail":"Name taken"}',
          headers => { 'Content-Type' => 'application/json',
                       'X-Backend' => 'fastapi' } },
        path => '/be/fastapi/json');
    check('FastAPI: HTMLResponse 503 in the envelope, Retry-After kept',
        { status => 503,
          body => '{"error":{"code":503,"message":"Service Unavailable","request_id":"r-1"}}',
          headers => { 'Content-Type' => 'application/json',
                       'Retry-After' => '30' } },
        path => '/be/fastapi/html', headers => [['X-Request-Id', 'r-1']]);
    check('FastAPI: PlainTextResponse 401, WWW-Authenticate kept, no ID: left out',
        { status => 401, body => '{"error":{"code":401,"message":"Unauthorized"}}',
          headers => { 'WWW-Authenticate' => 'Bearer',
                       'Content-Type' => 'application/json' } },
        path => '/be/fastapi/text');
    check('FastAPI: an empty 500',
        { status => 500,
          body => '{"error":{"code":500,"message":"Internal Server Error"}}',
          headers => { 'Content-Type' => 'application/json' } },
        path => '/be/fastapi/empty');
    check('FastAPI: a chunked (StreamingResponse) HTML 502',
        { status => 502, body => '{"error":{"code":502,"message":"Bad Gateway"}}',
          headers => { 'Content-Type' => 'application/json',
                       'Transfer-Encoding' => undef } },
        path => '/be/fastapi/chunked');
    check('FastAPI: HEAD of the HTML 503: the envelope\'s length, no body',
        { status => 503, body => '',
          headers => { 'Content-Type' => 'application/json',
                       'Content-Length' => length '{"error":{"code":503,"message":"Service Unavailable"}}' } },
        path => '/be/fastapi/html', method => 'HEAD');
}

# ---- over HTTP/2 (h2c, prior knowledge, with curl) -------------------------
# the filter sits in the request's chain, which mod_http2 serves as well

SKIP: {
    my $curl = `sh -c 'command -v curl'`;
    chomp $curl;
    skip 'curl is not installed', 9 unless $curl;
    my $hp = fx_hostport();
    my $out = `$curl -s --http2-prior-knowledge -D - http://$hp/be/nonjson/html`;
    like($out, qr{^HTTP/2 401}m, 'h2c: HTML 401 rewritten, status kept');
    like($out, qr{^content-type: application/json\r?$}mi, 'h2c: JSON type');
    like($out, qr{^www-authenticate: Basic realm="backend"\r?$}mi,
         'h2c: WWW-Authenticate kept');
    unlike($out, qr{^etag:}mi, 'h2c: the HTML\'s ETag dropped');
    like($out, qr{\r\n\r\n\Q$json401\E\z}, 'h2c: the exception\'s body');
    $out = `$curl -s --http2-prior-knowledge -D - http://$hp/be/nonjson/chunked`;
    like($out, qr{^HTTP/2 404}m, 'h2c: chunked HTML 404 rewritten');
    like($out, qr{\r\n\r\n\{"detail":"Not Found"\}\z}, 'h2c: its body whole');
    $out = `$curl -s --http2-prior-knowledge -D - http://$hp/be/nonjson/json`;
    like($out, qr{^HTTP/2 404}m, 'h2c: JSON 404 kept');
    like($out, qr{\r\n\r\n\{"detail":"Item not found","id":42\}\z},
         'h2c: its bytes as the backend sent them');
}

done_testing();
