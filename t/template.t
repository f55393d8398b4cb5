# FastExcFormat template: the operator's JSON envelope with typed
# placeholders (the status a number, the detail its own JSON value, ap_expr
# values JSON strings escaped per request, absent values null or left out),
# from FastExcRaise, FastExc On, the C API and the notes API alike; request
# correlation from mod_unique_id's UNIQUE_ID and a W3C traceparent; and
# FastExcProblemInstance.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use JSON::PP;
use FastExcTest;

my $TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
my $TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

# The issue's envelope; the request ID is the one mod_unique_id gave the
# request, which the scope also sends as X-Request-Id.
sub envelope {
    my ($res, $code, $message, $title, $trace) = @_;
    my $id = $res->{headers}{'x-request-id'} ? $res->{headers}{'x-request-id'}[0]
                                              : '';
    return qq({"error":{"code":$code,"message":$message,"title":)
        . (defined $title ? qq("$title") : 'null')
        . qq(,"request_id":"$id","trace":)
        . (defined $trace ? qq("$trace") : 'null') . '}}';
}

my @cases = (
    # label, path, request headers, method, want (body: a sub of the response)
    ['FastExcRaise: status a number, detail a string, request ID, no trace',
     '/tmpl/raise', [], undef,
     { status => 404, headers => { 'Content-Type' => 'application/json' },
       body => sub { envelope($_[0], 404, '"Item not found"', 'Not Found') } }],
    ['a traceparent gives the trace-id', '/tmpl/raise',
     [['traceparent', $TP]], undef,
     { status => 404,
       body => sub { envelope($_[0], 404, '"Item not found"', 'Not Found', $TRACE) } }],
    ['an invalid traceparent (version ff) gives null', '/tmpl/raise',
     [['traceparent', 'ff' . substr($TP, 2)]], undef,
     { status => 404,
       body => sub { envelope($_[0], 404, '"Item not found"', 'Not Found') } }],
    ['an object detail keeps its type', '/tmpl/object', [], undef,
     { status => 422,
       body => sub { envelope($_[0], 422,
           '{"loc":["body","n"],"msg":"not a number","n":0.5}',
           'Unprocessable Entity') } }],
    ['FastExc On: httpd\'s own 404', '/tmpl/missing', [], undef,
     { status => 404, body => sub { envelope($_[0], 404, '"Not Found"', 'Not Found') } }],
    ['a status without a phrase: title null', '/tmpl/nophrase', [], undef,
     { status => 499, body => sub { envelope($_[0], 499, '"client closed"', undef) } }],
    ['the C API, JSON detail', '/api/tmpl/x',
     [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 409],
      ['X-Raise-Json', '{"field":"name","n":[1,2]}']], undef,
     { status => 409, body => '{"err":{"field":"name","n":[1,2]},"status":409}' }],
    ['the notes API (mod_lua)', '/tmpl/lua/raise.lua?status=410&text=gone%20from%20Lua',
     [], undef,
     { status => 410, headers => { 'X-From-Lua' => 'yes' },
       body => sub { envelope($_[0], 410, '"gone from Lua"', 'Gone') } }],
    ['request values: header, query, path', '/tmpl/header?a%3D1',
     [['X-Request-Id', 'req-42']], undef,
     { status => 400,
       body => '{"id":"req-42","q":"a=1","at":"/tmpl/header","status":400}' }],
    ['hostile values: quotes, backslash, newline, control bytes, tags',
     '/tmpl/header?%22%5C%0A%0D%01%3C/script%3E', [['X-Request-Id', 'a"b\\c']],
     undef,
     { status => 400, body => '{"id":"a\"b\\\\c","q":"\"\\\\\n\r\u0001</script>",'
         . '"at":"/tmpl/header","status":400}' }],
    ['hostile values: invalid UTF-8 repaired to U+FFFD', '/tmpl/header?%FFx%C0',
     [], undef,
     { status => 400, body => qq({"id":null,"q":"\xef\xbf\xbdx\xef\xbf\xbd",)
         . '"at":"/tmpl/header","status":400}' }],
    ['absent values null', '/tmpl/header', [], undef,
     { status => 400, body => '{"id":null,"q":null,"at":"/tmpl/header","status":400}' }],
    ['absent=omit leaves members out; type= sets Content-Type', '/tmpl/omit',
     [], undef,
     { status => 409, body => '{"status":409}',
       headers => { 'Content-Type' => 'application/vnd.example.error+json' } }],
    ['absent=omit: present ones stay', '/tmpl/omit',
     [['X-Request-Id', '0f8e'], ['traceparent', $TP]], undef,
     { status => 409,
       body => '{"id":"0f8e","parent":"00f067aa0ba902b7","status":409,"instance":"urn:uuid:0f8e"}' }],
    ['a given Content-Type still wins', '/tmpl/given-type', [], undef,
     { status => 400, headers => { 'Content-Type' => 'application/json' },
       body => sub { envelope($_[0], 400, '"x"', 'Bad Request') } }],
    ['204: no body, no Content-Type', '/tmpl/204', [], undef,
     { status => 204, body => '', headers => { 'Content-Type' => undef } }],
    ['a scope back to fastapi', '/tmpl/back', [], undef,
     { status => 404, body => '{"detail":"Not Found"}',
       headers => { 'Content-Type' => 'application/json' } }],
    ['HEAD: the headers alone', '/tmpl/raise', [], 'HEAD',
     { status => 404, body => '', headers => { 'Content-Type' => 'application/json' } }],
    ['negotiating: no Accept gets the template, its type', '/tmpl-neg', [], undef,
     { status => 404, headers => { 'Content-Type' => 'application/vnd.example.error+json',
                                   'Vary' => 'Accept' },
       body => '{"error":{"code":404,"message":"Item <b>not</b> found"}}' }],
    ['negotiating: the template\'s own type asked for', '/tmpl-neg',
     [['Accept', 'text/html;q=0.5, application/vnd.example.error+json']], undef,
     { status => 404, headers => { 'Content-Type' => 'application/vnd.example.error+json' },
       body => '{"error":{"code":404,"message":"Item <b>not</b> found"}}' }],
    ['negotiating: application/json, not offered, still gets the template', '/tmpl-neg',
     [['Accept', 'application/json']], undef,
     { status => 404, headers => { 'Content-Type' => 'application/vnd.example.error+json' },
       body => '{"error":{"code":404,"message":"Item <b>not</b> found"}}' }],
    ['negotiating: Problem Details asked for', '/tmpl-neg',
     [['Accept', 'application/problem+json']], undef,
     { status => 404, headers => { 'Content-Type' => 'application/problem+json' },
       body => '{"type":"about:blank","title":"Not Found","status":404,'
         . '"detail":"Item <b>not</b> found","instance":"/tmpl-neg"}' }],
    ['negotiating: a browser gets the page, the detail escaped', '/tmpl-neg',
     [['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8']], undef,
     { status => 404, headers => { 'Content-Type' => 'text/html; charset=utf-8', 'Vary' => 'Accept' },
       body_like => qr{Item &lt;b&gt;not&lt;/b&gt; found} }],
    ['FastExcProblemInstance from a header', '/tmpl-problem',
     [['X-Request-Id', '6f0c2a4e-2d1b-4b7e-9a51-3c2f1e0d9b8a']], undef,
     { status => 404, headers => { 'Content-Type' => 'application/problem+json' },
       body => '{"type":"about:blank","title":"Not Found","status":404,'
         . '"detail":"Item not found","instance":"urn:uuid:6f0c2a4e-2d1b-4b7e-9a51-3c2f1e0d9b8a"}' }],
    ['FastExcProblemInstance without its value: left out', '/tmpl-problem', [],
     undef,
     { status => 404, body => '{"type":"about:blank","title":"Not Found",'
         . '"status":404,"detail":"Item not found"}' }],
    ['FastExcProblemInstance in a nested scope', '/tmpl-problem/path?a=1', [],
     undef,
     { status => 404, body => '{"type":"about:blank","title":"Not Found",'
         . '"status":404,"detail":"Item not found","instance":"/tmpl-problem/path?a=1"}' }],
);

for my $c (@cases) {
    my ($label, $path, $hdrs, $method, $want) = @$c;
    my $res = fx_request(path => $path, headers => $hdrs, method => $method);
    my %w = %$want;
    $w{body} = $w{body}->($res) if ref $w{body} eq 'CODE';
    fx_check($label, $res, \%w);
    if (length($w{body} // '')) {
        ok(fx_json_ok($res->{body}), "$label: valid JSON");
        is($res->{headers}{'content-length'}[0], length $res->{body},
           "$label: Content-Length");
    }
    elsif (($method // '') eq 'HEAD') {
        ok($res->{headers}{'content-length'}[0] > 0,
           "$label: Content-Length of the body a GET gets");
    }
}

# mod_unique_id's ID is the request's own: two requests, two IDs, each in
# its body
{
    my @ids = map {
        my $res = fx_request(path => '/tmpl/raise');
        my $v = JSON::PP->new->decode($res->{body});
        is($v->{error}{request_id}, $res->{headers}{'x-request-id'}[0],
           "request ID $_: the body's is the request's");
        like($v->{error}{request_id}, qr/^[\w@-]{20,}$/, "request ID $_: UNIQUE_ID's form");
        $v->{error}{request_id};
    } 1 .. 2;
    isnt($ids[0], $ids[1], 'request IDs: one per request');
}

# an ap_expr that fails at run time (a file that cannot be read): absent in
# the template (FX0043), empty in the detail (FX0001), never broken JSON
{
    my $mark = -s Apache::Test::vars('t_logs') . '/error_log';
    my $res = fx_request(path => '/tmpl/failing');
    fx_check('an ap_expr that fails at run time', $res,
             { status => 400, body => '{"file":null,"status":400}' });
    my $log = fx_log_since($mark);
    like($log, qr/FX0043: FastExcFormat template: cannot evaluate a placeholder/,
         'FX0043 logged for the template\'s placeholder');
    like($log, qr/FX0001: cannot evaluate %\{file:\/nonexistent\/fastexc-detail\}/,
         'FX0001 logged for the detail\'s');
}

# a huge value stays one valid JSON string
{
    my $big = 'x"' x 3000;
    my $res = fx_request(path => '/tmpl/header', headers => [['X-Request-Id', $big]]);
    is($res->{status}, 400, 'huge header value: status');
    my $v = eval { JSON::PP->new->decode($res->{body}) };
    is($v && $v->{id}, $big, 'huge header value: the whole value, escaped');
}

# keep-alive: the request after a templated error on the same connection
{
    my $sock = fx_connect();
    fx_send($sock, path => '/tmpl/raise', close => 0);
    my $r1 = fx_read_response($sock);
    fx_send($sock, path => '/tmpl/object');
    my $r2 = fx_read_response($sock);
    close $sock;
    is($r1->{status}, 404, 'keep-alive: first');
    is($r2->{status}, 422, 'keep-alive: the next on the same connection');
    ok(fx_json_ok($r2->{body}), 'keep-alive: its body is JSON');
}

done_testing();
