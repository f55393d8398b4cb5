# The notes API, from mod_lua: fastexc-detail and fastexc-detail-json.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;

plan skip_all => 'mod_lua is not loaded' unless need_module('lua');

my @cases = (
    { label => 'text note', path => '/lua/raise.lua?status=418&text=from%20lua',
      status => 418, reason => "I'm a Teapot",
      body => '{"detail":"from lua"}',
      headers => { 'Content-Type' => 'application/json',
                   'X-From-Lua' => 'yes' } },
    { label => 'JSON note',
      path => '/lua/raise.lua?status=422&json=%7B%22a%22%3A%5B1%2C2.5%5D%7D',
      status => 422, body => '{"detail":{"a":[1,2.5]}}' },
    { label => 'text note with JSON metacharacters',
      path => '/lua/raise.lua?status=400&text=%22%7D%2C%22x%22%3A1',
      status => 400, body => '{"detail":"\"},\"x\":1"}', json => 1 },
    { label => 'no note, outside FastExc On: httpd renders it',
      path => '/lua/raise.lua?status=404', status => 404,
      headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } },
    { label => 'invalid JSON note: status kept, default detail',
      path => '/lua/raise.lua?status=409&json=%7Bbroken',
      status => 409, body => '{"detail":"Conflict"}' },
);

for my $c (@cases) {
    fx_check($c->{label}, fx_request(path => $c->{path}), $c);
}

done_testing();
