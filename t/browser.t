# What a browser's script reads when a WebSocket upgrade meets an exception,
# in Debian's chromium (headless): a raise closes it with a code and the
# detail as the reason; the HTTP rejection it replaces reads as 1006. And
# FastExcNegotiate: the browser navigating to an exception gets an HTML
# page (its hostile detail shown as text, never run), while a fetch() with
# a JSON Accept from the same page gets JSON from the same location.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $chromium = (grep { -x } '/usr/bin/chromium', '/usr/bin/chromium-browser')[0];
plan skip_all => 'chromium is not installed (scripts/deps.sh installs it)'
    unless $chromium;

my $hp = fx_hostport();

# The page's #result once its WebSocket closed (t/browser/pageresult.py
# drives chromium through its DevTools protocol, with a time limit).
my $python = $ENV{FASTEXC_PYTHON} || '/usr/bin/python3';
my $t_dir = Apache::Test::vars('t_dir');
sub page_result {
    my $path = shift;
    my $url = "http://$hp/browser/ws.html?path=$path";
    my $out = `'$python' '$t_dir/browser/pageresult.py' '$chromium' '$url' 20`;
    chomp $out;
    return $out;
}

my @cases = (
    # label, path, what the page reads
    ['FastExcRaise 503 (maintenance): 1013 and the detail', '/ws/maint/x',
     'closed 1013 true Down for maintenance, back at 14:00'],
    ['FastExcRaise 401: 1008 and the detail', '/ws/auth/x',
     'closed 1008 true Not authenticated'],
    ['FastExcWebSocket 4001: its code and UTF-8 reason', '/ws/raise/x',
     "closed 4001 true \x{dc}n\x{ef}code reason \x{2713}"],
    # the HTTP answer it replaces: the page learns nothing
    ['FastExcWebSocketReject http: an HTTP 503 reads as 1006, no reason',
     '/ws/maint-http/x', 'closed 1006 false '],
);
for my $c (@cases) {
    my ($label, $path, $want) = @$c;
    my $got = page_result($path);
    utf8::decode($got);
    is($got, $want, $label);
}

# FastExcNegotiate (t/conf/extra.conf.in, /neg): what the page shows, then
# what a script of that page fetches with Accept: application/json (the
# expression is passed in single quotes: it has none itself)
sub page_value {
    my ($path, $expression) = @_;
    my $url = "http://$hp$path";
    my $out = `'$python' '$t_dir/browser/pageresult.py' '$chromium' '$url' 20 '$expression'`;
    chomp $out;
    utf8::decode($out);
    return $out;
}
is(page_value('/neg/raise',
              q{document.title + "|" + document.querySelector("p").textContent}
              . q{ + "|" + document.scripts.length + "|" + document.contentType}),
   qq{409 Conflict|conflict <script>alert('x')</script> & "quotes"|0|text/html},
   'FastExcNegotiate: a browser gets the page, its detail as text, no script');
is(page_value('/neg/missing',
              q{document.title + "|" + document.querySelector("h1").textContent}),
   '404 Not Found|404 Not Found', "FastExcNegotiate: httpd's 404 as a page");
is(page_value('/neg/raise',
              q{fetch(location.href, {headers: {Accept: "application/json"}})}
              . q{.then(r => r.text().then(t => r.status + " " + }
              . q{r.headers.get("content-type") + " " + r.headers.get("vary") + " " + t))}),
   q{409 application/json Accept {"detail":"conflict <script>alert('x')</script> & \"quotes\""}},
   'FastExcNegotiate: fetch() with a JSON Accept, same location: JSON');

done_testing();
