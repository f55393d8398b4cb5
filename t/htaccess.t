# Every directive of the module in a .htaccess file. Each is written in the
# same .htaccess under several AllowOverride settings:
#   FileInfo, All, or None + AllowOverrideList <the directive>: it has its
#       effect (the directives are RSRC_CONF | ACCESS_CONF | OR_FILEINFO);
#   None: httpd does not read the file: the directive is ignored, silently;
#   AuthConfig (a class the directive is not in): 500, and the error_log
#       says "<directive> not allowed here".
# What each directive does is seen on the wire: status, headers and body
# bytes, Close frames, the time a silent client is waited for, the level
# of the log line. Its own httpd (event MPM), .htaccess files written at
# run time; proxied cases go through mod_rewrite's [P] in <Directory>.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use FastExcThrowaway;

my $dir = fxt_tempdir();
my $docroot = "$dir/htdocs";
my $backend = fxt_backend_start(dir => $dir);
my $dead = fx_free_port();      # nothing listens there
my $port = fx_free_port();

my $file = "a file\n";
my $html404 = qr{^<!DOCTYPE HTML PUBLIC .*<title>404 Not Found</title>}s;
my $html503 = qr{<title>503 Service Unavailable</title>};

# key => the directive, what its .htaccess says, what the enclosing
# <Directory> gives it to work with, the request (path under the
# directory), and what comes back with the directive in effect (on) or
# ignored (off).
my @directives = (
    { key => 'exc', name => 'FastExc', ht => 'FastExc On',
      req => 'missing',
      on => { status => 404, ctype => 'application/json',
              body => '{"detail":"Not Found"}' },
      off => { status => 404, ctype => 'text/html; charset=iso-8859-1',
               body_like => $html404 } },
    { key => 'raise', name => 'FastExcRaise',
      ht => 'FastExcRaise 418 "from .htaccess" "X-Ht: yes"',
      req => 'file.txt',
      on => { status => 418, ctype => 'application/json',
              headers => { 'x-ht' => 'yes' },
              body => '{"detail":"from .htaccess"}' },
      off => { status => 200, headers => { 'x-ht' => undef },
               body => $file } },
    { key => 'detail', name => 'FastExcDetail',
      ht => 'FastExcDetail 404 "no such item" "X-Ht: yes"',
      conf => 'FastExc On', req => 'missing',
      on => { status => 404, ctype => 'application/json',
              headers => { 'x-ht' => 'yes' },
              body => '{"detail":"no such item"}' },
      off => { status => 404, ctype => 'application/json',
               headers => { 'x-ht' => undef },
               body => '{"detail":"Not Found"}' } },
    { key => 'ws', name => 'FastExcWebSocket',
      ht => 'FastExcWebSocket 4003 "from .htaccess"',
      req => 'file.txt', ws => 1,
      on => { status => 101,
              bytes => fxt_close_frame(4003, 'from .htaccess') },
      off => { status => 200, body => $file } },
    { key => 'reject', name => 'FastExcWebSocketReject',
      ht => 'FastExcWebSocketReject http 429',
      conf => 'FastExcWebSocket 4003 "rejected"', req => 'file.txt', ws => 1,
      on => { status => 429, ctype => 'application/json',
              body => '{"detail":"rejected"}' },
      off => { status => 101, bytes => fxt_close_frame(4003, 'rejected') } },
    { key => 'backend', name => 'FastExcWebSocketBackendError',
      ht => 'FastExcWebSocketBackendError 1013 "try later"',
      conf => "RewriteEngine On\n"
              . "RewriteRule ^ws\$ ws://127.0.0.1:$dead/ws [P]",
      req => 'ws', ws => 1,
      on => { status => 101, bytes => fxt_close_frame(1013, 'try later') },
      off => { status => 503, body_like => $html503 } },
    { key => 'timeout', name => 'FastExcWebSocketCloseTimeout',
      ht => 'FastExcWebSocketCloseTimeout 200ms',
      conf => "FastExcWebSocket 4003 \"silent\"\n"
              . 'FastExcWebSocketCloseTimeout 4',
      req => 'file.txt', ws => 1, silent => 1,
      on => { status => 101, bytes => fxt_close_frame(4003, 'silent'),
              waited => [0.1, 2] },
      off => { status => 101, bytes => fxt_close_frame(4003, 'silent'),
               waited => [3.5, 9] } },
    { key => 'tunnel', name => 'FastExcWebSocketTunnelClose',
      ht => 'FastExcWebSocketTunnelClose On',
      conf => "RewriteEngine On\n"
              . "RewriteRule ^ws\$ ws://127.0.0.1:$backend/frame-close [P]",
      req => 'ws', ws => 1,
      on => { status => 101,
              bytes => "\x81\x02hi" . fxt_close_frame(1011, 'Backend went away') },
      off => { status => 101, bytes => "\x81\x02hi" } },
    { key => 'format', name => 'FastExcFormat', ht => 'FastExcFormat problem',
      conf => 'FastExcRaise 404 "missing item"', req => 'x',
      on => { status => 404, ctype => 'application/problem+json',
              body => '{"type":"about:blank","title":"Not Found","status":404,'
                      . '"detail":"missing item","instance":"PATH"}' },
      off => { status => 404, ctype => 'application/json',
               body => '{"detail":"missing item"}' } },
    { key => 'ptype', name => 'FastExcProblemType',
      ht => 'FastExcProblemType https://example.com/probs/missing',
      conf => "FastExcRaise 404 \"missing item\"\nFastExcFormat problem",
      req => 'x',
      on => { status => 404, ctype => 'application/problem+json',
              body => '{"type":"https://example.com/probs/missing",'
                      . '"title":"Not Found","status":404,'
                      . '"detail":"missing item","instance":"PATH"}' },
      off => { status => 404, ctype => 'application/problem+json',
               body => '{"type":"about:blank","title":"Not Found",'
                       . '"status":404,"detail":"missing item",'
                       . '"instance":"PATH"}' } },
    { key => 'tmpl', name => 'FastExcFormat',
      ht => qq(FastExcFormat template '{"e":"%{detail}","s":"%{status}"}'),
      conf => 'FastExcRaise 404 "missing item"', req => 'x',
      on => { status => 404, ctype => 'application/json',
              body => '{"e":"missing item","s":404}' },
      off => { status => 404, ctype => 'application/json',
               body => '{"detail":"missing item"}' } },
    { key => 'pinst', name => 'FastExcProblemInstance',
      ht => 'FastExcProblemInstance "urn:example:%{REQUEST_METHOD}"',
      conf => "FastExcRaise 404 \"missing item\"\nFastExcFormat problem",
      req => 'x',
      on => { status => 404, ctype => 'application/problem+json',
              body => '{"type":"about:blank","title":"Not Found","status":404,'
                      . '"detail":"missing item","instance":"urn:example:GET"}' },
      off => { status => 404, ctype => 'application/problem+json',
               body => '{"type":"about:blank","title":"Not Found",'
                       . '"status":404,"detail":"missing item",'
                       . '"instance":"PATH"}' } },
    { key => 'beerrors', name => 'FastExcBackendErrors',
      ht => 'FastExcBackendErrors NonJSON',
      # proxied to this server's own 404 (text/html)
      conf => "RewriteEngine On\n"
              . "RewriteRule ^be\$ http://127.0.0.1:$port/no-such-file [P]",
      req => 'be',
      on => { status => 404, ctype => 'application/json',
              body => '{"detail":"Not Found"}' },
      off => { status => 404, ctype => 'text/html; charset=iso-8859-1',
               body_like => $html404 } },
    { key => 'negotiate', name => 'FastExcNegotiate',
      ht => 'FastExcNegotiate On', conf => 'FastExcRaise 404 "negotiated"',
      req => 'x', req_headers => [['Accept', 'text/html']],
      on => { status => 404, ctype => 'text/html; charset=utf-8',
              headers => { 'vary' => 'Accept' },
              body_like => qr{<title>404 Not Found</title>.*<p>negotiated</p>}s },
      off => { status => 404, ctype => 'application/json',
               headers => { 'vary' => undef },
               body => '{"detail":"negotiated"}' } },
    { key => 'loglevel', name => 'FastExcLogLevel',
      ht => 'FastExcLogLevel notice',
      conf => 'FastExcRaise 404 "logged"', req => 'x',
      on => { status => 404, body => '{"detail":"logged"}',
              log => 'notice' },
      off => { status => 404, body => '{"detail":"logged"}',
               log => 'info' } },
);

# class => the AllowOverride lines, and what the directive does there
my @classes = (
    ['fileinfo', 'AllowOverride FileInfo', 'on'],
    ['all', 'AllowOverride All', 'on'],
    ['list', "AllowOverride None\n    AllowOverrideList NAME", 'on'],
    ['none', 'AllowOverride None', 'off'],
    ['authconfig', 'AllowOverride AuthConfig', 'error'],
);

# ---- the tree and the server -------------------------------------------------

my $dirs = '';
for my $class (@classes) {
    my ($cname, $override) = @$class;
    for my $d (@directives) {
        my $path = "$docroot/$cname/$d->{key}";
        system('mkdir', '-p', $path) == 0 or die "mkdir $path";
        for (['.htaccess', "$d->{ht}\n"], ['file.txt', $file]) {
            open my $fh, '>', "$path/$_->[0]" or die "$path/$_->[0]: $!";
            print $fh $_->[1];
            close $fh;
        }
        (my $ov = $override) =~ s/NAME/$d->{name}/;
        my $conf = join '', map { "    $_\n" } split /\n/, $d->{conf} // '';
        $dirs .= "<Directory $path>\n    $ov\n$conf</Directory>\n";
    }
}
# a value the directive refuses, in a .htaccess it may be in
system('mkdir', '-p', "$docroot/bad") == 0 or die 'mkdir';
{
    open my $fh, '>', "$docroot/bad/.htaccess" or die $!;
    print $fh qq(FastExcWebSocket 1005 "reserved"\n);
    close $fh;
}
$dirs .= "<Directory $docroot/bad>\n    AllowOverride FileInfo\n</Directory>\n";
system('chmod', '-R', 'a+rX', $docroot) == 0 or die 'chmod';

my $srv = fxt_httpd_start(dir => $dir, name => 'htaccess', ports => [$port],
    modules => [qw(mpm_event authz_core proxy proxy_http rewrite)],
    loglevel => 'info',
    conf => <<"EOF");
Listen 127.0.0.1:$port
DocumentRoot $docroot
Timeout 10
# the case a line belongs to
ErrorLogFormat "[%m:%l] [case %{X-Case}i] %M"
<Directory />
    AllowOverride None
</Directory>
$dirs
EOF

# ---- the cases ------------------------------------------------------------------

sub header {
    my ($res, $name) = @_;
    my $v = $res->{headers}{$name};
    return $v && join ', ', @$v;
}

my %seen;   # directive => class => what happened, for the summary
for my $class (@classes) {
    my ($cname, undef, $effect) = @$class;
    for my $d (@directives) {
        my $label = "$d->{name} in .htaccess, $cname";
        my $case = "$cname-$d->{key}";
        my $path = "/$cname/$d->{key}/$d->{req}";
        my $want = $effect eq 'error'
            ? { status => 500, body_like => qr{<title>500 Internal Server Error</title>} }
            : $d->{$effect};
        my $mark = -s $srv->{log};
        my ($res, $bytes, $eof);
        if ($d->{ws}) {
            my ($sock, $rest);
            ($sock, $res, $rest) = fxt_ws_open($port, $path,
                                               headers => [['X-Case', $case]]);
            if ($res->{status} == 101) {
                ($bytes, $eof) = fxt_read_to_eof($sock, $rest, 10,
                                                 answer_close => !$d->{silent});
            }
            close $sock;
        }
        else {
            $res = fxt_http($port, path => $path,
                            headers => [['X-Case', $case],
                                        @{ $d->{req_headers} || [] }]);
        }
        $seen{$d->{name}}{$cname} = $res->{status};
        is($res->{status}, $want->{status}, "$label: status $want->{status}");
        is(header($res, 'content-type'), $want->{ctype}, "$label: Content-Type")
            if exists $want->{ctype};
        for my $h (sort keys %{ $want->{headers} || {} }) {
            if (defined $want->{headers}{$h}) {
                is(header($res, $h), $want->{headers}{$h}, "$label: $h");
            }
            else {
                ok(!defined header($res, $h), "$label: no $h");
            }
        }
        if (exists $want->{body}) {
            (my $body = $want->{body}) =~ s/PATH/$path/;
            is($res->{body}, $body, "$label: body bytes");
        }
        like($res->{body}, $want->{body_like}, "$label: body")
            if exists $want->{body_like};
        if (exists $want->{bytes}) {
            is(unpack('H*', $bytes // ''), unpack('H*', $want->{bytes}),
               "$label: bytes after the 101");
            ok(defined $eof, "$label: then the connection closes");
        }
        if ($want->{waited}) {
            my ($min, $max) = @{ $want->{waited} };
            ok(defined $eof && $eof >= $min && $eof < $max,
               "$label: a silent client waited for $min-$max s")
                or diag('closed after ' . ($eof // 'never'));
        }
        my $log = fxt_log($srv, $mark);
        if ($want->{log}) {
            like($log, qr/^\[fastexc:\Q$want->{log}\E\] \[case \Q$case\E\] FX0027: exception 404, detail "logged"$/m,
                 "$label: FX0027 at $want->{log}");
        }
        if ($effect eq 'error') {
            like($log, qr{^\[core:alert\] \[case \Q$case\E\] \S+/\Q$cname/$d->{key}/.htaccess\E: \Q$d->{name}\E not allowed here$}m,
                 "$label: the error_log says why");
        }
        else {
            unlike($log, qr/not allowed here/, "$label: no configuration error");
        }
    }
}

{
    my $mark = -s $srv->{log};
    my $res = fxt_http($port, path => '/bad/x', headers => [['X-Case', 'bad']]);
    is($res->{status}, 500, 'a value refused in a .htaccess: 500');
    like($res->{body}, qr{<title>500 Internal Server Error</title>},
         "a value refused in a .htaccess: httpd's own 500 page");
    like(fxt_log($srv, $mark), qr/^\[core:alert\] \[case bad\] \S+\/bad\/.htaccess: FastExcWebSocket: close code 1005: 1004, 1005, 1006 and 1015 are reserved and never sent$/m,
         "a value refused in a .htaccess: the module's message in the error_log");
}

# what was seen, for the README
diag(sprintf "%-30s %s", 'status seen', join ' ', map { sprintf '%-10s', $_->[0] } @classes);
for my $d (@directives) {
    diag(sprintf "%-30s %s", $d->{name}, join ' ',
         map { sprintf '%-10s', $seen{$d->{name}}{$_->[0]} // '-' } @classes);
}
unlike(fxt_log($srv), qr/exit signal|AH00052/, 'no child crashed');

done_testing();
