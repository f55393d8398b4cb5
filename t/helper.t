# Test::FastExc, the assertions users' Apache::Test suites get (shipped in
# libapache2-mod-fastexc-dev): passing cases of every kind, failing cases
# with the messages they print (Test::Builder::Tester), and the README's
# example ("Testing your configuration") run as written against its
# configuration in a throwaway httpd. Locations: t/conf/metrics.conf.in.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Test::Builder::Tester;
use FastExcThrowaway qw(fxt_tempdir fxt_httpd_start fxt_log);
use FastExcTest qw(fx_free_port);
use JSON::PP ();
use Test::FastExc qw(exception_ok websocket_close_ok fastexc_request
                     fastexc_websocket_close);

# ---- what passes ---------------------------------------------------------------

exception_ok('/helper/json', 422, { loc => ['query', 'q'], msg => 'field required', n => 0.5 });
exception_ok('/helper/headers', 401, 'Not authenticated',
             headers => { 'WWW-Authenticate' => 'Bearer', 'X-Trace' => qr{^/helper/},
                          'Retry-After' => undef });
exception_ok('/helper/default', 418, undef, name => 'no detail: the reason phrase');
exception_ok('/helper/default', 418, "I'm a Teapot");
exception_ok('/helper/problem', 403, { title => 'You do not have enough credit.', balance => 30 },
             format => 'problem', problem_type => 'https://example.com/probs/out-of-credit');
exception_ok('/helper/nobody', 204, undef, name => '204: no body, no type');
exception_ok('/met/on/missing', 404, 'no metered /met/on/missing', name => 'FastExc On');
exception_ok(Apache::TestRequest::GET('/helper/headers'), 401, 'Not authenticated',
             name => 'an HTTP::Response from Apache::TestRequest');
my $hp = Apache::TestRequest::hostport(Apache::Test::config());
exception_ok("http://$hp/helper/default", 418, undef, name => 'a URL');
websocket_close_ok('/helper/ws', 4404, "Not here: \x{e9}");
websocket_close_ok("ws://$hp/helper/ws", 4404, undef, name => 'a ws:// URL, any reason');
{
    local $ENV{FASTEXC_TEST_BASE} = "http://$hp/";
    exception_ok('/helper/default', 418, undef, name => 'FASTEXC_TEST_BASE');
}
my $c = fastexc_websocket_close('/helper/ws-http');
is($c->{status}, 403, 'fastexc_websocket_close: the HTTP refusal');
is(JSON::PP->new->decode($c->{body})->{detail}, 'over HTTP', '... and its body');

# ---- what fails, and says why -------------------------------------------------------

my $html = "'text/html; charset=iso-8859-1'";
test_out('not ok 1 - GET /helper/nothing-here is the exception 404');
test_fail(+3);
test_diag("  Content-Type: got $html, want 'application/json' (httpd's own error page: "
          . 'is FastExc On, or a raise, in this scope?)');
exception_ok('/helper/nothing-here', 404, 'Not Found');
test_test('httpd\'s own error page: said so');

test_out('not ok 1 - GET /helper/json is the exception 400');
test_fail(+3);
test_diag('  status: got 422, want 400',
          '  detail: got {"loc":["query","q"],"msg":"field required","n":0.5}, want "Bad"');
exception_ok('/helper/json', 400, 'Bad');
test_test('a wrong status and detail: both said');

test_out('not ok 1 - GET /helper/headers is the exception 401');
test_fail(+4);
test_diag("  header WWW-Authenticate: got 'Bearer', want 'Basic'",
          "  header X-Missing: missing, want 'x'",
          "  header X-Trace: sent ('/helper/headers'), want none");
exception_ok('/helper/headers', 401, 'Not authenticated',
             headers => { 'WWW-Authenticate' => 'Basic', 'X-Missing' => 'x', 'X-Trace' => undef });
test_test('headers: wrong, missing, unwanted');

test_out('not ok 1 - GET /helper/json is the exception 422');
test_fail(+2);
test_diag('  detail: got {"loc":["query","q"],"msg":"field required","n":0.5}, want {"n":"0.5"}');
exception_ok('/helper/json', 422, { n => '0.5' });
test_test('a detail compared as JSON: a string is not a number');

test_out('not ok 1 - GET /helper/problem is the exception 403');
test_fail(+2);
test_diag("  Content-Type: got 'application/problem+json', want 'application/json'");
exception_ok('/helper/problem', 403, 'x');
test_test('the format: problem+json where FastAPI JSON was wanted');

test_out('not ok 1 - /helper/ws closes with 1008');
test_fail(+3);
test_diag('  close code: got 4404, want 1008',
          "  reason: got 'Not here: \x{e9}', want 'Policy'");
websocket_close_ok('/helper/ws', 1008, 'Policy');
test_test('a WebSocket: the code and reason received');

test_out('not ok 1 - /helper/ws-http closes with 4003');
test_fail(+3);
test_diag('  the handshake was answered HTTP 403, not 101',
          q{  its body: '{"detail":"over HTTP"}'});
websocket_close_ok('/helper/ws-http', 4003, 'over HTTP');
test_test('a WebSocket refused over HTTP: its status and body');

# ---- the README's example, as written -------------------------------------------------

SKIP: {
    my $readme = Apache::Test::vars('top_dir') . '/README.md';
    skip 'no README.md staged beside t/', 3 unless -f $readme;
    my $text = do { open my $fh, '<:encoding(UTF-8)', $readme or die $!; local $/; <$fh> };
    my ($section) = $text =~ /^## Testing your configuration\n(.*?)^## /ms;
    my ($conf) = ($section // '') =~ /^```apache\n(.*?)^```/ms;
    my ($script) = ($section // '') =~ /^```perl\n(.*?)^```/ms;
    ok($conf && $script, 'README: the example\'s configuration and test found')
        or skip 'no example in the README', 2;
    my $dir = fxt_tempdir();
    my $port = fx_free_port();
    my $srv = fxt_httpd_start(dir => $dir, name => 'readme-example',
        modules => [qw(mpm_event authz_core)], ports => [$port],
        conf => "Listen 127.0.0.1:$port\n$conf");
    open my $fh, '>:encoding(UTF-8)', "$dir/shop.t" or die $!;
    print $fh $script;
    close $fh;
    my $lib = Apache::Test::vars('t_dir') . '/lib';
    local $ENV{FASTEXC_TEST_BASE} = "http://127.0.0.1:$port";
    my $out = `'$^X' -I'$lib' '$dir/shop.t' 2>&1`;
    is($?, 0, 'README: the example test passes') or diag($out, fxt_log($srv));
    like($out, qr/^ok 1 .*\nok 2 .*\nok 3 .*\n1\.\.3$/m, 'README: its three assertions ran');
}

done_testing();
