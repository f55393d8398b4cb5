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
FastExcDetail 404 "for JSON clients" "expr=%{HTTP:Accept} =~ /json/"
FastExcDetail 404 "nothing here"
<Location /x>
    FastExcBackendErrors all
    FastExcRaise Off
    FastExcDetail 404 -
</Location>
FastExcWebSocket 1008 "Policy violated" "expr=%{QUERY_STRING} == 'x'"
FastExcWebSocket 4000
FastExcWebSocketReject http 429
FastExcWebSocketBackendError 1011 "backend unavailable"
FastExcWebSocketCloseTimeout 1500ms
FastExcWebSocketTunnelClose On
FastExcWebSocketTunnelClose backend 4011 "backend lost ✓"
FastExcWebSocketTunnelClose timeout 1001
FastExcWebSocketTunnelClose restart Off
FastExcWebSocketTunnelClose stop 4100 "Back in a moment"
FastExcWebSocketTunnelCloseSpread 1500ms
FastExcRaiseEarly On
FastExcFormat problem
FastExcProblemType https://example.com/probs/out-of-credit
FastExcProblemInstance "urn:uuid:%{HTTP:X-Request-Id}"
<Location /tmpl>
    FastExcFormat template '{"error":{"code":"%{status}","message":"%{detail}","id":"%{HTTP:X-Request-Id}"}}' type=application/vnd.example+json absent=omit
</Location>
FastExcLogLevel notice
FastExcBackendErrors NonJSON
FastExcNegotiate On
<Location /y>
    FastExcBackendErrors Off
    FastExcNegotiate Off
    FastExcLogLevel debug
    FastExcFormat fastapi
    FastExcProblemType about:blank
    FastExcWebSocket Off
    FastExcWebSocketReject close
    FastExcWebSocketBackendError Off
    FastExcWebSocketTunnelClose Off
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
    ['FastExcDetail: bad expr', 'FastExcDetail 404 x "expr=%{REQUEST_URI"',
     qr/FastExcDetail: cannot parse expr=/],
    ['FastExcDetail: expr twice', 'FastExcDetail 404 x expr=true expr=false',
     qr/FastExcDetail: expr= given twice/],
    ['FastExcDetail twice for a status without condition',
     "FastExcDetail 404 a\nFastExcDetail 404 b",
     qr/FastExcDetail: status 404 already has a detail without condition in this scope, at \S+:\d+: a rule after it would never be used/],
    ['FastExcDetail: a condition after the fallback',
     "FastExcDetail 404 a\nFastExcDetail 404 b expr=true",
     qr/FastExcDetail: status 404 already has a detail without condition in this scope/],
    ['FastExcDetail: conditions, then a fallback: accepted',
     "FastExcDetail 404 a expr=true\nFastExcDetail 404 b \"expr=-n %{HTTP:X}\"\nFastExcDetail 404 c\nFastExcDetail 403 d",
     undef],
    ['FastExc not a flag', 'FastExc Maybe', qr/FastExc must be On or Off/],
    # httpd's FLAG ignored what came after the word
    ['FastExc with words after it', 'FastExc On Off',
     qr/FastExc must be On or Off/],
    ['FastExc without a word', 'FastExc', qr/FastExc must be On or Off/],
    ['FastExcWebSocketRaiseCode for a success', 'FastExcWebSocketRaiseCode 200 1008',
     qr/FastExcWebSocketRaiseCode: "200" is not an error status \(400-599\), 4xx or 5xx/],
    ['FastExcWebSocketRaiseCode for 3xx', 'FastExcWebSocketRaiseCode 3xx 1008',
     qr/FastExcWebSocketRaiseCode: "3xx" is not an error status/],
    ['FastExcWebSocketRaiseCode reserved code', 'FastExcWebSocketRaiseCode 404 1006',
     qr/FastExcWebSocketRaiseCode: close code 1006: 1004, 1005, 1006 and 1015 are reserved/],
    ['FastExcWebSocketRaiseCode not a code', 'FastExcWebSocketRaiseCode 5xx soon',
     qr/FastExcWebSocketRaiseCode: "soon" is not a close code/],
    ['FastExcWebSocketRaiseCode without a code', 'FastExcWebSocketRaiseCode 404',
     qr/FastExcWebSocketRaiseCode takes two arguments/],
    ['reserved close code', 'FastExcWebSocket 1005',
     qr/FastExcWebSocket: close code 1005: 1004, 1005, 1006 and 1015 are reserved/],
    ['unassigned close code', 'FastExcWebSocket 2000 x',
     qr/FastExcWebSocket: close code 2000: a close code must be 1000-1003, 1007-1014 or 3000-4999/],
    ['close code not a number', 'FastExcWebSocket abc',
     qr/FastExcWebSocket: "abc" is not a close code/],
    ['reason over 123 bytes', 'FastExcWebSocket 1000 ' . ('r' x 124),
     qr/FastExcWebSocket: the reason is 124 bytes; a close reason is at most 123/],
    ['reason not UTF-8', "FastExcWebSocket 1000 \"bad \xff\"",
     qr/FastExcWebSocket: the reason is not valid UTF-8/],
    ['unknown WebSocket option', 'FastExcWebSocket 1000 x foo',
     qr/FastExcWebSocket: "foo" is not an option of this directive/],
    ['Reject mode', 'FastExcWebSocketReject maybe',
     qr/FastExcWebSocketReject: "maybe" is not close or http/],
    ['Reject http with a success status', 'FastExcWebSocketReject http 200',
     qr/FastExcWebSocketReject: http takes an error status \(400-599\)/],
    ['Reject http without phrase', 'FastExcWebSocketReject http 499',
     qr/FastExcWebSocketReject: status 499 has no standard reason phrase/],
    ['expr= on BackendError', 'FastExcWebSocketBackendError 1011 x expr=true',
     qr/FastExcWebSocketBackendError: "expr=true" is not an option/],
    ['close timeout not a time', 'FastExcWebSocketCloseTimeout soon',
     qr/FastExcWebSocketCloseTimeout: "soon" is not a time/],
    ['close timeout too long', 'FastExcWebSocketCloseTimeout 301',
     qr/FastExcWebSocketCloseTimeout: at most 300 seconds/],
    ['tunnel close without arguments', 'FastExcWebSocketTunnelClose',
     qr/FastExcWebSocketTunnelClose: "" is not On, Off, or an end/],
    ['tunnel close: unknown end', 'FastExcWebSocketTunnelClose crash 1011',
     qr/FastExcWebSocketTunnelClose: "crash" is not On, Off, or an end \(backend, timeout, restart, stop\)/],
    ['tunnel close: stop without code', 'FastExcWebSocketTunnelClose stop',
     qr/FastExcWebSocketTunnelClose: "stop" is not On, Off, or an end/],
    ['early in a <Directory>', "<Directory /tmp>\nFastExcRaiseEarly On\n</Directory>",
     qr/FastExcRaiseEarly: only in the server, a virtual host or <Location>/],
    ['early not a flag', 'FastExcRaiseEarly maybe',
     qr/FastExcRaiseEarly must be On or Off/],
    ['spread not a time', 'FastExcWebSocketTunnelCloseSpread soon',
     qr/FastExcWebSocketTunnelCloseSpread: "soon" is not a time/],
    ['spread too long', 'FastExcWebSocketTunnelCloseSpread 2h',
     qr/FastExcWebSocketTunnelCloseSpread: at most 3600 seconds/],
    ['spread in a virtual host: one schedule per child',
     "<VirtualHost *:65001>\nFastExcWebSocketTunnelCloseSpread 10\n</VirtualHost>",
     qr/FastExcWebSocketTunnelCloseSpread cannot occur within <VirtualHost> section/],
    ['spread in a <Location>',
     "<Location /l>\nFastExcWebSocketTunnelCloseSpread 10\n</Location>",
     qr/FastExcWebSocketTunnelCloseSpread not allowed in <Location> context/],
    ['tunnel close: end without code', 'FastExcWebSocketTunnelClose backend',
     qr/FastExcWebSocketTunnelClose: "backend" is not On, Off, or an end/],
    ['tunnel close: code not sendable', 'FastExcWebSocketTunnelClose backend 1006',
     qr/FastExcWebSocketTunnelClose: close code 1006/],
    ['tunnel close: not a code', 'FastExcWebSocketTunnelClose timeout soon',
     qr/FastExcWebSocketTunnelClose: "soon" is not a close code/],
    ['tunnel close: reason too long',
     'FastExcWebSocketTunnelClose restart 1012 ' . ('r' x 124),
     qr/FastExcWebSocketTunnelClose: the reason is 124 bytes; a close reason is at most 123/],
    ['tunnel close: reason not UTF-8',
     "FastExcWebSocketTunnelClose restart 1012 \"caf\xe9\"",
     qr/FastExcWebSocketTunnelClose: the reason is not valid UTF-8/],
    ['tunnel close: Off takes nothing more',
     'FastExcWebSocketTunnelClose backend Off now',
     qr/FastExcWebSocketTunnelClose: backend Off takes no other argument/],
    ['tunnel close: On takes nothing more', 'FastExcWebSocketTunnelClose On 1011',
     qr/FastExcWebSocketTunnelClose: On takes no other argument/],
    ['FastExcNegotiate not a flag', 'FastExcNegotiate html',
     qr/FastExcNegotiate must be On or Off/],
    ['FastExcNegotiate with words after it', 'FastExcNegotiate On json',
     qr/FastExcNegotiate must be On or Off/],
    ['FastExcNegotiate without a word', 'FastExcNegotiate',
     qr/FastExcNegotiate must be On or Off/],
    ['FastExcNegotiate inside <Limit>',
     "<Location /l>\n<Limit GET>\nFastExcNegotiate On\n</Limit>\n</Location>",
     qr/FastExcNegotiate cannot occur within <Limit> or <LimitExcept> section/],
    ['unknown log level', 'FastExcLogLevel loud',
     qr/FastExcLogLevel: "loud" is not a level/],
    ['unknown format', 'FastExcFormat xml',
     qr/FastExcFormat: "xml" is not fastapi, problem or template/],
    ['template: none given', 'FastExcFormat template',
     qr/FastExcFormat: template needs the template, a JSON object/],
    ['template: not JSON', q(FastExcFormat template '{"a":'),
     qr/FastExcFormat: the template is not JSON: invalid JSON at line 1/],
    ['template: a placeholder unquoted',
     q(FastExcFormat template '{"code":%{status}}'),
     qr/FastExcFormat: the template is not JSON/],
    ['template: not an object', q(FastExcFormat template '["%{detail}"]'),
     qr/FastExcFormat: the template is not a JSON object/],
    ['template: a duplicate key', q(FastExcFormat template '{"a":1,"a":2}'),
     qr/FastExcFormat: the template is not JSON: .*duplicate/],
    ['template: a placeholder in a key',
     q(FastExcFormat template '{"%{status}":"x"}'),
     qr/FastExcFormat: \$: a placeholder in the key "%\{status\}"/],
    ['template: an ap_expr that does not parse',
     q(FastExcFormat template '{"e":{"id":"%{nosuchvar}"}}'),
     qr/FastExcFormat: \$\.e\.id: cannot parse %\{nosuchvar\}/],
    ['template: an unterminated placeholder',
     q(FastExcFormat template '{"e":"%{status"}'),
     qr/FastExcFormat: \$\.e: /],
    ['template: a bad type', q(FastExcFormat template '{}' type=json),
     qr/FastExcFormat: type "json" is not a media type/],
    ['template: an unknown option', q(FastExcFormat template '{}' absent=skip),
     qr/FastExcFormat: "absent=skip" is not type=<media type>, absent=null or absent=omit/],
    ['template: fastapi takes nothing more', 'FastExcFormat fastapi x',
     qr/FastExcFormat: fastapi takes no other argument/],
    ['problem instance: not UTF-8', qq(FastExcProblemInstance "urn:\xff"),
     qr/FastExcProblemInstance: not valid UTF-8/],
    ['problem instance: an ap_expr that does not parse',
     'FastExcProblemInstance "urn:%{nosuchvar}"',
     qr/FastExcProblemInstance: cannot parse %\{nosuchvar\}/],
    ['backend errors: unknown value', 'FastExcBackendErrors HTML',
     qr/FastExcBackendErrors: "HTML" is not Off, NonJSON or All/],
    ['backend errors: On is not a value', 'FastExcBackendErrors On',
     qr/FastExcBackendErrors: "On" is not Off, NonJSON or All/],
    ['backend errors: one value only', 'FastExcBackendErrors NonJSON All',
     qr/FastExcBackendErrors takes one argument/],
    ['problem type not a URI', 'FastExcProblemType out-of-credit',
     qr/FastExcProblemType: "out-of-credit" is not an absolute URI/],
    ['problem type with a space', 'FastExcProblemType "https://e.com/a b"',
     qr/FastExcProblemType: .* is not an absolute URI/],
    ['inside <Limit>',
     "<Location /l>\n<Limit GET>\nFastExcRaise 404\n</Limit>\n</Location>",
     qr/FastExcRaise cannot occur within <Limit> or <LimitExcept> section/],
);

# The module needs no other module: it loads, WebSocket directives and all,
# without mod_proxy (it uses no proxy symbol).
(my $no_proxy = $modules) =~ s/^LoadModule proxy\S* .*\n//mg;
push @cases, ['loads without mod_proxy', $good, undef, $no_proxy];

my $n = 0;
for my $c (@cases) {
    my ($label, $conf, $want, $mods) = @$c;
    $n++;
    my $file = "$dir/case$n.conf";
    open my $out, '>', $file or die "$file: $!";
    print $out "ServerRoot $dir\nServerName localhost\nListen 127.0.0.1:65001\n",
               "PidFile $dir/pid\nErrorLog $dir/error_log\n", $mods // $modules,
               "\n",
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

# A detail that looks like a header is a warning (FX0012), not an error:
# `httpd -t` shows it on stderr; a started server writes it to its error
# log, where operators look (it went to stderr only, the log not yet open).
{
    my $port = do {
        require IO::Socket::INET;
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1);
        my $p = $s->sockport;
        close $s;
        $p;
    };
    my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
    my $file = "$dir/warn.conf";
    open my $out, '>', $file or die "$file: $!";
    print $out "ServerRoot $dir\nServerName localhost\nListen 127.0.0.1:$port\n",
               "PidFile $dir/warn.pid\nErrorLog $dir/warn_log\n",
               "DefaultRuntimeDir $dir\nMutex file:$dir default\n$user",
               $modules, "\nFastExcRaise 404 \"X-Reason: gone\"\n";
    close $out;
    my $output = `'$httpd' -t -f '$file' 2>&1`;
    is($? >> 8, 0, 'a detail that looks like a header: accepted');
    like($output, qr/FX0012: FastExcRaise at .*: the detail "X-Reason: gone" looks like a header/,
         'httpd -t: the warning on stderr');
    my $started = `'$httpd' -k start -f '$file' 2>&1`;
    is($? >> 8, 0, 'started') or diag($started);
    unlike($started, qr/FX0012/, 'started: nothing on stderr');
    my $log = '';
    for (1 .. 50) {
        if (open my $in, '<', "$dir/warn_log") { $log = do { local $/; <$in> } }
        last if $log =~ /resuming normal operations/;
        select undef, undef, undef, 0.1;
    }
    like($log, qr/\[fastexc:warn\].*FX0012: FastExcRaise at .*looks like a header/,
         'started: the warning in the error log');
    `'$httpd' -k stop -f '$file' 2>&1`;
    for (1 .. 50) { last unless -e "$dir/warn.pid"; select undef, undef, undef, 0.1 }
}

done_testing();
