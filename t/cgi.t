# What CGI scripts can and cannot do with mod_fastexc (README, "CGI
# scripts"), under mod_cgid (event MPM) and mod_cgi (prefork), in a scope
# with FastExc On and an ErrorDocument text:
#   a script's Status: 404 is sent by mod_cgi(d) itself, outside httpd's
#       error path: its own body, or an empty one, never JSON, and no
#       ErrorDocument either;
#   a Location: that is a local path, without a Status: line, hands the
#       request over to a location that raises (detail from the query);
#       with a Status: line, no hand-over;
#   a FastExcRaise with expr= in the script's scope raises in fixups: the
#       script never runs.
# One throwaway httpd per MPM.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use FastExcThrowaway;

my @setups = grep { fxt_have_module($_->[0]) && fxt_have_module("mpm_$_->[1]") }
    (['cgid', 'event'], ['cgi', 'prefork']);
plan skip_all => 'neither mod_cgid nor mod_cgi' unless @setups;

my $dir = fxt_tempdir();
mkdir "$dir/ran" or die $!;
chmod 0777, "$dir/ran";    # the scripts run as nobody
mkdir "$dir/cgi-bin" or die $!;
chmod 0755, "$dir/cgi-bin";

my %scripts = (
    'status-body' => "printf 'Status: 404 Not Found\\r\\nContent-Type: text/plain\\r\\n\\r\\nno such item\\n'",
    'status-empty' => "printf 'Status: 404\\r\\n\\r\\n'",
    'handover' => "printf 'Location: /raise/404?Item%%20not%%20found\\r\\n\\r\\n'",
    'handover-status' => "printf 'Status: 404\\r\\nLocation: /raise/404?Item%%20not%%20found\\r\\n\\r\\n'",
    'guarded' => "touch \"$dir/ran/\$RAN_AS\"\nprintf 'Content-Type: text/plain\\r\\n\\r\\nran\\n'",
);
for my $name (keys %scripts) {
    my $f = "$dir/cgi-bin/$name";
    open my $fh, '>', $f or die "$f: $!";
    print $fh "#!/bin/sh\n$scripts{$name}\n";
    close $fh;
    chmod 0755, $f;
}

my $html = 'text/html; charset=iso-8859-1';
my @cases = (
    { label => "FastExc On in the scope: httpd's own 404 is JSON",
      path => '/cgi-bin/no-such-script', status => 404,
      ctype => 'application/json', body => '{"detail":"From ErrorDocument"}' },
    { label => "Status: 404 with a body: the script's answer", path => '/cgi-bin/status-body',
      status => 404, ctype => 'text/plain', body => "no such item\n" },
    { label => 'Status: 404, no body: empty, no JSON, no ErrorDocument',
      path => '/cgi-bin/status-empty', status => 404, ctype => undef, body => '' },
    { label => 'Location: a local path, no Status: the location raises',
      path => '/cgi-bin/handover', status => 404, ctype => 'application/json',
      body => '{"detail":"Item not found"}' },
    { label => 'Location with Status: 404: no hand-over',
      path => '/cgi-bin/handover-status', status => 404, ctype => undef, body => '' },
    { label => 'the raising location asked for directly',
      path => '/raise/404?Something%20else', status => 404,
      ctype => 'application/json', body => '{"detail":"Not Found"}' },
    { label => 'FastExcRaise in the scope, no Authorization: 401',
      path => '/cgi-bin/guarded', status => 401, ctype => 'application/json',
      body => '{"detail":"Not authenticated"}', ran => 0,
      headers => { 'www-authenticate' => 'Bearer' } },
    { label => 'FastExcRaise in the scope, with Authorization: the script',
      path => '/cgi-bin/guarded', auth => 1, status => 200, ctype => 'text/plain',
      body => "ran\n", ran => 1 },
);

for my $s (@setups) {
    my ($cgi, $mpm) = @$s;
    my $port = fx_free_port();
    my $srv = fxt_httpd_start(dir => $dir, name => "$cgi-$mpm",
        modules => ["mpm_$mpm", qw(authz_core alias env), $cgi], ports => [$port],
        conf => <<"EOF");
Listen 127.0.0.1:$port
DocumentRoot $dir/cgi-bin
@{[ $cgi eq 'cgid' ? "ScriptSock $dir/cgid.sock" : '' ]}
ScriptAlias /cgi-bin/ $dir/cgi-bin/
FastExc On
ErrorDocument 404 "From ErrorDocument"
<Location /raise/404>
    SetHandler fastexc
    FastExcRaise 404 "%{unescape:%{QUERY_STRING}}" "expr=-n %{ENV:REDIRECT_STATUS}"
</Location>
<Location /cgi-bin/guarded>
    SetEnv RAN_AS $cgi
    FastExcRaise 401 "Not authenticated" "WWW-Authenticate: Bearer" "expr=-z %{HTTP:Authorization}"
</Location>
EOF
    for my $c (@cases) {
        my $label = "$cgi ($mpm): $c->{label}";
        unlink "$dir/ran/$cgi";
        my $res = fxt_http($port, path => $c->{path},
            headers => $c->{auth} ? [[Authorization => 'Bearer x']] : []);
        is($res->{status}, $c->{status}, "$label: status");
        is($res->{body}, $c->{body}, "$label: body");
        my $ct = $res->{headers}{'content-type'};
        is($ct ? $ct->[0] : undef, $c->{ctype}, "$label: Content-Type");
        for my $h (sort keys %{ $c->{headers} || {} }) {
            is(join(', ', @{ $res->{headers}{$h} || [] }), $c->{headers}{$h},
               "$label: $h");
        }
        is(-e "$dir/ran/$cgi" ? 1 : 0, $c->{ran}, "$label: the script "
           . ($c->{ran} ? 'ran' : 'never ran')) if defined $c->{ran};
    }
    fxt_httpd_stop($srv);
}

done_testing();
