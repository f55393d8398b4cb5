# FastExcNegotiate: the request's Accept header chooses the scope's JSON,
# Problem Details or HTML (the operator's ErrorDocument, else a built-in
# page), with Vary: Accept; a scope without it answers JSON, without Vary.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $JSON = 'application/json';
my $PROBLEM = 'application/problem+json';
my $HTML = 'text/html; charset=utf-8';
my $HTTPD_HTML = 'text/html; charset=iso-8859-1';
my $BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,'
    . 'image/avif,image/webp,image/apng,*/*;q=0.8,'
    . 'application/signed-exchange;v=b3;q=0.7';
my $ERRDOC = "<html><body>error document</body></html>\n";

# the built-in page, as it is sent
sub page {
    my ($title, $detail) = @_;
    return qq(<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>$title</title></head>\n)
        . qq(<body>\n<h1>$title</h1>\n<p>$detail</p>\n</body></html>\n);
}

my $hostile = q(conflict <script>alert('x')</script> & "quotes");
my $hostile_json = q({"detail":"conflict <script>alert('x')</script> & \"quotes\""});
my $hostile_page = page('409 Conflict',
    q(conflict &lt;script&gt;alert('x')&lt;/script&gt; &amp; &quot;quotes&quot;));

my @cases = (
    # Accept variants, one raise (FastExcRaise, sent directly)
    { label => 'a browser gets the built-in page, hostile detail escaped',
      path => '/neg/raise', accept => $BROWSER, status => 409,
      body => $hostile_page,
      headers => { 'Content-Type' => $HTML, 'Vary' => 'Accept',
                   'Content-Length' => length $hostile_page } },
    { label => 'application/json', path => '/neg/raise', accept => $JSON,
      status => 409, body => $hostile_json,
      headers => { 'Content-Type' => $JSON, 'Vary' => 'Accept' } },
    { label => 'application/problem+json: Problem Details',
      path => '/neg/raise', accept => $PROBLEM, status => 409,
      body => '{"type":"about:blank","title":"Conflict","status":409,'
              . q("detail":"conflict <script>alert('x')</script> & \"quotes\"",)
              . '"instance":"/neg/raise"}',
      headers => { 'Content-Type' => $PROBLEM, 'Vary' => 'Accept' } },
    { label => 'no Accept: the scope\'s JSON, Vary all the same',
      path => '/neg/raise', status => 409, body => $hostile_json,
      headers => { 'Content-Type' => $JSON, 'Vary' => 'Accept' } },
    { label => '*/* low, text/html refused: JSON', path => '/neg/raise',
      accept => '*/*;q=0.1, text/html;q=0', status => 409,
      body => $hostile_json, headers => { 'Content-Type' => $JSON } },
    { label => 'q-values: JSON preferred to HTML', path => '/neg/raise',
      accept => 'text/html;q=0.5, application/json;q=0.9', status => 409,
      headers => { 'Content-Type' => $JSON } },
    { label => 'q-values: HTML preferred to JSON', path => '/neg/raise',
      accept => 'application/json;q=0.5, text/html', status => 409,
      headers => { 'Content-Type' => $HTML } },
    { label => 'application/*: a tie, the scope\'s JSON first',
      path => '/neg/raise', accept => 'application/*', status => 409,
      headers => { 'Content-Type' => $JSON } },
    { label => 'only what is not offered: the scope\'s JSON',
      path => '/neg/raise', accept => 'image/png', status => 409,
      body => $hostile_json, headers => { 'Content-Type' => $JSON } },
    { label => 'HEAD from a browser: the page\'s headers, no body',
      method => 'HEAD', path => '/neg/raise', accept => $BROWSER,
      status => 409, body => '',
      headers => { 'Content-Type' => $HTML, 'Vary' => 'Accept',
                   'Content-Length' => length $hostile_page } },
    { label => 'a JSON detail: its JSON text, escaped',
      path => '/neg/json', accept => 'text/html', status => 422,
      body => page('422 Unprocessable Entity',
                   '{&quot;loc&quot;:[&quot;query&quot;,&quot;&lt;b&gt;&quot;],'
                   . '&quot;msg&quot;:&quot;bad&quot;}'),
      headers => { 'Content-Type' => $HTML } },
    # httpd's errors (FastExc On), SetHandler fastexc
    { label => 'FastExc On 404, browser', path => '/neg/missing',
      accept => $BROWSER, status => 404,
      body => page('404 Not Found', 'Not Found'),
      headers => { 'Content-Type' => $HTML, 'Vary' => 'Accept' } },
    { label => 'FastExc On 404, JSON', path => '/neg/missing',
      accept => $JSON, status => 404, body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => $JSON, 'Vary' => 'Accept' } },
    { label => 'FastExc On 404, HEAD from a browser', method => 'HEAD',
      path => '/neg/missing', accept => $BROWSER, status => 404, body => '',
      headers => { 'Content-Type' => $HTML, 'Vary' => 'Accept',
                   'Content-Length' => length page('404 Not Found', 'Not Found') } },
    { label => 'SetHandler fastexc, browser', path => '/neg/handler/x',
      accept => $BROWSER, status => 404,
      body => page('404 Not Found', 'Not Found'),
      headers => { 'Content-Type' => $HTML, 'Vary' => 'Accept' } },
    { label => 'SetHandler fastexc, JSON', path => '/neg/handler/x',
      accept => $JSON, status => 404, body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => $JSON, 'Vary' => 'Accept' } },
    # Vary merged with another
    { label => 'a raise\'s own Vary: Accept joins it', path => '/neg/vary',
      accept => $JSON, status => 404,
      headers => { 'Vary' => 'Origin,Accept' } },
    { label => 'a raise\'s own Vary, browser', path => '/neg/vary',
      accept => $BROWSER, status => 404,
      headers => { 'Vary' => 'Origin,Accept', 'Content-Type' => $HTML } },
    { label => 'Header always merge Vary: both', path => '/neg/always/missing',
      accept => $JSON, status => 404, vary => [qw(Accept Origin)] },
    # a configured Content-Type is the JSON's
    { label => 'a configured Content-Type, JSON client', path => '/neg/ctype',
      accept => 'application/*', status => 418,
      headers => { 'Content-Type' => 'application/vnd.tea+json' } },
    { label => 'a configured Content-Type, browser: the page is HTML',
      path => '/neg/ctype', accept => $BROWSER, status => 418,
      body => page("418 I'm a Teapot", "I'm a Teapot"),
      headers => { 'Content-Type' => $HTML } },
    # FastExcFormat problem: its JSON is Problem Details
    { label => 'problem scope, no Accept', path => '/neg/problem',
      status => 404, headers => { 'Content-Type' => $PROBLEM,
                                  'Vary' => 'Accept' } },
    { label => 'problem scope, application/json (not offered): problem',
      path => '/neg/problem', accept => $JSON, status => 404,
      headers => { 'Content-Type' => $PROBLEM } },
    { label => 'problem scope, browser', path => '/neg/problem',
      accept => $BROWSER, status => 404, body => page('404 Not Found', 'missing'),
      headers => { 'Content-Type' => $HTML } },
    # off: JSON whatever the client, no Vary
    { label => 'FastExcNegotiate Off: a browser gets JSON, no Vary',
      path => '/neg/off', accept => $BROWSER, status => 404,
      body => '{"detail":"never HTML"}',
      headers => { 'Content-Type' => $JSON, 'Vary' => undef } },
    { label => 'outside any negotiating scope: JSON, no Vary',
      path => '/raise/text', accept => $BROWSER, status => 404,
      headers => { 'Content-Type' => $JSON, 'Vary' => undef } },
    # ErrorDocument
    { label => 'ErrorDocument path, browser: the operator\'s page',
      path => '/neg/ed/missing', accept => $BROWSER, status => 404,
      body => $ERRDOC, headers => { 'Vary' => 'Accept' } },
    { label => 'ErrorDocument path, JSON client: JSON',
      path => '/neg/ed/missing', accept => $JSON, status => 404,
      body => '{"detail":"Not Found"}',
      headers => { 'Content-Type' => $JSON, 'Vary' => 'Accept' } },
    { label => 'ErrorDocument path, no Accept: JSON',
      path => '/neg/ed/missing', status => 404,
      body => '{"detail":"Not Found"}' },
    { label => 'ErrorDocument literal, browser: the literal',
      path => '/neg/ed/denied/x', accept => $BROWSER, status => 403,
      body => 'Literal forbidden for browsers',
      headers => { 'Content-Type' => $HTTPD_HTML, 'Vary' => 'Accept' } },
    { label => 'ErrorDocument literal, JSON client: the literal as detail',
      path => '/neg/ed/denied/x', accept => $JSON, status => 403,
      body => '{"detail":"Literal forbidden for browsers"}',
      headers => { 'Content-Type' => $JSON, 'Vary' => 'Accept' } },
    { label => 'a raise, ErrorDocument path, browser: the operator\'s page',
      path => '/neg/ed/raise/x', accept => $BROWSER, status => 404,
      body => $ERRDOC, headers => { 'Vary' => 'Accept' } },
    { label => 'a raise, ErrorDocument path, JSON client: the raise',
      path => '/neg/ed/raise/x', accept => $JSON, status => 404,
      body => '{"detail":"raised, for JSON clients"}',
      headers => { 'Content-Type' => $JSON, 'Vary' => 'Accept' } },
    { label => 'a raise, ErrorDocument literal, browser: the literal',
      path => '/neg/ed/raise403/x', accept => $BROWSER, status => 403,
      body => 'Literal forbidden for browsers',
      headers => { 'Content-Type' => $HTTPD_HTML, 'Vary' => 'Accept' } },
    { label => 'a raise, ErrorDocument literal, JSON client: the raise',
      path => '/neg/ed/raise403/x', accept => $JSON, status => 403,
      body => '{"detail":"raised 403"}', headers => { 'Content-Type' => $JSON } },
    # FastExc Off: httpd's own errors are not the module's
    { label => 'FastExc Off: httpd\'s 404 follows the ErrorDocument for JSON clients',
      path => '/neg-raise-only/missing', accept => $JSON, status => 404,
      body => $ERRDOC },
    { label => 'FastExc Off: a raise, JSON client', accept => $JSON,
      path => '/neg-raise-only/raise/x', status => 404,
      body => '{"detail":"raised, for JSON clients"}' },
    { label => 'FastExc Off: a raise, browser: the ErrorDocument',
      path => '/neg-raise-only/raise/x', accept => $BROWSER, status => 404,
      body => $ERRDOC, headers => { 'Vary' => 'Accept' } },
);

for my $c (@cases) {
    my $res = fx_request(method => $c->{method}, path => $c->{path},
                         headers => $c->{accept} ? [['Accept', $c->{accept}]] : []);
    fx_check($c->{label}, $res, $c);
    if ($c->{vary}) {
        my %got = map { lc($_) => 1 } map { split /\s*,\s*/ }
                  @{ $res->{headers}{vary} || [] };
        ok($got{lc $_}, "$c->{label}: Vary names $_") for @{ $c->{vary} };
        is(scalar @{ $res->{headers}{vary} || [] }, 1,
           "$c->{label}: one Vary field");
    }
}

done_testing();
