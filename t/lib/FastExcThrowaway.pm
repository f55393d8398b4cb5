package FastExcThrowaway;
# Throwaway httpds for the tests that need a server of their own (another
# MPM, mod_ssl, .htaccess files written at run time): a small configuration
# with explicit LoadModule lines in a temporary directory, started with
# -k start and stopped (and waited for) at the end. Also a scripted
# WebSocket backend, plain or TLS, and a raw client that speaks TCP or TLS
# and keeps the exact bytes. Used by t/mpm.t, t/tls.t and t/htaccess.t.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Digest::SHA qw(sha1_base64);
use File::Basename qw(dirname);
use File::Path ();
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Apache::Test ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(fxt_tempdir fxt_libexec fxt_have_module fxt_httpd_start
                 fxt_httpd_stop
                 fxt_log fxt_backend_start fxt_backend_kill fxt_connect
                 fxt_http fxt_ws_open fxt_read_to_eof fxt_close_frame
                 fxt_read_at_least fxt_self_signed fxt_mask fxt_lean_dirs);

my $TIMEOUT = 10;

# ---- modules -----------------------------------------------------------------

# The LoadModule lines scripts/apache-test.sh wrote for the suite: where
# httpd's modules are, and the mod_fastexc.so under test.
my ($libexec, $fastexc_so);
sub _modules {
    return if $libexec;
    local $_;    # Apache::Test reads files into $_ (maybe an alias here)
    my $file = Apache::Test::vars('t_conf') . '/modules.load';
    open my $fh, '<', $file or die "$file: $!";
    while (my $line = <$fh>) {
        $libexec = dirname($1)
            if $line =~ /^LoadModule\s+mpm_\w+_module\s+(\S+)/;
        $fastexc_so = $1 if $line =~ /^LoadModule\s+fastexc_module\s+(\S+)/;
    }
    die "no MPM or mod_fastexc in $file" unless $libexec && $fastexc_so;
}
sub fxt_libexec { _modules(); return $libexec }
sub fxt_have_module { _modules(); return -e "$libexec/mod_$_[0].so" }

# ---- the temporary directory, and the end of it all ---------------------------

my (@servers, @backends, @tempdirs);

# A world-readable temporary directory (httpd's children run as nobody),
# removed at the end, after the servers and backends are stopped: a
# File::Temp CLEANUP directory may go first (END blocks run in reverse),
# and a server whose directory is gone cannot be told to stop by its files.
sub fxt_tempdir {
    my $dir = File::Temp::tempdir('fastexc-XXXXXX', TMPDIR => 1);
    chmod 0755, $dir or die "$dir: $!";
    push @tempdirs, $dir;
    return $dir;
}

END {
    local $?;
    fxt_httpd_stop($_) for @servers;
    for my $pid (@backends) { kill 'KILL', $pid; waitpid $pid, 0 }
    File::Path::remove_tree($_) for @tempdirs;
}

# ---- servers -------------------------------------------------------------------

# Start an httpd. %o: dir (fxt_tempdir), name,
# modules (names without _module, an MPM among them), ports (to wait for),
# conf (the rest of the configuration), loglevel. Returns the server (a
# hash: conf, log, pid file) or dies with what httpd printed.
sub fxt_httpd_start {
    my %o = @_;
    _modules();
    my $httpd = Apache::Test::vars('httpd');
    my $home = "$o{dir}/$o{name}";
    mkdir $home or die "$home: $!";
    chmod 0755, $home;
    my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
    my $load = join '', map { "LoadModule ${_}_module $libexec/mod_$_.so\n" }
        @{ $o{modules} };
    my $level = $o{loglevel} || 'info fastexc:debug';
    my %srv = (name => $o{name}, conf => "$home/httpd.conf",
               log => "$home/error_log", pidfile => "$home/httpd.pid",
               httpd => $httpd);
    open my $out, '>', $srv{conf} or die "$srv{conf}: $!";
    print $out <<"EOF";
ServerRoot $home
ServerName localhost
PidFile $srv{pidfile}
ErrorLog $srv{log}
LogLevel $level
DefaultRuntimeDir $home
Mutex file:$home default
$user$load
LoadModule fastexc_module $fastexc_so
$o{conf}
EOF
    close $out;
    my $said = `'$httpd' -f '$srv{conf}' -k start 2>&1`;
    die "httpd ($o{name}) did not start: $said" if $? != 0;
    push @servers, \%srv;
    for my $port (@{ $o{ports} || [] }) {
        my $up;
        for (1 .. 300) {   # 30 s: slow under valgrind (make memcheck)
            last if $up = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                                Timeout => 1);
            sleep 0.1;
        }
        die "httpd ($o{name}) not listening on $port\n" . fxt_log(\%srv)
            unless $up;
    }
    # its parent's pid, to stop it whatever becomes of its files
    for (1 .. 100) {
        if (open my $fh, '<', $srv{pidfile}) {
            my $pid = <$fh>;
            if (defined $pid && $pid =~ /^(\d+)\s*$/) {
                $srv{pid} = $1;
                last;
            }
        }
        sleep 0.1;
    }
    return \%srv;
}

# A lean configuration's filesystem, as Debian's apache2.conf has it but
# for its denial of /: no .htaccess looked for anywhere, the document root
# granted.
sub fxt_lean_dirs {
    my ($docroot) = @_;
    return <<"EOF";
DocumentRoot $docroot
<Directory />
    AllowOverride None
</Directory>
<Directory $docroot>
    Require all granted
</Directory>
EOF
}

# Stop it and wait (bounded) until its parent is gone, so the next server
# and the temporary directory's removal do not race with it.
sub fxt_httpd_stop {
    my $srv = shift;
    return if $srv->{stopped}++;
    my $pid = $srv->{pid};
    if (!$pid) {
        local $?;
        `'$srv->{httpd}' -f '$srv->{conf}' -k stop 2>&1`;
        return;
    }
    kill 'TERM', $pid;      # what -k stop sends
    for (1 .. 200) {
        return unless kill 0, $pid;
        sleep 0.05;
    }
    kill 'KILL', $pid;
}

# The server's error_log from byte offset $from (0: all of it).
sub fxt_log {
    my ($srv, $from) = @_;
    open my $fh, '<', $srv->{log} or return '';
    seek $fh, $from || 0, 0;
    local $/;
    return <$fh> // '';
}

# ---- TLS -----------------------------------------------------------------------

# A self-signed certificate for localhost / 127.0.0.1 (Debian's openssl).
sub fxt_self_signed {
    my $dir = shift;
    my ($cert, $key) = ("$dir/cert.pem", "$dir/key.pem");
    my $said = `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '$key' -out '$cert' -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>&1`;
    die "openssl: $said" if $? != 0;
    return ($cert, $key);
}

# ---- the scripted WebSocket backend ----------------------------------------

# What the backend does after its 101, by the first segment of the path;
# the rest of the path names the connection (its pid goes to
# "$dir/backend.<name>", for fxt_backend_kill).
my %script = (
    # echoes each data frame until killed, answers a Close
    'echo' => sub {
        my $s = shift;
        my $buf = '';
        while (1) {
            my $f = _backend_frame($s, \$buf) or return;
            if ($f->{opcode} == 8) {
                print $s pack('CC', 0x88, length $f->{payload}),
                    $f->{payload};
                return;
            }
            my $len = length $f->{payload};
            print $s pack('C', 0x80 | $f->{opcode}),
                $len < 126 ? pack('C', $len) : pack('Cn', 126, $len),
                $f->{payload};
        }
    },
    # a whole frame, then the process goes away
    'frame-close' => sub { print {$_[0]} "\x81\x02hi" },
    # half a frame, then gone: no Close may follow it
    'mid-frame' => sub { print {$_[0]} "\x81\x0ahell" },
    # a 70000-byte frame (64-bit length) in several writes, then gone
    'big' => sub {
        my $s = shift;
        print $s "\x82\x7f", pack('Q>', 70000);
        for (1 .. 7) { print $s 'y' x 10000; sleep 0.02 }
    },
);

# One masked client frame read by the backend (blocking: its own process).
sub _backend_frame {
    my ($s, $bufref) = @_;
    my $need = sub {
        while (length $$bufref < $_[0]) {
            my $n = sysread($s, $$bufref, 65536, length $$bufref);
            return 0 unless $n;
        }
        1;
    };
    $need->(2) or return;
    my ($b0, $b1) = unpack 'CC', $$bufref;
    my ($len, $hl) = ($b1 & 0x7F, 2);
    if ($len == 126) { $need->(4) or return; $len = unpack 'x2n', $$bufref; $hl = 4 }
    elsif ($len == 127) { $need->(10) or return; $len = unpack 'x2Q>', $$bufref; $hl = 10 }
    my $masked = $b1 & 0x80;
    $hl += 4 if $masked;
    $need->($hl + $len) or return;
    my $raw = substr($$bufref, 0, $hl + $len, '');
    my $payload = substr($raw, $hl);
    $payload = fxt_mask($payload, substr($raw, $hl - 4, 4)) if $masked;
    return { opcode => $b0 & 0x0F, payload => $payload };
}

# XOR with a 4-byte mask.
sub fxt_mask {
    my ($data, $mask) = @_;
    my $m = substr($mask x (int(length($data) / 4) + 1), 0, length $data);
    return $data ^ $m;
}

# Start the backend on a free port; %o: dir (for the pid files), tls =>
# [cert, key] for a TLS backend (IO::Socket::SSL). Returns the port.
sub fxt_backend_start {
    my %o = @_;
    if ($o{tls}) { require IO::Socket::SSL }
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 32, ReuseAddr => 1)
        or die "backend: $!";
    my $port = $l->sockport;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        # never returns into the test (its END blocks are the test's)
        $SIG{CHLD} = 'IGNORE';
        while (1) {
            my $s = $l->accept or next;
            my $child = fork;
            if (!defined $child || $child) { close $s; next }
            close $l;
            alarm 30;   # never outlives a test
            eval { _backend_serve($s, \%o) };
            POSIX::_exit(0);
        }
    }
    close $l;
    push @backends, $pid;
    return $port;
}

sub _backend_serve {
    my ($s, $o) = @_;
    if ($o->{tls}) {
        IO::Socket::SSL->start_SSL($s, SSL_server => 1,
            SSL_cert_file => $o->{tls}[0], SSL_key_file => $o->{tls}[1],
            Timeout => $TIMEOUT) or return;
    }
    binmode $s;
    $s->autoflush(1);
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        sysread($s, $head, 4096, length $head) or return;
    }
    my ($path) = $head =~ m{^GET /(\S*) };
    my ($key) = $head =~ /^Sec-WebSocket-Key:\s*(\S+)/mi;
    return if !defined $key || !defined $path;
    my ($mode, $name) = split m{/}, $path, 2;
    if (defined $name && $name ne '') {
        $name =~ s/[^\w.-]/_/g;
        my $file = "$o->{dir}/backend.$name";
        open my $fh, '>', "$file.tmp" or return;
        print $fh $$;
        close $fh;
        rename "$file.tmp", $file;
    }
    my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
    print $s "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n",
             "Connection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n";
    ($script{$mode} || sub { })->($s);
}

# Kill the backend process serving the connection named $name (SIGKILL:
# the kernel closes its socket, no TLS close_notify, no Close frame).
sub fxt_backend_kill {
    my ($dir, $name) = @_;
    my $file = "$dir/backend.$name";
    for (1 .. 100) {
        last if -e $file;
        sleep 0.05;
    }
    open my $fh, '<', $file or die "no backend pid for $name";
    my $pid = <$fh>;
    close $fh;
    kill 'KILL', $pid or die "backend $pid: $!";
    # gone when the pid no longer answers (its parent reaps it)
    for (1 .. 100) {
        last unless kill 0, $pid;
        sleep 0.02;
    }
}

# ---- the client ------------------------------------------------------------------

# A connection to 127.0.0.1:$port, TLS if $tls (no verification: the
# certificate is the test's own).
sub fxt_connect {
    my ($port, $tls) = @_;
    my $sock;
    if ($tls) {
        require IO::Socket::SSL;
        $sock = IO::Socket::SSL->new(PeerAddr => "127.0.0.1:$port",
            Timeout => $TIMEOUT, SSL_hostname => 'localhost',
            SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_NONE())
            or die "TLS to $port: " . IO::Socket::SSL::errstr();
    }
    else {
        $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                      Timeout => $TIMEOUT)
            or die "connect to $port: $!";
    }
    binmode $sock;
    return $sock;
}

# Read what is there (waiting at most $wait): the number of bytes, 0 at
# EOF (a TLS error at the end counts as EOF), undef if nothing came.
sub _read_more {
    my ($sock, $bufref, $wait) = @_;
    my $pending = $sock->can('pending') && $sock->pending;
    return undef unless $pending || IO::Select->new($sock)->can_read($wait);
    my $n = sysread($sock, $$bufref, 65536, length $$bufref);
    return $n || 0;
}

sub _parse_head {
    my $head = shift;
    my ($statusline, @lines) = split /\r\n/, $head;
    my %res = (status_line => $statusline, headers => {});
    ($res{status}, $res{reason}) = $statusline =~ m{^HTTP/1\.[01] (\d{3}) ?(.*)$}
        or die "bad status line: $statusline";
    for my $l (@lines) {
        my ($n, $v) = split /:[ \t]*/, $l, 2;
        push @{ $res{headers}{lc $n} }, $v;
    }
    return \%res;
}

# The body of a response from the bytes after its head; framing_ok says
# whether a chunked body was well framed.
sub _body {
    my ($res, $rest) = @_;
    my $te = $res->{headers}{'transfer-encoding'};
    my $cl = $res->{headers}{'content-length'};
    if ($te && $te->[0] =~ /chunked/i) {
        my $body = '';
        $res->{framing_ok} = 0;
        while ($rest =~ s/^([0-9a-fA-F]+)\r\n//) {
            my $len = hex $1;
            if ($len == 0) {
                $res->{framing_ok} = $rest =~ s/^\r\n//;
                last;
            }
            last if length $rest < $len + 2;
            $body .= substr($rest, 0, $len, '');
            last unless $rest =~ s/^\r\n//;
        }
        $res->{body} = $body;
    }
    elsif ($cl) {
        $res->{body} = substr($rest, 0, $cl->[0], '');
    }
    else {
        $res->{body} = $rest;
        $rest = '';
    }
    $res->{leftover} = $rest;
    return $res;
}

# One request with Connection: close, read to EOF. %o: method, path,
# headers ([name, value]...), tls. Returns { status, reason, headers,
# body, raw, framing_ok }.
sub fxt_http {
    my ($port, %o) = @_;
    my $sock = fxt_connect($port, $o{tls});
    my $req = ($o{method} || 'GET') . " $o{path} HTTP/1.1\r\nHost: localhost\r\n";
    $req .= "$_->[0]: $_->[1]\r\n" for @{ $o{headers} || [] };
    print $sock "${req}Connection: close\r\n\r\n";
    my ($raw) = fxt_read_to_eof($sock, '', $TIMEOUT);
    close $sock;
    my ($head, $rest) = split /\r\n\r\n/, $raw, 2;
    die "no response head: $raw" unless defined $rest;
    my $res = _body(_parse_head($head), $rest);
    $res->{raw} = $raw;
    return $res;
}

# A WebSocket handshake (RFC 6455's sample key). %o: tls, headers.
# Returns (socket, response, bytes already read past the head); an HTTP
# answer is read whole (its body in the response).
sub fxt_ws_open {
    my ($port, $path, %o) = @_;
    my $sock = fxt_connect($port, $o{tls});
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        . "Sec-WebSocket-Version: 13\r\n";
    $req .= "$_->[0]: $_->[1]\r\n" for @{ $o{headers} || [] };
    print $sock "$req\r\n";
    my $buf = '';
    my $start = time;
    until ($buf =~ /\r\n\r\n/) {
        my $n = _read_more($sock, \$buf, $TIMEOUT - (time - $start));
        die "no handshake response on $port$path: $buf" unless $n;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my $res = _parse_head($head);
    if ($res->{status} != 101) {
        my $cl = $res->{headers}{'content-length'};
        while ($cl && length $rest < $cl->[0]) {
            _read_more($sock, \$rest, $TIMEOUT) or last;
        }
        _body($res, $rest);
        $rest = '';
    }
    return ($sock, $res, $rest);
}

# Read until $$bufref holds at least $n bytes (at most $limit seconds);
# whether it does.
sub fxt_read_at_least {
    my ($sock, $bufref, $n, $limit) = @_;
    my $start = time;
    while (length $$bufref < $n) {
        my $left = $limit - (time - $start);
        return 0 if $left <= 0;
        my $got = _read_more($sock, $bufref, $left);
        return 0 if defined $got && !$got;
    }
    return 1;
}

# Everything the server sends until it closes the connection, at most
# $limit seconds: (bytes, seconds until EOF or undef). With answer_close,
# the first Close frame read is answered (a client's masked Close with
# the same code), as a client must.
sub fxt_read_to_eof {
    my ($sock, $buf, $limit, %o) = @_;
    my $start = time;
    my ($answered, $pos) = (0, 0);
    while ((my $left = $limit - (time - $start)) > 0) {
        if ($o{answer_close} && !$answered) {
            # walk the complete frames read so far
            while (length($buf) - $pos >= 2) {
                my ($b0, $b1) = unpack 'CC', substr($buf, $pos, 2);
                my ($len, $hl) = ($b1 & 0x7F, 2);
                if ($len == 126) {
                    last if length($buf) - $pos < 4;
                    ($len, $hl) = (unpack('n', substr($buf, $pos + 2, 2)), 4);
                }
                elsif ($len == 127) {
                    last if length($buf) - $pos < 10;
                    ($len, $hl) = (unpack('Q>', substr($buf, $pos + 2, 8)), 10);
                }
                last if length($buf) - $pos < $hl + $len;
                if (($b0 & 0x0F) == 8) {
                    my $code = $len >= 2 ? substr($buf, $pos + $hl, 2) : '';
                    my $mask = "\x11\x22\x33\x44";
                    print $sock pack('CC', 0x88, 0x80 | length $code), $mask,
                        fxt_mask($code, $mask);
                    $answered = 1;
                    last;
                }
                $pos += $hl + $len;
            }
        }
        my $n = _read_more($sock, \$buf, $left);
        next unless defined $n;
        return ($buf, time - $start) if !$n;
    }
    return ($buf, undef);
}

# The bytes of a server's Close frame.
sub fxt_close_frame {
    my ($code, $reason) = @_;
    $reason //= '';
    utf8::encode($reason);
    return pack('CCn', 0x88, 2 + length $reason, $code) . $reason;
}

1;
