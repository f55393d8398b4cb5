# FastExc On: httpd's own errors, other modules' and a proxied backend's
# rendered as FastAPI JSON; ErrorDocument interplay; FastExc Off.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $JSON = 'application/json';
my $HTML = 'text/html; charset=iso-8859-1';

my @cases = (
    { label => 'a status with no phrase anywhere (520 from a handler): '
               . "httpd's words for it", path => '/on-lua/raise.lua?status=520',
      status => 520, body => '{"detail":"Status 520"}' },
    { label => 'core 404', path => '/on/missing', status => 404,
      reason => 'Not Found', body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => $JSON, 'Content-Length' => 22 } },
    { label => 'authz 403', path => '/on/denied/x', status => 403,
      body => '{"detail":"Forbidden"}' },
    { label => 'auth_basic 401 keeps WWW-Authenticate', path => '/on/auth/x',
      status => 401, body => '{"detail":"Unauthorized"}',
      headers => { 'WWW-Authenticate' => 'Basic realm="fastexc"',
                   'Content-Type' => $JSON } },
    # errors httpd decides before it maps the URL to a <Location> follow the
    # server (virtual host) scope
    { label => 'TRACE disabled: 405 at server scope', method => 'TRACE',
      hostport => fx_hostport('fastexc_vhost'), path => '/x', status => 405,
      reason => 'Method Not Allowed',
      body => '{"detail":"Method Not Allowed"}', json => 1 },
    # httpd's canned 501 page quotes the method: over 8 KB it came in
    # several brigades, and the headers went out without Content-Length
    { label => '501 with a canned page over 8 KB: JSON, Content-Length',
      method => 'X' x 8000, hostport => fx_hostport('fastexc_vhost'),
      path => '/x', status => 501, body => '{"detail":"Not Implemented"}',
      headers => { 'Content-Type' => $JSON, 'Content-Length' => 28 } },
    { label => 'TRACE disabled: a Location does not apply yet',
      method => 'TRACE', path => '/on/x', status => 405,
      headers => { 'Content-Type' => $HTML } },
    { label => 'LimitRequestBody: 413', method => 'POST', path => '/on/limit/x',
      body_in => 'x' x 100, status => 413,
      reason => 'Request Entity Too Large',
      body => '{"detail":"Request Entity Too Large"}' },
    { label => 'FastExcDetail with template and header',
      path => '/on/detail/nope', status => 404,
      body => '{"detail":"nothing at /on/detail/nope"}',
      headers => { 'X-Detail' => 'yes' } },
    { label => 'HEAD of an error', method => 'HEAD', path => '/on/missing',
      status => 404, body => '',
      headers => { 'Content-Type' => $JSON, 'Content-Length' => 22 } },
    { label => 'success untouched', path => '/on/../static/file.txt',
      status => 200, body => "static file, 22 bytes\n" },
    { label => 'FastExc Off: httpd HTML', path => '/off/missing',
      status => 404, body_like => qr/<h1>Not Found<\/h1>/,
      headers => { 'Content-Type' => $HTML } },
    { label => 'outside any scope: httpd HTML', path => '/nowhere',
      status => 404, headers => { 'Content-Type' => $HTML } },
    { label => 'ProxyErrorOverride: backend 404 rendered',
      path => '/backend-err/x', status => 404,
      body => '{"detail":"backend says no"}',
      headers => { 'Content-Type' => $JSON } },
    { label => 'FastExcDetail condition on the response status: a backend 404',
      path => '/backend-cond/x', status => 404,
      body => '{"detail":"backend said 404"}' },
    { label => 'FastExcDetail condition on the method: a backend 404 to a HEAD',
      method => 'HEAD', path => '/backend-cond/x', status => 404, body => '',
      headers => { 'Content-Length' => 34 } },
    { label => 'backend exception passed through as it is',
      path => '/backend-raw/teapot', status => 418,
      body => q({"detail":"I'm a Teapot"}), headers => { 'X-Tea' => 'green' } },
    { label => 'backend down: 503 rendered', path => '/backend-down/x',
      status => 503, body => '{"detail":"Service Unavailable"}' },
    { label => 'ErrorDocument: a raise wins over a local path',
      path => '/ed/raise', status => 404, body => '{"detail":"raised wins"}',
      headers => { 'Content-Type' => $JSON } },
    { label => 'ErrorDocument local path served for httpd errors',
      path => '/ed/missing', status => 404,
      body => "<html><body>error document</body></html>\n" },
    { label => 'ErrorDocument literal becomes the detail',
      path => '/ed/denied/x', status => 403,
      body => '{"detail":"Literal forbidden"}' },
);

for my $c (@cases) {
    my $res = fx_request(method => $c->{method}, path => $c->{path},
                         body => $c->{body_in}, hostport => $c->{hostport});
    fx_check($c->{label}, $res, $c);
}

# An ErrorDocument target that raises: httpd answers an error inside an
# error document with the first one (its canned page), so the raise is not
# sent; the module says so at debug (FX0038) instead of dropping it unseen.
{
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    my $mark = -s $log;
    my $res = fx_request(path => '/ed-raising/missing');
    is($res->{status}, 404, 'ErrorDocument target raises: the first error');
    unlike($res->{body}, qr/from the error document/,
           'ErrorDocument target raises: its detail is not sent');
    like(fx_log_since($mark), qr/FX0038: raised 409 in the ErrorDocument for 404/,
         'ErrorDocument target raises: logged');
}

done_testing();
