# Conformance with FastAPI: the same exceptions raised by Debian's FastAPI
# (t/fastapi/app.py under uvicorn on 127.0.0.1) and by mod_fastexc
# (t/conf/extra.conf.in, the C API, the notes API) must give the same status,
# reason phrase, Content-Type, Content-Length, given headers and body bytes.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

my $python = $ENV{FASTEXC_PYTHON} || '/usr/bin/python3';
plan skip_all => "FastAPI/uvicorn not importable by $python"
    if system($python, '-c', 'import fastapi, uvicorn') != 0;

my $port = fx_free_port();
eval { fx_start_uvicorn($python, $port); 1 } or BAIL_OUT($@);
my $fastapi = "127.0.0.1:$port";

# label, FastAPI path, httpd path, request headers, given headers to compare
my @cases = (
    ['text detail', '/conf/text'],
    ['default detail', '/conf/default'],
    ['418 and a header', '/conf/teapot', undef, [], ['X-Tea']],
    ['JSON detail: nesting, floats, order, unicode', '/conf/json'],
    ['JSON array detail', '/conf/array'],
    ['escapes', '/conf/escapes'],
    ['raw UTF-8', '/conf/unicode'],
    ['interpolated request value', '/conf/template', undef,
     [['X-Id', q(a"b\\c},"x":{ <tag>)]]],
    ['401 with WWW-Authenticate', '/conf/auth', undef, [], ['WWW-Authenticate']],
    ['503 with Retry-After', '/conf/retry', undef, [], ['Retry-After']],
    ['given Content-Type', '/conf/ctype'],
    ['status without a phrase', '/conf/299'],
    ['425, unknown to httpd', '/conf/425'],
    ['204', '/conf/204'],
    ['304', '/conf/304'],
    ['HEAD', '/conf/text', undef, [], [], 'HEAD'],
    ['no route vs FastExc On 404', '/conf/no-such-thing', '/conf/missing/x'],
    ['C API, JSON detail', '/conf/json', '/api/x',
     [['X-Raise-Phase', 'handler'], ['X-Raise-Status', 422],
      ['X-Raise-Json', '{"loc":["body","name"],"msg":"field required",'
        . '"type":"value_error.missing","ctx":{"limit":0.1,"big":1e16,'
        . '"small":1.5e-7,"neg":-0.0,"int":-7},"ok":true,"none":null,'
        . qq("\xc3\xbc":"\xe2\x82\xac \xe2\x9c\x93"})]]],
    ['C API, headers', '/conf/auth', '/api/x',
     [['X-Raise-Phase', 'access_checker'], ['X-Raise-Status', 401],
      ['X-Raise-Text', 'Not authenticated'],
      ['X-Raise-Header', 'WWW-Authenticate: Bearer']], ['WWW-Authenticate']],
    ['notes API from mod_lua', '/conf/text',
     '/lua/raise.lua?status=404&text=Item%20not%20found'],
);

for my $c (@cases) {
    my ($label, $ref_path, $our_path, $req, $given, $method) = @$c;
    $our_path ||= $ref_path;
    $method ||= 'GET';
    my $ref = fx_request(hostport => $fastapi, method => $method,
                         path => $ref_path, headers => $req);
    my $our = fx_request(method => $method, path => $our_path, headers => $req);
    is($our->{status}, $ref->{status}, "$label: status");
    is($our->{reason}, $ref->{reason}, "$label: reason phrase");
    for my $h ('content-type', 'content-length', map { lc } @{ $given || [] }) {
        is(join(',', @{ $our->{headers}{$h} || [] }),
           join(',', @{ $ref->{headers}{$h} || [] }), "$label: $h");
    }
    is($our->{body}, $ref->{body}, "$label: body bytes");
}

# Deliberate differences (README, "Where mod_fastexc differs from FastAPI").
# Non-ASCII request header bytes: Starlette decodes them as Latin-1, so
# UTF-8 "é" comes back as "Ã©"; mod_fastexc keeps UTF-8.
{
    my @req = (['X-Id', "\xc3\xa9"]);
    my $ref = fx_request(hostport => $fastapi, path => '/conf/template',
                         headers => \@req);
    my $our = fx_request(path => '/conf/template', headers => \@req);
    is($ref->{body}, "{\"detail\":\"bad id \xc3\x83\xc2\xa9\"}",
       'non-ASCII header: FastAPI reads Latin-1');
    is($our->{body}, "{\"detail\":\"bad id \xc3\xa9\"}",
       'non-ASCII header: mod_fastexc keeps UTF-8');
}

# 205 has no
# body here (RFC 9110, FastAPI >= 0.109.1); Debian's FastAPI 0.92 sends one.
{
    my $ref = fx_request(hostport => $fastapi, path => '/conf/205');
    my $our = fx_request(path => '/raise/205');
    is($our->{status}, 205, '205: status');
    is($our->{body}, '', '205: no body from mod_fastexc');
}

done_testing();
