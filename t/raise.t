# FastExcRaise: details, headers, conditions, statuses, HEAD, proxied
# locations, SetHandler fastexc, h2c, keep-alive.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $JSON = 'application/json';

my @cases = (
    { label => 'text detail', path => '/raise/text',
      status => 404, reason => 'Not Found',
      body => '{"detail":"Item not found"}',
      headers => { 'Content-Type' => $JSON, 'Content-Length' => 27 } },
    { label => 'default detail is the phrase', path => '/raise/default',
      status => 404, body => '{"detail":"Not Found"}' },
    { label => '418 with headers', path => '/raise/teapot',
      status => 418, reason => "I'm a Teapot",
      body => q({"detail":"I'm a Teapot"}),
      headers => { 'X-Tea' => 'green', 'Cache-Control' => 'no-store',
                   'Content-Type' => $JSON } },
    { label => 'JSON object detail', path => '/raise/json',
      status => 422, reason => 'Unprocessable Entity',
      body => '{"detail":{"loc":["body","name"],"msg":"field required",'
            . '"n":0.1,"big":1e+16,"ok":true,"none":null,"ü":"€"}}' },
    { label => 'JSON array detail', path => '/raise/json-array',
      status => 400, body => '{"detail":[1,"two",3.5,[]]}' },
    { label => 'JSON number detail', path => '/raise/json-number',
      status => 400, body => '{"detail":42}' },
    { label => 'JSON null detail', path => '/raise/json-null',
      status => 400, body => '{"detail":null}' },
    { label => 'JSON string with escapes', path => '/raise/json-string',
      status => 400,
      body => '{"detail":"quote \" backslash \\\\ ctl \u0001 tab \t"}' },
    { label => 'text: prefix is not interpolated', path => '/raise/text-prefix',
      status => 400, body => '{"detail":"%{REQUEST_URI} stays"}' },
    { label => 'template escapes request values', path => '/raise/template',
      req_headers => [['X-Id', 'a"b\\c},"x":{']],
      status => 400, json => 1,
      body => '{"detail":"bad id a\"b\\\\c},\"x\":{ at /raise/template"}',
      headers => { 'X-Echo' => 'id=a"b\\c},"x":{' } },
    { label => 'template: CR/LF from the request never reach a header',
      path => '/raise/inject?a%0D%0ASet-Cookie:%20evil=1%0Ab',
      status => 400, json => 1,
      body => '{"detail":"got a\r\nSet-Cookie: evil=1\nb"}',
      headers => { 'Set-Cookie' => undef,
                   'X-Echo' => 'a  Set-Cookie: evil=1 b' } },
    { label => 'template: invalid UTF-8 from the request',
      path => '/raise/inject?%FF%FEok', status => 400, json => 1,
      body => "{\"detail\":\"got \x{ef}\x{bf}\x{bd}\x{ef}\x{bf}\x{bd}ok\"}" },
    { label => 'given Content-Type wins', path => '/raise/ctype',
      status => 400, body => '{"detail":"plain"}',
      headers => { 'Content-Type' => 'text/plain; charset=utf-8' } },
    { label => 'raw UTF-8 detail', path => '/raise/unicode', status => 404,
      body => '{"detail":"Ünïcödé ✓ 😀"}' },
    { label => 'condition: no Authorization', path => '/raise/cond',
      status => 401, body => '{"detail":"Not authenticated"}',
      headers => { 'WWW-Authenticate' => 'Bearer' } },
    { label => 'condition: second rule', path => '/raise/cond',
      req_headers => [['Authorization', 'Bearer bad']],
      status => 403, body => '{"detail":"Not enough privileges"}',
      headers => { 'WWW-Authenticate' => undef } },
    { label => 'condition: no rule holds, request served',
      path => '/raise/cond', req_headers => [['Authorization', 'Bearer good']],
      status => 200, body => "static file, 22 bytes\n",
      headers => { 'Content-Type' => 'text/plain' } },
    { label => '204 has no body', path => '/raise/204', status => 204,
      reason => 'No Content', body => '',
      headers => { 'X-Kept' => 'yes', 'Content-Type' => undef,
                   'Content-Length' => undef } },
    { label => '205 has no body', path => '/raise/205', status => 205,
      reason => 'Reset Content', body => '',
      headers => { 'Content-Type' => undef } },
    { label => '304 has no body', path => '/raise/304', status => 304,
      body => '', headers => { 'Content-Type' => undef } },
    { label => '301 with Location', path => '/raise/301', status => 301,
      reason => 'Moved Permanently', body => '{"detail":"moved"}',
      headers => { 'Location' => '/static/file.txt' } },
    { label => 'status without a phrase', path => '/raise/299', status => 299,
      reason => '', body => '{"detail":"custom"}' },
    { label => '425, which httpd has no line for', path => '/raise/425',
      status => 425, reason => 'Too Early', body => '{"detail":"Too Early"}' },
    { label => '500', path => '/raise/500', status => 500,
      body => '{"detail":"Internal Server Error"}' },
    { label => '503 with Retry-After', path => '/raise/503', status => 503,
      body => '{"detail":"maintenance"}',
      headers => { 'Retry-After' => 120 } },
    { label => 'Header always applies', path => '/raise/always',
      status => 404, body => '{"detail":"with Header always"}',
      headers => { 'X-Always' => 'yes' } },
    { label => 'HEAD: headers, no body', method => 'HEAD', path => '/raise/text',
      status => 404, body => '',
      headers => { 'Content-Type' => $JSON, 'Content-Length' => 27 } },
    { label => 'POST is raised too', method => 'POST', path => '/raise/text',
      body_in => 'x=1', status => 404, body => '{"detail":"Item not found"}' },
    { label => 'proxied location: raised before the proxy',
      path => '/proxied/file.txt?deny', status => 403,
      body => '{"detail":"no proxy for you"}' },
    { label => 'proxied location: not raised, proxied',
      path => '/proxied/file.txt', status => 200,
      body => "static file, 22 bytes\n" },
    { label => 'SetHandler fastexc: 404', path => '/h/anything',
      status => 404, body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => $JSON } },
    { label => 'SetHandler fastexc with FastExcRaise', path => '/h/gone',
      status => 410, body => '{"detail":"gone for good"}' },
    { label => 'SetHandler fastexc with FastExcDetail 404',
      path => '/h/custom', status => 404, body => '{"detail":"no route here"}' },
    { label => 'not in scope: plain static file', path => '/static/file.txt',
      status => 200, body => "static file, 22 bytes\n" },
    # FastExcRaiseEarly (the directory's <Directory> denies all)
    { label => 'without FastExcRaiseEarly: <Directory> Require applies first',
      path => '/early-off/file.txt', status => 403 },
    { label => 'FastExcRaiseEarly On: decided before the filesystem, '
               . '<Directory> does not apply', path => '/early-on/file.txt',
      status => 410, body => '{"detail":"gone"}' },
    { label => 'FastExcRaiseEarly On, a condition first: the filesystem '
               . 'as always', path => '/early-cond/file.txt', status => 403 },
    { label => 'FastExcRaiseEarly On: Require in the <Location> applies',
      path => '/early-locdeny/file.txt', status => 403 },
    { label => 'FastExcRaiseEarly On, the URL rewritten at server level into '
               . 'a scope without it: mapped as always',
      path => '/early-rewritten/file.txt', status => 403 },
);

for my $c (@cases) {
    my $res = fx_request(method => $c->{method}, path => $c->{path},
                         headers => $c->{req_headers}, body => $c->{body_in});
    fx_check($c->{label}, $res, $c);
}

# Keep-alive: the connection serves further requests after an exception.
{
    my $sock = fx_connect();
    for my $path ('/raise/text', '/raise/teapot', '/raise/json',
                  '/static/file.txt', '/raise/text') {
        fx_send($sock, path => $path, close => 0);
        my $res = fx_read_response($sock);
        ok($res->{status} =~ /^(404|418|422|200)$/,
           "keep-alive: $path answered on the same connection");
        ok(!grep(/close/i, @{ $res->{headers}{connection} || [] }),
           "keep-alive: $path keeps the connection");
    }
    close $sock;
}

# httpd itself closes the connection after a 500 (documented).
{
    my $sock = fx_connect();
    fx_send($sock, path => '/raise/500', close => 0);
    my $res = fx_read_response($sock);
    is($res->{status}, 500, 'keep-alive after 500: status');
    ok(grep(/close/i, @{ $res->{headers}{connection} || [] }),
       'keep-alive after 500: httpd closes');
}

# Subrequests never send: mod_include's include of a raising URI.
{
    my $res = fx_request(path => '/ssi.shtml');
    is($res->{status}, 200, 'SSI include of a raising URI: page status');
    like($res->{body}, qr/^before\n.*\nafter\n$/s, 'SSI: page body around');
    unlike($res->{body}, qr/detail/, 'SSI: no exception body in the page');
}

# h2c (HTTP/2 over cleartext, prior knowledge) with curl.
SKIP: {
    my $curl = `sh -c 'command -v curl'`;
    chomp $curl;
    skip 'curl is not installed', 6 unless $curl;
    my $hp = fx_hostport();
    my $out = `$curl -s --http2-prior-knowledge -D - http://$hp/raise/teapot`;
    like($out, qr{^HTTP/2 418}m, 'h2c: status 418');
    like($out, qr{^content-type: application/json\r?$}mi, 'h2c: content-type');
    like($out, qr{^x-tea: green\r?$}mi, 'h2c: given header');
    like($out, qr{\r\n\r\n\{"detail":"I'm a Teapot"\}\z}, 'h2c: body');
    $out = `$curl -s --http2-prior-knowledge -D - http://$hp/static/file.txt`;
    like($out, qr{^HTTP/2 200}m, 'h2c: pass-through status');
    like($out, qr{static file, 22 bytes}, 'h2c: pass-through body');
}

# Keep-alive after a raise with a request body: the body is discarded (not
# read as the next request), the next request on the connection answered;
# a raise whose status drops the connection (413) closes it instead.
for my $c (['small body', 'x=1'], ['128 KiB body', 'y' x (128 * 1024)]) {
    my ($label, $body) = @$c;
    my $sock = fx_connect();
    fx_send($sock, method => 'POST', path => '/raise/text', body => $body,
            close => 0);
    fx_send($sock, path => '/static/file.txt');
    my ($res, $next) = ({}, {});
    eval {
        $res = fx_read_response($sock);
        $next = fx_read_response($sock, buffer => $res->{leftover});
        1;
    } or diag("$label: $@");
    close $sock;
    is("$res->{status} $res->{body}", q(404 {"detail":"Item not found"}),
       "keep-alive, POST with a $label: raised");
    is(($next->{status} // 'none') . ' ' . ($next->{body} // ''),
       "200 static file, 22 bytes\n",
       "keep-alive, POST with a $label: the next request answered");
}

# A condition that fails to evaluate is one documented outcome: the rule is
# skipped as if false, logged at error (FX0011), the next rule tried.
{
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    my $mark = -s $log;
    my $res = fx_request(path => '/raise/exprerr');
    is("$res->{status} $res->{body}", q(418 {"detail":"the next rule"}),
       'a condition in error: skipped, the next rule raises');
    like(fx_log_since($mark),
         qr/FX0011: .*Cannot open file \/nonexistent\/fastexc-expr/,
         'a condition in error: logged with the evaluation error');
}

# FastExcRaiseEarly where an <If> evaluated after translation takes the
# raise away: the URL was not mapped, so nothing of the filesystem is
# served (the file is there, behind <Directory> Require all denied): httpd
# answers 404, and FX0042 says why
{
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    my $mark = -s $log;
    my $res = fx_request(path => '/early-if/file.txt');
    is($res->{status}, 404, 'FastExcRaiseEarly, an <If> takes the raise '
       . 'away after translation: not found (the URL was not mapped)');
    unlike($res->{body}, qr/a file behind/, '... the file is not served');
    unlike($res->{body}, qr/"gone"/, '... nor the raise');
    like(fx_log_since($mark), qr/FX0042: FastExcRaiseEarly: the URL was not mapped/,
         '... and FX0042 is logged');
    $mark = -s $log;
    $res = fx_request(path => '/early-on/file.txt');
    is("$res->{status} $res->{body}", '410 {"detail":"gone"}',
       'beside it, an early scope without that <If> raises');
    unlike(fx_log_since($mark), qr/FX0042/, '... and logs no FX0042');
}

done_testing();
