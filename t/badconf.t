# Bad configuration is refused by `httpd -t` with a message that names the
# directive and the problem; a good configuration passes the same harness.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);

my $httpd = Apache::Test::vars('httpd');
my $t_conf = Apache::Test::vars('t_conf');
my $dir = tempdir(CLEANUP => 1);

# the module lines of the suite (scripts/apache-test.sh writes them)
open my $fh, '<', "$t_conf/modules.load" or die "modules.load: $!";
my $modules = do { local $/; <$fh> };
close $fh;

my $good = <<'CONF';
FastExc On
FastExcRaise 404 "Item not found" "X-A: b" "expr=%{REQUEST_URI} =~ /x/"
FastExcRaise 418
FastExcRaise 422 'json:{"a":[1,2.5,null]}'
FastExcRaise 400 "id %{HTTP:X-Id}" "X-Echo: %{HTTP:X-Id}"
FastExcDetail 404 "nothing here"
<Location /x>
    FastExcRaise Off
    FastExcDetail 404 -
</Location>
CONF

my @cases = (
    # label, configuration, expected error (undef: must pass)
    ['good: every directive', $good, undef],
    ['status not a number', 'FastExcRaise abc',
     qr/FastExcRaise: "abc" is not a status/],
    ['status out of range', 'FastExcRaise 600 x',
     qr/FastExcRaise: status 600: the status must be between 200 and 599/],
    ['1xx status', 'FastExcRaise 101',
     qr/FastExcRaise: status 101: a 1xx status is informational/],
    ['no status', 'FastExcRaise', qr/FastExcRaise/],
    ['no phrase, no detail', 'FastExcRaise 299',
     qr/FastExcRaise: status 299 has no standard reason phrase: give a detail/],
    ['bad JSON', q(FastExcRaise 400 'json:{"a":'),
     qr/FastExcRaise: json: detail: invalid JSON at line 1/],
    ['duplicate JSON key', q(FastExcRaise 400 'json:{"a":1,"a":2}'),
     qr/FastExcRaise: json: detail: .*duplicate/],
    ['JSON NaN', 'FastExcDetail 400 json:NaN',
     qr/FastExcDetail: json: detail: invalid JSON/],
    ['invalid UTF-8 detail', "FastExcRaise 400 \"bad \xff\"",
     qr/FastExcRaise: the detail is not valid UTF-8/],
    ['CR in a header value', "FastExcRaise 400 x \"X-A: b\rSet-Cookie: c\"",
     qr/FastExcRaise: the value of header X-A holds a control character/],
    ['bad header name', 'FastExcRaise 400 x "Bad Name: v"',
     qr/FastExcRaise: "Bad Name" is not a valid header name/],
    ['Content-Length given', 'FastExcRaise 400 x "Content-Length: 3"',
     qr/FastExcRaise: Content-Length is computed by httpd/],
    ['unknown option', 'FastExcRaise 400 x nonsense',
     qr/FastExcRaise: "nonsense" is not a header/],
    ['bad expr', 'FastExcRaise 400 x "expr=%{REQUEST_URI"',
     qr/FastExcRaise: cannot parse expr=/],
    ['expr twice', 'FastExcRaise 400 x expr=true expr=false',
     qr/FastExcRaise: expr= given twice/],
    ['unterminated template', 'FastExcRaise 400 "at %{REQUEST_URI"',
     qr/FastExcRaise: unterminated %\{/],
    ['unknown variable in template', 'FastExcRaise 400 "at %{NO_SUCH_VAR}"',
     qr/FastExcRaise: cannot parse %\{NO_SUCH_VAR\}/],
    ['bad template in a header', 'FastExcRaise 400 x "X-A: %{"',
     qr/FastExcRaise: header X-A: unterminated/],
    ['Off with arguments', 'FastExcRaise Off 404',
     qr/FastExcRaise: Off takes no other argument/],
    ['expr= on FastExcDetail', 'FastExcDetail 404 x expr=true',
     qr/FastExcDetail: expr= is not an option of this directive/],
    ['FastExcDetail twice for a status',
     "FastExcDetail 404 a\nFastExcDetail 404 b",
     qr/FastExcDetail: status 404 is already given in this scope/],
    ['FastExc not a flag', 'FastExc Maybe', qr/FastExc must be On or Off/],
    ['inside <Limit>',
     "<Location /l>\n<Limit GET>\nFastExcRaise 404\n</Limit>\n</Location>",
     qr/FastExcRaise cannot occur within <Limit> or <LimitExcept> section/],
);

my $n = 0;
for my $c (@cases) {
    my ($label, $conf, $want) = @$c;
    $n++;
    my $file = "$dir/case$n.conf";
    open my $out, '>', $file or die "$file: $!";
    print $out "ServerRoot $dir\nServerName localhost\nListen 127.0.0.1:65001\n",
               "PidFile $dir/pid\nErrorLog $dir/error_log\n", $modules, "\n",
               $conf, "\n";
    close $out;
    my $output = `'$httpd' -t -f '$file' 2>&1`;
    my $rc = $? >> 8;
    if (defined $want) {
        isnt($rc, 0, "$label: refused");
        like($output, $want, "$label: message") or diag($output);
    }
    else {
        is($rc, 0, "$label: accepted") or diag($output);
        like($output, qr/Syntax OK/, "$label: Syntax OK");
    }
}

done_testing();
