# No state leaks between requests: on one keep-alive connection (so one
# child, one worker), exceptions are raised many times in a shuffled order
# through every API, each request with its own marker in its detail and
# headers: FastExcRaise with interpolated details and headers, SetHandler
# fastexc with an interpolated FastExcDetail, the C API (c-modules/
# fastexc_test: default detail with and without headers, text, JSON) and the
# notes API (mod_lua). Each response must be exactly its own: status, body,
# and every header but the server's own (Date, Server, framing).
# Locations: t/conf/leak.conf.in.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use List::Util qw(shuffle);

plan skip_all => 'mod_lua is not loaded' unless need_module('lua');
plan skip_all => 'mod_fastexc_test not built' unless need_module('fastexc_test');

my $SEED = 20261129;
srand $SEED;
note("shuffled with seed $SEED");

my $tea = q({"detail":"I'm a Teapot"});
my @api = (path => '/api/x');
# name => sub (marker) returning request options and [status, body, headers]
my %kinds = (
    'FastExcRaise text' => sub { my $m = shift;
        ([path => '/leak/raise'], [409, qq({"detail":"leak $m at /leak/raise"}),
                                   { 'x-echo' => $m }]) },
    'FastExcRaise JSON' => sub { my $m = shift;
        ([path => '/leak/raise?json'], [422, '{"detail":{"loc":["query"],"n":0.5}}',
                                        { 'x-only-json' => $m }]) },
    'FastExcRaise default' => sub { my $m = shift;
        ([path => '/leak/raise?tea'], [418, $tea, { 'x-tea-leak' => $m }]) },
    'SetHandler fastexc' => sub { my $m = shift;
        ([path => '/leak/handler/x'], [404, qq({"detail":"no route for $m"}),
                                       { 'x-route' => $m }]) },
    'C API default with a header' => sub { my $m = shift;
        ([@api, headers => [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 418],
                            ['X-Raise-Header', "X-Api-$m: $m"]]],
         [418, $tea, { lc "x-api-$m" => $m }]) },
    'C API default' => sub { my $m = shift;
        ([@api, headers => [['X-Raise-Phase', 'fixups'], ['X-Raise-Status', 418]]],
         [418, $tea, {}]) },
    'C API text' => sub { my $m = shift;
        ([@api, headers => [['X-Raise-Phase', 'access_checker'], ['X-Raise-Status', 409],
                            ['X-Raise-Text', "api $m"], ['X-Raise-Header', "X-Api-$m: $m"]]],
         [409, qq({"detail":"api $m"}), { lc "x-api-$m" => $m }]) },
    'C API JSON' => sub { my $m = shift;
        ([@api, headers => [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 422],
                            ['X-Raise-Json', qq({"m":"$m"})]]],
         [422, qq({"detail":{"m":"$m"}}), {}]) },
    'notes text' => sub { my $m = shift;
        ([path => "/lua/raise.lua?status=409&text=note%20$m"],
         [409, qq({"detail":"note $m"}), { 'x-from-lua' => 'yes' }]) },
    'notes JSON' => sub { my $m = shift;
        ([path => "/lua/raise.lua?status=422&json=%7B%22m%22%3A%22$m%22%7D"],
         [422, qq({"detail":{"m":"$m"}}), { 'x-from-lua' => 'yes' }]) },
    'notes, invalid JSON: default' => sub { my $m = shift;
        ([path => "/lua/raise.lua?status=418&json=%7B$m"],
         [418, $tea, { 'x-from-lua' => 'yes' }]) },
    'a static file' => sub { my $m = shift;
        ([path => '/static/file.txt'], [200, "static file, 22 bytes\n", {}]) },
);
my %server_own = map { $_ => 1 } qw(date server content-length content-type
                                    keep-alive connection last-modified etag
                                    accept-ranges);

# 7 of each kind, shuffled: 84 requests, below MaxKeepAliveRequests (100)
my @plan = shuffle((sort keys %kinds) x 7);
my $sock = fx_connect();
my $i = 0;
for my $kind (@plan) {
    my $m = sprintf 'm%03d', ++$i;
    my ($req, $want) = $kinds{$kind}->($m);
    my %req = @$req;
    push @{ $req{headers} }, ['X-Leak', $m];
    fx_send($sock, %req, close => 0);
    my $res = eval { fx_read_response($sock) };
    if (!$res) {
        fail("request $i ($kind): no response on the kept-alive connection: $@");
        last;
    }
    my %extra = map { lc($_->[0]) => $_->[1] }
                grep { !$server_own{lc $_->[0]} } @{ $res->{header_list} };
    is_deeply([$res->{status}, $res->{body}, \%extra], $want,
              "request $i, $kind: status, body and headers its own");
}
is($i, scalar @plan, 'every request answered on one connection');
close $sock;

done_testing();
