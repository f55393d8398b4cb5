# FastExcFormat problem: every exception of the scope as RFC 9457 Problem
# Details (application/problem+json), from FastExcRaise, FastExc On, the C
# API, the notes API and WebSocket HTTP rejections alike.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $PJ = 'application/problem+json';
my @cases = (
    ['text detail', '/problem/raise', [],
     { status => 404, body => '{"type":"about:blank","title":"Not Found",'
         . '"status":404,"detail":"Item not found","instance":"/problem/raise"}',
       headers => { 'Content-Type' => $PJ } }],
    ['type URI and extension members', '/problem/typed', [],
     { status => 403, body => '{"type":"https://example.com/probs/out-of-credit",'
         . '"title":"You do not have enough credit.","status":403,'
         . '"detail":"Your current balance is 30, but that costs 50.",'
         . '"instance":"/problem/typed","balance":30,'
         . '"accounts":["/account/12345","/account/67890"]}' }],
    ['given headers kept', '/problem/headers', [],
     { status => 401, headers => { 'WWW-Authenticate' => 'Bearer',
                                   'Content-Type' => $PJ }, json => 1 }],
    ['a given Content-Type still wins', '/problem/ctype', [],
     { status => 400, headers => { 'Content-Type' => 'application/json' },
       body => '{"type":"about:blank","title":"Bad Request","status":400,'
         . '"detail":"x","instance":"/problem/ctype"}' }],
    ['204: no body', '/problem/204', [],
     { status => 204, body => '', headers => { 'Content-Type' => undef } }],
    ['httpd\'s own 404 (FastExc On)', '/problem/missing', [],
     { status => 404, body => '{"type":"about:blank","title":"Not Found",'
         . '"status":404,"detail":"Not Found","instance":"/problem/missing"}' }],
    ['instance is JSON-escaped', '/problem/%22quoted%22', [],
     { status => 404, body => '{"type":"about:blank","title":"Not Found",'
         . '"status":404,"detail":"Not Found","instance":"/problem/\"quoted\""}' }],
    ['a scope back to fastapi', '/problem/back', [],
     { status => 404, body => '{"detail":"Not Found"}',
       headers => { 'Content-Type' => 'application/json' } }],
    ['C API, JSON detail', '/api/problem/x',
     [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 422],
      ['X-Raise-Json', '{"loc":["q"],"msg":"field required"}']],
     { status => 422, body => '{"type":"about:blank","title":"Unprocessable Entity",'
         . '"status":422,"instance":"/api/problem/x","loc":["q"],'
         . '"msg":"field required"}' }],
    ['notes API', '/problem/lua/raise.lua?status=409&text=from%20Lua', [],
     { status => 409, body => '{"type":"about:blank","title":"Conflict",'
         . '"status":409,"detail":"from Lua","instance":"/problem/lua/raise.lua"}',
       headers => { 'X-From-Lua' => 'yes' } }],
    ['HEAD', '/problem/raise', [], { status => 404, body => '', method => 'HEAD',
       headers => { 'Content-Type' => $PJ } }],
);

for my $c (@cases) {
    my ($label, $path, $hdrs, $want) = @$c;
    my $res = fx_request(path => $path, headers => $hdrs,
                         method => $want->{method});
    fx_check($label, $res, $want);
    if ($want->{body}) {
        is($res->{headers}{'content-length'}[0], length $res->{body},
           "$label: Content-Length");
    }
}

# WebSocket rejected over HTTP in a problem scope
{
    my ($sock, $res) = fx_ws_open(path => '/problem/ws');
    close $sock;
    fx_check('WebSocket HTTP rejection', $res, {
        status => 403, body => '{"type":"about:blank","title":"Forbidden",'
            . '"status":403,"detail":"Policy violated","instance":"/problem/ws"}',
        headers => { 'Content-Type' => $PJ } });
}

done_testing();
