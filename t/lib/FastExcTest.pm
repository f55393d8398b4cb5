package FastExcTest;
# Helpers for mod_fastexc's Apache::Test suite: a raw HTTP/1.1 client that
# keeps the exact status line, headers and body bytes, and a table runner.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use Test::More;
use Apache::Test ();
use Apache::TestRequest ();
use Time::HiRes qw(time);

our @EXPORT = qw(fx_connect fx_request fx_send fx_read_response fx_check
                 fx_json_ok fx_hostport fx_ws_open fx_ws_read_frame
                 fx_ws_client_frame fx_wait_eof fx_conf_define
                 fx_free_port fx_log_since fx_start_uvicorn
                 fx_start_python);

my $TIMEOUT = 10;

# host:port of the main server, or of a named virtual host
sub fx_hostport {
    my $vhost = shift;
    my $config = Apache::Test::config();
    Apache::TestRequest::module($vhost || 'default');
    my $hp = Apache::TestRequest::hostport($config);
    Apache::TestRequest::module('default');
    return $hp;
}

sub fx_connect {
    my $hp = shift || fx_hostport();
    my $sock = IO::Socket::INET->new(PeerAddr => $hp, Timeout => $TIMEOUT)
        or die "cannot connect to $hp: $!";
    binmode $sock;
    return $sock;
}

# Send one request on an open socket. %o: method, path, headers (array of
# [name, value]), body, close (add Connection: close; default 1).
sub fx_send {
    my ($sock, %o) = @_;
    my $method = $o{method} || 'GET';
    my $req = "$method $o{path} HTTP/1.1\r\nHost: localhost\r\n";
    for my $h (@{ $o{headers} || [] }) {
        $req .= "$h->[0]: $h->[1]\r\n";
    }
    $req .= "Connection: close\r\n" if !defined $o{close} || $o{close};
    if (defined $o{body}) {
        $req .= "Content-Length: " . length($o{body}) . "\r\n";
    }
    $req .= "\r\n";
    $req .= $o{body} if defined $o{body};
    print $sock $req;
}

sub _read_more {
    my ($sock, $bufref) = @_;
    my $sel = IO::Select->new($sock);
    return 0 unless $sel->can_read($TIMEOUT);
    my $n = sysread($sock, $$bufref, 65536, length $$bufref);
    return $n;
}

# Read one response: { status, reason, headers => {lc name => [values]},
# header_list => [[name, value]...], body, closed }.
sub fx_read_response {
    my ($sock, %o) = @_;
    my $buf = $o{buffer} || '';
    until ($buf =~ /\r\n\r\n/) {
        my $n = _read_more($sock, \$buf);
        die "no complete response head (got: $buf)" unless $n;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my ($statusline, @lines) = split /\r\n/, $head;
    $statusline =~ m{^HTTP/1\.[01] (\d{3}) ?(.*)$}
        or die "bad status line: $statusline";
    my %res = (status => $1, reason => $2, headers => {}, header_list => [],
               status_line => $statusline);
    for my $l (@lines) {
        my ($n, $v) = split /:[ \t]*/, $l, 2;
        push @{ $res{headers}{lc $n} }, $v;
        push @{ $res{header_list} }, [$n, $v];
    }
    my $no_body = $o{head} || $res{status} == 204 || $res{status} == 304;
    my $cl = $res{headers}{'content-length'};
    my $te = $res{headers}{'transfer-encoding'};
    if ($no_body) {
        $res{body} = '';
    }
    elsif ($cl) {
        while (length $rest < $cl->[0]) {
            _read_more($sock, \$rest) or last;
        }
        $res{body} = substr($rest, 0, $cl->[0], '');
    }
    elsif ($te && $te->[0] =~ /chunked/i) {
        my $body = '';
        while (1) {
            until ($rest =~ /\r\n/) { _read_more($sock, \$rest) or die "eof" }
            $rest =~ s/^([0-9a-fA-F]+)[^\r]*\r\n// or die "bad chunk";
            my $len = hex $1;
            while (length $rest < $len + 2) { _read_more($sock, \$rest) or die "eof" }
            if ($len == 0) {
                substr($rest, 0, 2, '');    # the CRLF that ends the body
                last;
            }
            $body .= substr($rest, 0, $len);
            substr($rest, 0, $len + 2, '');
        }
        $res{body} = $body;
    }
    else {
        1 while _read_more($sock, \$rest);
        $res{body} = $rest;
        $rest = '';
    }
    $res{leftover} = $rest;
    return \%res;
}

# One request on its own connection.
sub fx_request {
    my (%o) = @_;
    my $sock = fx_connect($o{hostport});
    fx_send($sock, %o);
    my $res = fx_read_response($sock, head => ($o{method} || '') eq 'HEAD');
    close $sock;
    return $res;
}

# ---- WebSocket, raw: exact bytes, misbehaving clients ----

# Open a WebSocket handshake by hand. %o: path, headers (extra [name,
# value]), key, version, hostport. Returns (socket, response, leftover bytes
# already read past the response head).
sub fx_ws_open {
    my (%o) = @_;
    my $sock = fx_connect($o{hostport});
    my @h = (['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
             ['Sec-WebSocket-Key', $o{key} || 'dGhlIHNhbXBsZSBub25jZQ=='],
             ['Sec-WebSocket-Version', $o{version} // 13],
             @{ $o{headers} || [] });
    fx_send($sock, path => $o{path}, headers => \@h, close => 0);
    my $buf = '';
    until ($buf =~ /\r\n\r\n/) {
        _read_more($sock, \$buf) or die "no handshake response: $buf";
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    if ($head !~ m{^HTTP/1\.1 101 }) {
        # an HTTP answer: read it whole
        my $res = fx_read_response($sock, buffer => $buf);
        return ($sock, $res, '');
    }
    my ($statusline, @lines) = split /\r\n/, $head;
    my %res = (status => 101, status_line => $statusline, headers => {});
    for my $l (@lines) {
        my ($n, $v) = split /:[ \t]*/, $l, 2;
        push @{ $res{headers}{lc $n} }, $v;
    }
    return ($sock, \%res, $rest);
}

# Read one server frame (unmasked): { fin, opcode, payload, raw } or undef
# at EOF or after 10 s.
sub fx_ws_read_frame {
    my ($sock, $bufref) = @_;
    my $need = sub {
        my $n = shift;
        while (length $$bufref < $n) {
            _read_more($sock, $bufref) or return 0;
        }
        1;
    };
    $need->(2) or return undef;
    my ($b0, $b1) = unpack 'CC', $$bufref;
    my $len = $b1 & 0x7F;
    my $hl = 2;
    if ($len == 126) { $need->(4) or return undef; $len = unpack 'x2n', $$bufref; $hl = 4 }
    elsif ($len == 127) { $need->(10) or return undef; $len = unpack 'x2Q>', $$bufref; $hl = 10 }
    $need->($hl + $len) or return undef;
    my $raw = substr($$bufref, 0, $hl + $len, '');
    return { fin => $b0 >> 7, opcode => $b0 & 0x0F,
             payload => substr($raw, $hl), raw => $raw };
}

# A masked client frame.
sub fx_ws_client_frame {
    my ($opcode, $payload, %o) = @_;
    my @mask = (0x37, 0xfa, 0x21, 0x3d);
    my $len = length $payload;
    my $b0 = ($o{fin} // 1) ? 0x80 | $opcode : $opcode;
    my $f = pack('C', $b0);
    $f .= $len < 126 ? pack('C', 0x80 | $len) : pack('Cn', 0x80 | 126, $len);
    $f .= pack('C4', @mask);
    my $i = 0;
    $f .= join '', map { chr(ord($_) ^ $mask[$i++ % 4]) } split //, $payload;
    return $f;
}

# Seconds until the server closes the connection (EOF or reset), or undef
# if it is still open after $limit seconds. Discards what it reads.
sub fx_wait_eof {
    my ($sock, $limit) = @_;
    my $start = time;
    my $sel = IO::Select->new($sock);
    while (1) {
        my $left = $limit - (time - $start);
        return undef if $left <= 0;
        next unless $sel->can_read($left);
        my $buf;
        my $n = sysread($sock, $buf, 65536);
        return time - $start if !$n;
    }
}

# The value of a "Define NAME value" in the generated extra.conf.
sub fx_conf_define {
    my $name = shift;
    my $file = Apache::Test::vars('t_conf') . '/extra.conf';
    open my $fh, '<', $file or die "$file: $!";
    while (<$fh>) {
        return $1 if /^\s*Define\s+\Q$name\E\s+(\S+)/;
    }
    die "no Define $name in $file";
}

# A free TCP port on loopback.
sub fx_free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1, ReuseAddr => 1) or die $!;
    my $p = $s->sockport;
    close $s;
    return $p;
}

# What the server's error_log got since byte offset $from.
sub fx_log_since {
    my $from = shift;
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $log or die "$log: $!";
    seek $fh, $from, 0;
    local $/;
    return <$fh> // '';
}

# Start t/fastapi/app.py under uvicorn on 127.0.0.1:$port and wait for it
# (bounded: 20 s); it is stopped when the test ends. Returns its pid.
my @uvicorns;
sub fx_start_uvicorn {
    my ($python, $port) = @_;
    my $appdir = Apache::Test::vars('t_dir') . '/fastapi';
    return fx_start_python($python, $port, '-m', 'uvicorn', '--app-dir',
        $appdir, '--host', '127.0.0.1', '--port', $port, '--log-level',
        'warning', 'app:app');
}

# Start `$python @args`, a server that listens on 127.0.0.1:$port, and wait
# for it the same way (t/backend/errors.py is one). Returns its pid.
sub fx_start_python {
    my ($python, $port, @args) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        no warnings 'exec';
        exec $python, @args;
        require POSIX;
        POSIX::_exit(127);
    }
    push @uvicorns, $pid;
    for (1 .. 200) {
        return $pid if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                             Timeout => 1);
        select undef, undef, undef, 0.1;
    }
    die "$args[0] $args[1] did not start on 127.0.0.1:$port\n";
}
# (local $?: a server killed by TERM must not become the test's exit status)
END { local $?; for my $pid (@uvicorns) { kill 'TERM', $pid; waitpid $pid, 0 } }

# Whether a body is well-formed JSON.
sub fx_json_ok {
    my $body = shift;
    my $ok = eval { JSON::PP->new->utf8->allow_nonref->decode($body); 1 };
    return $ok ? 1 : 0;
}

# Check one response against a case: status, reason, body (exact bytes),
# body_like (regex), json (body parses), headers (name => value, or undef
# for "absent").
sub fx_check {
    my ($label, $res, $c) = @_;
    is($res->{status}, $c->{status}, "$label: status");
    is($res->{reason}, $c->{reason}, "$label: reason phrase")
        if exists $c->{reason};
    is($res->{body}, $c->{body}, "$label: body bytes") if exists $c->{body};
    like($res->{body}, $c->{body_like}, "$label: body")
        if exists $c->{body_like};
    ok(fx_json_ok($res->{body}), "$label: body is JSON") if $c->{json};
    for my $name (sort keys %{ $c->{headers} || {} }) {
        my $want = $c->{headers}{$name};
        my $got = $res->{headers}{lc $name};
        $got = join(', ', @$got) if $got;
        if (defined $want) {
            is($got, $want, "$label: header $name");
        }
        else {
            ok(!defined $got, "$label: no header $name")
                or diag("got $name: $got");
        }
    }
}

1;
