# The C API (include/mod_fastexc.h) from another module, c-modules/fastexc_test:
# every hook phase, JSON and text details, headers, bad input, subrequests,
# ErrorDocument.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

plan skip_all => 'mod_fastexc_test not built' unless need_module('fastexc_test');

my $JSON = 'application/json';
my @phases = qw(post_read_request translate_name map_to_storage header_parser
                access_checker check_authn check_authz type_checker fixups
                handler);

# every phase, text detail and a header; /api/auth has auth so that the
# authn/authz phases run
for my $phase (@phases) {
    my $res = fx_request(path => '/api/auth/x', headers => [
        ['X-Raise-Phase', $phase], ['X-Raise-Status', 418],
        ['X-Raise-Text', "from $phase"], ['X-Raise-Header', 'X-Phase: yes']]);
    fx_check("phase $phase", $res, {
        status => 418, reason => "I'm a Teapot",
        body => qq({"detail":"from $phase"}),
        headers => { 'Content-Type' => $JSON, 'X-Phase' => 'yes' } });
}

my @cases = (
    { label => 'not raised: the handler answers', req => [],
      status => 200, body => "not raised\n" },
    { label => 'JSON detail', req => [['X-Raise-Phase', 'handler'],
        ['X-Raise-Status', 422], ['X-Raise-Json', '{"loc":["q"],"v":0.5}']],
      status => 422, body => '{"detail":{"loc":["q"],"v":0.5}}' },
    { label => 'JSON string detail', req => [['X-Raise-Phase', 'fixups'],
        ['X-Raise-Status', 400], ['X-Raise-Json', '"only a string"']],
      status => 400, body => '{"detail":"only a string"}' },
    { label => 'default detail', req => [['X-Raise-Phase', 'fixups'],
        ['X-Raise-Status', 425]],
      status => 425, reason => 'Too Early', body => '{"detail":"Too Early"}' },
    { label => 'Content-Type given', req => [['X-Raise-Phase', 'handler'],
        ['X-Raise-Status', 400], ['X-Raise-Text', 'x'],
        ['X-Raise-Header', 'Content-Type: application/problem+json']],
      status => 400, body => '{"detail":"x"}',
      headers => { 'Content-Type' => 'application/problem+json' } },
    { label => 'several headers', req => [['X-Raise-Phase', 'handler'],
        ['X-Raise-Status', 401], ['X-Raise-Text', 'no'],
        ['X-Raise-Header', 'WWW-Authenticate: Bearer'],
        ['X-Raise-Header-2', 'X-Request-Id: 42']],
      status => 401, body => '{"detail":"no"}',
      headers => { 'WWW-Authenticate' => 'Bearer', 'X-Request-Id' => 42 } },
    { label => 'bad headers left out, good one kept',
      req => [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 400],
        ['X-Raise-Text', 'h'], ['X-Raise-Bad-Header', 1]],
      status => 400, body => '{"detail":"h"}',
      headers => { 'X-Good' => 'kept', 'X-Injected' => undef,
                   'Set-Cookie' => undef, 'Content-Length' => 14 } },
    { label => 'invalid JSON: 500 and a log line',
      req => [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 400],
        ['X-Raise-Json', '{"broken":']],
      status => 500, body => '{"detail":"Internal Server Error"}',
      log => qr/FX0006: fastexc_raise: detail is not JSON/ },
    { label => '1xx status: 500 and a log line',
      req => [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 101]],
      status => 500, body => '{"detail":"Internal Server Error"}',
      log => qr/FX0004: fastexc_raise_text: status 101 refused/ },
    { label => 'status 600: 500 and a log line',
      req => [['X-Raise-Phase', 'fixups'], ['X-Raise-Status', 600]],
      status => 500, log => qr/FX0004: .*status 600 refused/ },
    { label => 'no phrase and no detail: 500',
      req => [['X-Raise-Phase', 'fixups'], ['X-Raise-Status', 299]],
      status => 500, log => qr/FX0005: .*status 299 has no reason phrase/ },
    { label => 'no phrase with a detail: sent',
      req => [['X-Raise-Phase', 'fixups'], ['X-Raise-Status', 299],
        ['X-Raise-Text', 'custom']],
      status => 299, reason => '', body => '{"detail":"custom"}' },
    { label => 'invalid UTF-8 in a text detail: repaired and logged',
      req => [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 400],
        ['X-Raise-Text', "a\xffb"]],
      status => 400, body => "{\"detail\":\"a\xef\xbf\xbdb\"}",
      log => qr/FX0008: fastexc_raise_text: detail is not valid UTF-8/ },
    { label => 'ErrorDocument does not replace a raise',
      path => '/api/errdoc/x', req => [['X-Raise-Phase', 'handler'],
        ['X-Raise-Status', 404], ['X-Raise-Text', 'raised']],
      status => 404, body => '{"detail":"raised"}' },
    { label => 'ErrorDocument not used for a 500 from bad input',
      path => '/api/errdoc/x', req => [['X-Raise-Phase', 'handler'],
        ['X-Raise-Status', 404], ['X-Raise-Json', 'nope']],
      status => 500, body => '{"detail":"Internal Server Error"}' },
    { label => 'the lean caller (make bench): 404 and its default detail',
      path => '/api/lean/x', req => [],
      status => 404, body => '{"detail":"Not Found"}' },
    { label => 'the floor (make bench): the same bytes without mod_fastexc',
      path => '/api/floor/x', req => [],
      status => 404, body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => 'application/json',
                   'Content-Length' => 22 } },
    { label => 'subrequest raise sends nothing',
      path => '/api/subreq', req => [['X-Lookup', '/api/x'],
        ['X-Raise-Phase', 'fixups'], ['X-Raise-Sub', 1],
        ['X-Raise-Status', 403]],
      status => 200, body => "subrequest status 403\n",
      headers => { 'Content-Type' => 'text/plain' } },
    { label => 'subrequest of a FastExcRaise location sends nothing',
      path => '/api/subreq', req => [['X-Lookup', '/raise/teapot']],
      status => 200, body => "subrequest status 418\n",
      headers => { 'X-Tea' => undef } },
    { label => 'subrequest not raised', path => '/api/subreq',
      req => [['X-Lookup', '/static/file.txt']],
      status => 200, body => "subrequest status 200\n" },
);

my $log = Apache::Test::vars('t_logs') . '/error_log';
for my $c (@cases) {
    my $before = -s $log;
    my $res = fx_request(path => $c->{path} || '/api/x', headers => $c->{req});
    fx_check($c->{label}, $res, $c);
    if ($c->{log}) {
        open my $fh, '<', $log or die "$log: $!";
        seek $fh, $before, 0;
        local $/;
        my $added = <$fh>;
        like($added, $c->{log}, "$c->{label}: logged");
    }
}

done_testing();
