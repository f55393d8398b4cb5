# Every code snippet of README.md, run as it is written there. The README's
# fenced blocks are read by their info string:
#   ```c       a block that declares a module (AP_DECLARE_MODULE) is built
#              with apxs (-Wall -Werror) and loaded in an httpd of its own;
#              a block of prototypes is compiled against mod_fastexc.h and
#              each prototype checked to be the header's optional function
#   ```lua     a mod_lua handler file (AddHandler lua-script .lua)
#   ```perl    a mod_perl handler module (the file of its package)
#   ```sh      a CGI script (mod_cgid)
#   ```apache  httpd -t at the top of a small configuration that loads the
#              modules the README's blocks use, then served in a virtual host
#              of its own (with the files the block names, where it names any)
# and what each does is asserted on the wire (status, headers, body bytes,
# Close frames, a log line). A block without an info string is a synopsis,
# a shell session or output: not run, counted. A block right after
# "<!-- readme.t: why -->" is reported as skipped, with the why. A lua,
# perl, sh or c block that this file does not know fails: give it its
# assertions here, or the README a reason to skip it.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use IO::Socket::INET;
use POSIX ();
use FastExcTest;
use FastExcThrowaway;

my $top = Apache::Test::vars('top_dir');
my $readme = "$top/README.md";
plan skip_all => "no README.md beside t/ (scripts/apache-test.sh stages it)"
    unless -f $readme;

my $apxs = Apache::Test::vars('apxs') // $ENV{APXS} // 'apxs';
my $httpd = Apache::Test::vars('httpd');
my $include = "$top/include";
my $libexec = fxt_libexec();
my $dir = fxt_tempdir();

# ---- the README's blocks ---------------------------------------------------------

sub readme_blocks {
    my $file = shift;
    open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!";
    my @lines = <$fh>;
    my (@blocks, $open);
    for my $n (0 .. $#lines) {
        my $l = $lines[$n];
        if ($open) {
            if ($l =~ /^ {0,3}(\Q$open->{char}\E{3,})\s*$/
                && length $1 >= $open->{len}) {
                push @blocks, $open;
                undef $open;
            }
            else {
                $open->{text} .= $l;
            }
            next;
        }
        next unless $l =~ /^ {0,3}(`{3,}|~{3,})\s*(\S*)/;
        my ($fence, $info) = ($1, $2);
        my $skip;
        $skip = $1 if $n > 0
            && $lines[$n - 1] =~ /^<!--\s*readme\.t:\s*(.*?)\s*-->\s*$/;
        $open = { char => substr($fence, 0, 1), len => length $fence,
                  info => $info, line => $n + 1, text => '', skip => $skip };
    }
    die "$file: a code fence opened at line $open->{line} never closes\n"
        if $open;
    return @blocks;
}

my @blocks = readme_blocks($readme);
my %runner = map { $_ => 1 } qw(c lua perl sh apache);
my (%todo, @plain);
for my $b (@blocks) {
    my $where = "README.md:$b->{line} ```$b->{info}";
    $b->{where} = $where;
    if ($b->{skip}) {
        SKIP: { skip "$where: $b->{skip}", 1 }
        next;
    }
    if ($b->{info} eq '') {
        push @plain, $b->{line};
        next;
    }
    if (!$runner{$b->{info}}) {
        fail("$where: no runner for this info string in t/readme.t");
        next;
    }
    push @{ $todo{$b->{info}} }, $b;
}
note(scalar(@plain) . " blocks without an info string (synopses, shell "
     . "sessions, output) are not run: lines @plain");

# Each lua, perl, sh and c block must be claimed by exactly one of the
# assertions below (by its text); an apache block may be, or is checked
# with httpd -t only (said so).
sub claim {
    my ($info, $re, $what) = @_;
    my @m = grep { !$_->{claimed} && $_->{text} =~ $re } @{ $todo{$info} || [] };
    if (@m != 1) {
        fail("README.md: " . scalar(@m) . " ```$info blocks for $what "
             . "(one was expected)");
        return;
    }
    $m[0]{claimed} = $what;
    return $m[0];
}

sub write_file {
    my ($path, $text, $mode) = @_;
    (my $d = $path) =~ s{/[^/]+$}{};
    make_path($d, { mode => 0755 });
    open my $fh, '>:encoding(UTF-8)', $path or die "$path: $!";
    print $fh $text;
    close $fh;
    chmod $mode // 0644, $path;
}

# ---- ```c -------------------------------------------------------------------------

my %cmods;    # module name => its .so
my @prototypes;
{
    my $n = 0;
    for my $b (@{ $todo{c} || [] }) {
        my $cdir = "$dir/c" . $n++;
        if ($b->{text} =~ /AP_DECLARE_MODULE\((\w+)\)/) {
            my $name = $1;
            write_file("$cdir/mod_$name.c", $b->{text});
            my $out = `cd '$cdir' && '$apxs' -c -Wc,-Wall -Wc,-Werror -I '$include' mod_$name.c 2>&1`;
            ok($? == 0 && -f "$cdir/.libs/mod_$name.so",
               "$b->{where}: mod_$name.c builds with apxs, no warning")
                or diag($out);
            $cmods{$name} = { so => "$cdir/.libs/mod_$name.so", block => $b };
            $b->{claimed} = "module $name";
            next;
        }
        # prototypes: each is the header's optional function, exactly
        my @names = $b->{text} =~ /^[\w \t*]*?\b(\w+)\s*\(/mg;
        my $src = qq{#include "httpd.h"\n#include "mod_fastexc.h"\n$b->{text}\n}
            . join('', map { "_Static_assert(__builtin_types_compatible_p("
                             . "__typeof__($_), APR_OPTIONAL_FN_TYPE($_)), "
                             . "\"$_: not the header's type\");\n" } @names);
        write_file("$cdir/prototypes.c", $src);
        my $out = `cd '$cdir' && '$apxs' -c -Wc,-Wall -Wc,-Werror -I '$include' prototypes.c 2>&1`;
        ok(@names && $? == 0,
           "$b->{where}: prototypes of " . join(', ', @names)
           . " are mod_fastexc.h's") or diag($out);
        $b->{claimed} = 'prototypes';
        push @prototypes, @names;
    }
}
# ... and every optional function of the header has its prototype there,
# as many as the README's C API counts
{
    open my $fh, '<', "$include/mod_fastexc.h" or die "mod_fastexc.h: $!";
    my $h = do { local $/; <$fh> };
    my @declared = $h =~ /^APR_DECLARE_OPTIONAL_FN\(\s*[^,]+,\s*(\w+)/mg;
    is_deeply([sort @prototypes], [sort @declared],
              "README.md: a prototype for each optional function of mod_fastexc.h");
    open $fh, '<', $readme or die "$readme: $!";
    my $text = do { local $/; <$fh> };
    my ($said) = $text =~ /mod_fastexc\.h` declares (\w+) APR optional functions/;
    my %n = (one => 1, two => 2, three => 3, four => 4, five => 5, six => 6,
             seven => 7, eight => 8);
    is($n{$said // ''} // $said, scalar @declared,
       "README.md: the C API counts the header's optional functions");
}

# ---- ```apache: httpd -t, each block alone at the top of a configuration ------

# the modules of the suite (scripts/apache-test.sh), those the README's
# blocks use beside (proxy_wstunnel, cgid, perl), whichever are installed
my @load = grep { -e "$libexec/mod_$_.so" }
    qw(mpm_event authz_core authz_host authz_user authn_core auth_basic
       authn_file mime dir alias headers env setenvif rewrite include
       proxy proxy_http proxy_wstunnel http2 lua status unique_id cgid perl);
my $have_perl = grep { $_ eq 'perl' } @load;
my ($fastexc_so) = do {
    my $f = Apache::Test::vars('t_conf') . '/modules.load';
    open my $fh, '<', $f or die "$f: $!";
    map { /^LoadModule\s+fastexc_module\s+(\S+)/ ? $1 : () } <$fh>;
};

sub syntax_check {
    my ($name, $body) = @_;
    my $home = "$dir/t-$name";
    make_path($home);
    my $conf = "ServerRoot $home\nServerName localhost\n"
        . "ErrorLog $home/error_log\nDefaultRuntimeDir $home\n"
        . join('', map { "LoadModule ${_}_module $libexec/mod_$_.so\n" } @load)
        . "LoadModule fastexc_module $fastexc_so\n$body";
    write_file("$home/httpd.conf", $conf);
    my $out = `'$httpd' -t -f '$home/httpd.conf' 2>&1`;
    return ($? == 0, $out);
}

{
    my $n = 0;
    for my $b (@{ $todo{apache} || [] }) {
        if (!$have_perl && $b->{text} =~ /^\s*Perl/m) {
            SKIP: { skip "$b->{where}: mod_perl is not installed", 1 }
            next;
        }
        my ($ok, $out) = syntax_check('apache' . $n++, $b->{text});
        ok($ok, "$b->{where}: httpd -t accepts it") or diag($out);
    }
}

# The C modules load without mod_fastexc (no symbol of it is needed).
for my $name (sort keys %cmods) {
    my $home = "$dir/t-alone-$name";
    make_path($home);
    write_file("$home/httpd.conf",
        "ServerRoot $home\nServerName localhost\nErrorLog $home/error_log\n"
        . "LoadModule mpm_event_module $libexec/mod_mpm_event.so\n"
        . "LoadModule authz_core_module $libexec/mod_authz_core.so\n"
        . "LoadModule ${name}_module $cmods{$name}{so}\n");
    my $out = `'$httpd' -t -f '$home/httpd.conf' 2>&1`;
    is($?, 0, "$cmods{$name}{block}{where}: mod_$name loads without "
       . "mod_fastexc") or diag($out);
}

# ---- what each snippet does ----------------------------------------------------------

my $json = 'application/json';
my $browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

sub check_http {
    my ($label, $port, $req, $want) = @_;
    my $res = fxt_http($port, %$req);
    is($res->{status}, $want->{status}, "$label: status");
    is($res->{body}, $want->{body}, "$label: body") if exists $want->{body};
    like($res->{body}, $want->{body_like}, "$label: body")
        if $want->{body_like};
    for my $h (sort keys %{ $want->{headers} || {} }) {
        my $got = $res->{headers}{lc $h};
        is($got ? join(', ', @$got) : undef, $want->{headers}{$h},
           "$label: $h");
    }
    return $res;
}

# a WebSocket upgrade answered 101 and then exactly this Close frame
sub check_ws_close {
    my ($label, $port, $path, $code, $reason, %o) = @_;
    my ($sock, $res, $rest) = fxt_ws_open($port, $path, %o);
    is($res->{status}, 101, "$label: 101") or return;
    my ($bytes) = fxt_read_to_eof($sock, $rest, 8, answer_close => 1);
    close $sock;
    is(unpack('H*', $bytes), unpack('H*', fxt_close_frame($code, $reason)),
       "$label: Close $code \"$reason\"");
}

# Something listening on 127.0.0.1:$port?
sub listening {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$_[0]", Timeout => 2);
    return $s ? 1 : 0;
}

# A WebSocket backend on 127.0.0.1:$port (the README's blocks name 8000):
# answers the handshake with 101, then goes away. Undef if the port is
# taken.
my @mine;
END { local $?; for my $pid (@mine) { kill 'KILL', $pid; waitpid $pid, 0 } }
sub backend_on {
    my $port = shift;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                  Listen => 8, ReuseAddr => 1) or return;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        alarm 60;
        while (my $s = $l->accept) {
            my $head = '';
            while ($head !~ /\r\n\r\n/) {
                sysread($s, $head, 4096, length $head) or last;
            }
            my ($key) = $head =~ /^Sec-WebSocket-Key:\s*(\S+)/mi;
            require Digest::SHA;
            my $accept = Digest::SHA::sha1_base64(
                ($key // '') . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
            syswrite $s, "HTTP/1.1 101 Switching Protocols\r\n"
                . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                . "Sec-WebSocket-Accept: $accept\r\n\r\n";
            close $s;
        }
        POSIX::_exit(0);
    }
    close $l;
    push @mine, $pid;
    return $pid;
}

# The assertions, in the order of the README. Each: the info string and
# the regex that finds its block; what the virtual host needs around it
# (files to write from other blocks, lines before the block); the checks,
# called with the host's port. An apache entry whose block is gone is
# said so and skipped (its section's owner decides); a block of another
# kind with no entry fails (above: claim).
my $maint = -e '/etc/maintenance';
my @effects = (
    { info => 'apache', re => qr{<Location /api/v1>}, what => 'FastExcRaise examples',
      check => sub {
          my $p = shift;
          check_http('FastExcRaise 410', $p, { path => '/api/v1/users' },
              { status => 410, body => '{"detail":"API v1 is gone: use /api/v2"}',
                headers => { 'Content-Type' => $json,
                             Link => '</api/v2>; rel=successor-version' } });
          check_http('FastExcRaise 401, no Authorization', $p,
              { path => '/api/orders' },
              { status => 401, body => '{"detail":"Not authenticated"}',
                headers => { 'WWW-Authenticate' => 'Bearer' } });
          check_http('FastExcRaise 403, not a Bearer', $p,
              { path => '/api/orders', headers => [[Authorization => 'Basic eDp5']] },
              { status => 403, body => '{"detail":"Not enough privileges"}' });
          check_http('a Bearer: no rule holds'
                     . ($maint ? ' but maintenance' : ''), $p,
              { path => '/api/orders', headers => [[Authorization => 'Bearer x']] },
              $maint ? { status => 503, body => '{"detail":"Down for maintenance"}' }
                     : { status => 404, headers => { 'Content-Type' =>
                                                     'text/html; charset=iso-8859-1' } });
      } },
    { info => 'apache', re => qr{# httpd.conf, outside any <VirtualHost>: every}, what => 'recipe: one envelope',
      check => sub {
          check_http('recipe: httpd\'s own 404 in the fleet\'s envelope', shift,
              { path => '/no/such/file' },
              { status => 404, headers => { 'Content-Type' => $json },
                body_like => qr/^\{"error":\{"code":404,"message":"Not Found","title":"Not Found","request_id":"[\w\@-]{20,}"\}\}$/ });
      } },
    { info => 'apache', re => qr{<Location /orders>}, what => 'FastExcFormat template',
      check => sub {
          my $p = shift;
          my $res = check_http('template, no request ID source but UNIQUE_ID', $p,
              { path => '/orders',
                headers => [[traceparent => '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']] },
              { status => 503, headers => { 'Content-Type' => $json, 'Retry-After' => '120' },
                body_like => qr/^\{"error":\{"code":503,"message":"Orders are paused","title":"Service Unavailable","request_id":"[\w\@-]{20,}","trace":"4bf92f3577b34da6a3ce929d0e0e4736"\}\}$/ });
      } },
    { info => 'apache', re => qr{FastExcDetail 404 "No route for}, what => 'FastExcDetail',
      check => sub {
          check_http('FastExcDetail 404 with %{REQUEST_URI}', shift,
              { path => '/api/nothing' },
              { status => 404, body => '{"detail":"No route for /api/nothing"}',
                headers => { 'Content-Type' => $json } });
      } },
    { info => 'apache', re => qr{FastExcBackendErrors NonJSON}, what => 'FastExcBackendErrors',
      check => sub {
          my $p = shift;
          # the backend's own errors: t/backend.t, against a scripted backend
          SKIP: {
              skip 'something listens on 127.0.0.1:8000', 2 if listening(8000);
              check_http('FastExcBackendErrors beside FastExc On: the backend '
                         . 'down is httpd\'s 503, FastExc On renders it', $p,
                  { path => '/shop/items' },
                  { status => 503, body => '{"detail":"Service Unavailable"}',
                    headers => { 'Content-Type' => $json } });
          }
      } },
    { info => 'apache', re => qr{<Location /reports>\s*FastExcNegotiate On},
      what => 'FastExcNegotiate',
      check => sub {
          my $p = shift;
          check_http('FastExcNegotiate: a browser', $p,
              { path => '/reports', headers => [[Accept => $browser]] },
              { status => 410,
                body_like => qr{<title>410 Gone</title>.*<p>Reports moved to /analytics</p>}s,
                headers => { 'Content-Type' => 'text/html; charset=utf-8',
                             Vary => 'Accept' } });
          check_http('FastExcNegotiate: curl', $p, { path => '/reports' },
              { status => 410, body => '{"detail":"Reports moved to /analytics"}',
                headers => { 'Content-Type' => $json, Vary => 'Accept' } });
      } },
    { info => 'apache', re => qr{FastExcNegotiate On\s*FastExcDetail 404 "No product},
      what => 'HTML for browsers, JSON for clients',
      with => sub {
          my ($b, $vh) = @_;
          write_file("$vh/errors/not-found.html", "<p>the site's page</p>\n");
          return 1;
      },
      check => sub {
          my $p = shift;
          check_http('recipe: a browser gets the ErrorDocument', $p,
              { path => '/shop/lamp', headers => [[Accept => $browser]] },
              { status => 404, body => "<p>the site's page</p>\n",
                headers => { Vary => 'Accept' } });
          check_http('recipe: curl gets JSON', $p, { path => '/shop/lamp' },
              { status => 404, body => '{"detail":"No product at /shop/lamp"}',
                headers => { 'Content-Type' => $json, Vary => 'Accept' } });
          check_http('recipe: */* gets JSON', $p,
              { path => '/shop/lamp', headers => [[Accept => '*/*']] },
              { status => 404, body => '{"detail":"No product at /shop/lamp"}' });
          check_http('recipe: Problem Details', $p,
              { path => '/shop/lamp', headers => [[Accept => 'application/problem+json']] },
              { status => 404,
                headers => { 'Content-Type' => 'application/problem+json' } });
      } },
    { info => 'apache', re => qr{<Location /internal>\s*SetHandler fastexc},
      what => 'SetHandler fastexc',
      check => sub {
          check_http('SetHandler fastexc', shift, { path => '/internal' },
              { status => 404, body => '{"detail":"Not Found"}',
                headers => { 'Content-Type' => $json } });
      } },
    { info => 'apache', re => qr{FastExcWebSocketBackendError 1013}, what => 'FastExcWebSocket',
      check => sub {
          my $p = shift;
          check_ws_close('FastExcWebSocket 1008, no Authorization', $p, '/ws/chat',
              1008, 'Policy violated: log in first');
          SKIP: {
              skip 'something listens on 127.0.0.1:8000', 2 if listening(8000);
              my $before = (localtime)[2];
              my ($sock, $res, $rest) = fxt_ws_open($p, '/ws/chat',
                  headers => [[Authorization => 'Bearer x']]);
              my $after = (localtime)[2];
              my ($bytes) = $res->{status} == 101
                  ? fxt_read_to_eof($sock, $rest, 8, answer_close => 1) : ('');
              my @want = map { unpack 'H*', $_ }
                  map { $_ < 8 ? fxt_close_frame(4001, 'Chat is closed for the night')
                               : fxt_close_frame(1013, 'Chat is restarting, try again') }
                  $before, $after;
              is($res->{status}, 101, 'FastExcWebSocket, with Authorization: 101');
              ok((grep { $_ eq unpack('H*', $bytes) } @want),
                 'with Authorization: 4001 at night, else the backend '
                 . '(down) gives FastExcWebSocketBackendError 1013')
                  or diag(unpack 'H*', $bytes);
          }
      } },
    { info => 'apache', re => qr{FastExcWebSocketTunnelClose timeout 4000},
      what => 'FastExcWebSocketTunnelClose',
      check => sub {
          my $p = shift;
          SKIP: {
              skip '127.0.0.1:8000 is taken: no backend for the tunnel', 2
                  unless backend_on(8000);
              # the backend answers 101 and goes away: the backend end
              check_ws_close('FastExcWebSocketTunnelClose: the backend went away',
                  $p, '/ws/chat', 1011, 'Backend went away');
          }
      } },
    { info => 'apache', re => qr{<Location /billing>}, what => 'Problem Details',
      check => sub {
          my ($p, $b) = @_;
          # the response the README shows right after the block
          my ($shown) = grep { $_->{line} > $b->{line} } @blocks;
          my ($head, $body) = split /\n\n/, $shown->{text}, 2;
          chomp $body;
          my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
          my ($ctype) = $head =~ /^Content-Type: (.*)$/mi;
          check_http('FastExcFormat problem: the response shown', $p,
              { path => '/billing', method => 'POST' },
              { status => $status, body => $body,
                headers => { 'Content-Type' => $ctype } });
          check_http('not a POST: no rule holds', $p, { path => '/billing' },
              { status => 404 });
      } },
    { info => 'apache', re => qr{SetHandler fastexc-metrics}, what => 'the metrics handler',
      check => sub {
          my $p = shift;
          my $res = fxt_http($p, path => '/fastexc-metrics');
          is($res->{status}, 200, 'SetHandler fastexc-metrics: 200');
          like($res->{body}, qr/^fastexc_build_info\{version="[^"]+"\} 1$/m,
               'SetHandler fastexc-metrics: the exposition format');
      } },
    { info => 'apache', re => qr{<Location /shop/v1>}, what => 'the configuration Test::FastExc tests',
      check => sub {
          my $p = shift;
          check_http('shop: FastExcRaise 410', $p, { path => '/shop/v1/items' },
              { status => 410, body => '{"detail":"v1 is gone: use /shop/v2"}',
                headers => { Link => '</shop/v2>; rel=successor-version' } });
          check_http('shop: FastExcRaise 401', $p, { path => '/shop/cart' },
              { status => 401, body => '{"detail":"Not authenticated"}',
                headers => { 'WWW-Authenticate' => 'Bearer' } });
          check_ws_close('shop: FastExcWebSocket 1008', $p, '/shop/live',
              1008, 'Log in first');
      } },
    { info => 'apache', re => qr{^LogFormat .*fastexc-sent-status}m, what => 'LogFormat',
      around => sub {
          my ($vh) = @_;
          return (qq{FastExcRaise 404 "Item not found"\n}, "CustomLog $vh/api.log api\n");
      },
      check => sub {
          my ($p, $b, $vh) = @_;
          check_http('a raise to log', $p, { path => '/x' }, { status => 404 });
          my $line = '';
          for (1 .. 50) {
              if (open my $fh, '<', "$vh/api.log") {
                  $line = <$fh> // '';
                  last if $line =~ /\n$/;
              }
              select undef, undef, undef, 0.1;
          }
          chomp $line;
          like($line, qr{"GET /x HTTP/1\.1" 404 27 404 \\"Item not found\\" -$},
               'LogFormat api: the status, the detail as JSON, no close code');
      } },
    { info => 'lua', re => qr{'Not authenticated'}, what => 'the Lua handler',
      file => 'handler.lua',
      check => sub {
          my $p = shift;
          check_http('Lua: fastexc-detail', $p, { path => '/handler.lua' },
              { status => 401, body => '{"detail":"Not authenticated"}',
                headers => { 'Content-Type' => $json, 'WWW-Authenticate' => 'Bearer' } });
          my ($sock, $res) = fxt_ws_open($p, '/handler.lua');
          close $sock;
          is("$res->{status} $res->{body}", '401 {"detail":"Not authenticated"}',
             'Lua: fastexc-detail on a WebSocket upgrade: over HTTP');
          check_http('Lua: fastexc-detail-json', $p,
              { path => '/handler.lua', headers => [[Authorization => 'Bearer x']] },
              { status => 422,
                body => '{"detail":{"loc":["query","q"],"msg":"field required"}}',
                headers => { 'Content-Type' => $json } });
      } },
    { info => 'lua', re => qr{fastexc-ws-code}, what => 'the Lua WebSocket close',
      file => 'close.lua',
      check => sub {
          check_ws_close('Lua: fastexc-ws-code', shift, '/close.lua',
              4004, 'closed from Lua');
      } },
    { info => 'apache', re => qr{PerlResponseHandler}, what => 'the mod_perl handler',
      needs => 'perl',
      with => sub {
          my ($b, $vh) = @_;
          my ($pkg) = $b->{text} =~ /PerlResponseHandler\s+(\S+)/;
          my $pm = claim('perl', qr{^package \Q$pkg\E;}m, "package $pkg") or return;
          (my $file = "$pkg.pm") =~ s{::}{/}g;
          write_file("$dir/perl/$file", $pm->{text});
          return 1;
      },
      check => sub {
          check_http('mod_perl: fastexc-detail', shift, { path => '/items' },
              { status => 404, body => '{"detail":"Item not found"}',
                headers => { 'Content-Type' => $json } });
      } },
    { info => 'apache', re => qr{<Location /raise/404>}, what => 'the CGI hand-over',
      around => sub { ("ScriptAlias /cgi-bin/ $_[0]/cgi-bin/\n", '') },
      with => sub {
          my ($b, $vh) = @_;
          my $sh = claim('sh', qr{/raise/404\?}, 'the CGI script') or return;
          my ($name) = $sh->{text} =~ m{/usr/lib/cgi-bin/([\w.-]+)};
          write_file("$vh/cgi-bin/$name", $sh->{text}, 0755);
          $b->{cgi} = $name;
          return 1;
      },
      check => sub {
          my ($p, $b) = @_;
          check_http('CGI: a Location to the raising location', $p,
              { path => "/cgi-bin/$b->{cgi}" },
              { status => 404, body => '{"detail":"Item not found"}',
                headers => { 'Content-Type' => $json } });
          check_http('the raising location asked for directly', $p,
              { path => '/raise/404?Something%20else' },
              { status => 404, body => '{"detail":"Not Found"}',
                headers => { 'Content-Type' => $json } });
      } },
);

# ---- the server of the configuration snippets -------------------------------------

my (@vhosts, @listen);
my $lua_vh;
for my $e (@effects) {
    if ($e->{needs} && !grep { $_ eq $e->{needs} } @load) {
        SKIP: { skip "$e->{what}: mod_$e->{needs} is not installed", 1 }
        $_->{claimed} ||= 'skipped' for @{ $todo{$e->{needs}} || [] };
        next;
    }
    my $b;
    if ($e->{info} eq 'apache') {
        my @m = grep { !$_->{claimed} && $_->{text} =~ $e->{re} } @{ $todo{apache} || [] };
        if (@m != 1) {
            SKIP: { skip "README.md has " . scalar(@m) . " ```apache blocks for "
                         . "$e->{what}: not asserted", 1 }
            next;
        }
        $b = $m[0];
        $b->{claimed} = $e->{what};
    }
    else {
        $b = claim($e->{info}, $e->{re}, $e->{what}) or next;
    }
    $e->{block} = $b;
    my $port = fx_free_port();
    $e->{port} = $port;
    my $vh = "$dir/vh-$port";
    make_path($vh, { mode => 0755 });
    $e->{vh} = $vh;
    if ($e->{info} eq 'lua') {
        # the Lua handlers share a host
        $lua_vh //= $e;
        write_file("$lua_vh->{vh}/$e->{file}", $b->{text});
        $e->{port} = $lua_vh->{port};
        next if $lua_vh != $e;
        push @listen, $port;
        push @vhosts, "<VirtualHost 127.0.0.1:$port>\n    DocumentRoot $vh\n"
            . "    AddHandler lua-script .lua\n</VirtualHost>\n";
        next;
    }
    if ($e->{with} && !$e->{with}->($b, $vh)) {
        delete $e->{port};
        next;
    }
    my ($before, $after) = $e->{around} ? $e->{around}->($vh) : ('', '');
    push @listen, $port;
    push @vhosts, "<VirtualHost 127.0.0.1:$port>\nDocumentRoot $vh\n"
        . "$before$b->{text}$after</VirtualHost>\n";
}
for my $b (@{ $todo{apache} || [] }) {
    note("$b->{where}: httpd -t only (no assertion in t/readme.t)")
        unless $b->{claimed};
}
for my $info (qw(lua perl sh c)) {
    for my $b (@{ $todo{$info} || [] }) {
        fail("$b->{where}: no assertion in t/readme.t for this snippet")
            unless $b->{claimed};
    }
}

if (@vhosts) {
    my $srv = fxt_httpd_start(dir => $dir, name => 'snippets',
        modules => [@load],
        ports => \@listen,
        conf => join('', map { "Listen 127.0.0.1:$_\n" } @listen)
            . "TypesConfig /etc/mime.types\nScriptSock $dir/cgid.sock\n"
            . ($have_perl ? "PerlSwitches -I$dir/perl\n" : '')
            . "<Directory $dir>\n    Options +ExecCGI\n    Require all granted\n"
            . "</Directory>\n" . join('', @vhosts));
    for my $e (grep { $_->{port} } @effects) {
        $e->{check}->($e->{port}, $e->{block}, $e->{vh});
    }
    fxt_httpd_stop($srv);
}

# ---- the server of the C modules -------------------------------------------------

my %c_effects = (
    apikey => sub {
        my $p = shift;
        check_http('mod_apikey: no key', $p, { path => '/api/items' },
            { status => 401, body => '{"detail":"Missing API key"}',
              headers => { 'Content-Type' => $json, 'WWW-Authenticate' => 'ApiKey' } });
        check_http('mod_apikey: a short key', $p,
            { path => '/api/items', headers => [['X-Api-Key' => 'short']] },
            { status => 422,
              body => '{"detail":{"loc":["header","x-api-key"],"msg":"must be 32 characters"}}',
              headers => { 'Content-Type' => $json } });
        check_http('mod_apikey: a key of 32 characters passes', $p,
            { path => '/api/items', headers => [['X-Api-Key' => 'k' x 32]] },
            { status => 404, headers => { 'Content-Type' => 'text/html; charset=iso-8859-1' } });
        check_ws_close('mod_apikey: an upgrade without a key', $p, '/api/items',
            1008, 'Missing API key');
        check_http('mod_apikey: outside /api/', $p, { path => '/file.txt' },
            { status => 200, body => "a file\n" });
    },
    chatguard => sub {
        my $p = shift;
        check_ws_close('mod_chatguard: an upgrade without Authorization', $p,
            '/ws/chat', 1008, 'Policy violated: log in first');
        check_http('mod_chatguard: not an upgrade', $p, { path => '/ws/chat' },
            { status => 403, body => '{"detail":"Policy violated: log in first"}',
              headers => { 'Content-Type' => $json } });
        check_http('mod_chatguard: with Authorization, passes', $p,
            { path => '/ws/chat', headers => [[Authorization => 'Bearer x']] },
            { status => 404 });
    },
);
if (%cmods) {
    my $port = fx_free_port();
    write_file("$dir/c-htdocs/file.txt", "a file\n");
    my $srv = fxt_httpd_start(dir => $dir, name => 'c-modules',
        modules => [qw(mpm_event authz_core)], ports => [$port],
        conf => "Listen 127.0.0.1:$port\nDocumentRoot $dir/c-htdocs\n"
            . join('', map { "LoadModule ${_}_module $cmods{$_}{so}\n" } sort keys %cmods));
    for my $name (sort keys %cmods) {
        if ($c_effects{$name}) {
            $c_effects{$name}->($port);
        }
        else {
            fail("$cmods{$name}{block}{where}: no assertion in t/readme.t "
                 . "for mod_$name");
        }
    }
    fxt_httpd_stop($srv);
}

done_testing();
