# Scopes and merging: inherit, override, reset; Location over Directory;
# .htaccess; a virtual host's server scope.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $vhost = fx_hostport('fastexc_vhost');

my @cases = (
    { label => 'own scope: raised', path => '/m/x?gone',
      status => 410, body => '{"detail":"from /m"}' },
    { label => 'own scope: condition false, FastExc On renders 404',
      path => '/m/x', status => 404, body => '{"detail":"parent 404"}' },
    { label => 'inherit: rule from /m', path => '/m/plain/x?gone',
      status => 410, body => '{"detail":"from /m"}',
      headers => { 'X-Plain' => 'yes' } },
    { label => 'inherit: FastExc On and FastExcDetail 404',
      path => '/m/plain/missing', status => 404,
      body => '{"detail":"parent 404"}' },
    { label => 'inherit: FastExcDetail 403', path => '/m/plain/denied/x',
      status => 403, body => '{"detail":"parent 403"}' },
    { label => 'inherit: not raised, file served', path => '/m/plain/file.txt',
      status => 200, body => "file in m\n" },
    { label => 'override: own rule first', path => '/m/override/x?gone',
      status => 451, reason => 'Unavailable For Legal Reasons',
      body => '{"detail":"from /m/override"}' },
    { label => 'override: own rule, other condition',
      path => '/m/override/x?legal', status => 451 },
    { label => 'override: own FastExcDetail 404', path => '/m/override/x',
      status => 404, body => '{"detail":"child 404"}' },
    { label => 'override: other statuses still inherited',
      path => '/m/override/denied/x', status => 403,
      body => '{"detail":"parent 403"}' },
    { label => 'reset: FastExcRaise Off drops inherited rules',
      path => '/m/reset/file.txt?gone', status => 200,
      body => "file in m/reset\n" },
    { label => 'reset: FastExc Off leaves httpd errors alone',
      path => '/m/reset/missing', status => 404,
      body_like => qr/<title>404 Not Found<\/title>/,
      headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } },
    { label => 'below a reset: own rule raises', path => '/m/reset/again/x',
      status => 409, body => '{"detail":"raised again below a reset"}' },
    { label => 'below a reset: the reset holds for /m rules',
      path => '/m/reset/again/file.txt?gone', status => 409 },
    { label => 'Directory scope', path => '/d/file.txt', status => 402,
      reason => 'Payment Required', body => '{"detail":"from Directory"}' },
    { label => 'Location rules come before Directory rules',
      path => '/d/loc/file.txt', status => 403,
      body => '{"detail":"from Location"}' },
    { label => '.htaccess (AllowOverride FileInfo)', path => '/ht/file.txt',
      status => 429, reason => 'Too Many Requests',
      body => '{"detail":"from .htaccess"}',
      headers => { 'Retry-After' => 5 } },
    { label => 'virtual host scope: raised', hostport => $vhost,
      path => '/down/x', status => 503, body => '{"detail":"vhost is down"}' },
    { label => 'virtual host scope: FastExcDetail', hostport => $vhost,
      path => '/missing', status => 404, body => '{"detail":"vhost 404"}' },
    { label => 'virtual host scope: pass-through', hostport => $vhost,
      path => '/static/file.txt', status => 200,
      body => "static file, 22 bytes\n" },
    # FastExcDetail with expr=
    { label => 'detail condition: a header', path => '/m/cond/missing',
      req_headers => [['Accept', 'application/json']], status => 404,
      body => '{"detail":"a JSON client"}', headers => { 'X-Cond' => 'accept' } },
    { label => 'detail condition: the second rule', path => '/m/cond/missing?q',
      status => 404, body => '{"detail":"asked for ?q"}',
      headers => { 'X-Cond' => undef } },
    { label => 'detail condition: both hold, the first written wins',
      path => '/m/cond/missing?q', req_headers => [['Accept', 'application/json']],
      status => 404, body => '{"detail":"a JSON client"}' },
    { label => 'detail condition: none holds, the inherited rule',
      path => '/m/cond/missing', status => 404, body => '{"detail":"parent 404"}',
      headers => { 'X-Cond' => undef } },
    { label => 'detail condition: other statuses inherited as before',
      path => '/m/cond/handler/x', method => 'GET', status => 404,
      body => '{"detail":"parent 404"}' },
    { label => "detail condition below: the scope's own condition",
      path => '/m/cond/own/missing?c', status => 404,
      body => '{"detail":"own, for ?c"}' },
    { label => "detail condition below: the scope's fallback before inherited conditions",
      path => '/m/cond/own/missing?q', req_headers => [['Accept', 'application/json']],
      status => 404, body => '{"detail":"own fallback"}' },
    { label => 'detail condition: the method, SetHandler fastexc',
      path => '/m/cond/handler/x', method => 'DELETE', status => 404,
      body => '{"detail":"nothing to delete"}' },
    { label => 'main server unaffected by the virtual host',
      path => '/down/x', status => 404,
      headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } },
);

for my $c (@cases) {
    my $res = fx_request(path => $c->{path}, hostport => $c->{hostport},
                         method => $c->{method}, headers => $c->{req_headers});
    fx_check($c->{label}, $res, $c);
}

done_testing();
