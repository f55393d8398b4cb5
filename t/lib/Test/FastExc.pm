package Test::FastExc;
# Test::FastExc - assertions for mod_fastexc's answers, for Apache::Test
# suites (or any Test::More script) that test an httpd configuration.
#
#   use Apache::Test qw(-withtestmore);
#   use Test::FastExc;
#   exception_ok '/api/v1/items', 410, 'API v1 is gone: use /api/v2',
#       headers => { Link => '</api/v2>; rel=successor-version' };
#   websocket_close_ok '/ws/chat', 1008, 'Policy violated: log in first';
#
# The POD at the end documents it; mod_fastexc's README shows a whole test.
use strict;
use warnings;

use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha1_base64);
use Test::Builder;
use Time::HiRes qw(time);

our $VERSION = '1.0.0';
our @EXPORT = qw(exception_ok websocket_close_ok);
our @EXPORT_OK = qw(fastexc_request fastexc_websocket_close);

my $Test = Test::Builder->new;
my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
our $TIMEOUT = 10;

# ---- where to connect ----------------------------------------------------

# (scheme, host, port, path) of a path ('/x': the Apache::Test server) or
# of a URL (http, https, ws, wss).
sub _target {
    my $what = shift;
    if ($what =~ m{^(https?|wss?)://([^/:]+|\[[^\]]+\])(?::(\d+))?(/.*)?$}) {
        my ($scheme, $host, $port, $path) = ($1, $2, $3, $4 // '/');
        $host =~ s/^\[(.*)\]$/$1/;
        my $tls = $scheme eq 'https' || $scheme eq 'wss' ? 1 : 0;
        $port //= $tls ? 443 : 80;
        return ($tls, $host, $port, $path);
    }
    die "Test::FastExc: '$what' is neither a path nor an http(s)/ws(s) URL\n"
        unless $what =~ m{^/};
    if (my $base = $ENV{FASTEXC_TEST_BASE}) {
        $base =~ s{/+$}{};
        return _target("$base$what");
    }
    require Apache::Test;
    require Apache::TestRequest;
    my $hp = Apache::TestRequest::hostport(Apache::Test::config());
    my ($host, $port) = $hp =~ /^(.*):(\d+)$/
        or die "Test::FastExc: no host:port for the Apache::Test server\n";
    return (0, $host, $port, $what);
}

sub _connect {
    my ($tls, $host, $port) = @_;
    my $sock;
    if ($tls) {
        require IO::Socket::SSL;
        $sock = IO::Socket::SSL->new(PeerHost => $host, PeerPort => $port,
            Timeout => $TIMEOUT, SSL_verify_mode => 0)
            or die "Test::FastExc: TLS to $host:$port: "
                . IO::Socket::SSL::errstr() . "\n";
    }
    else {
        $sock = IO::Socket::INET->new(PeerHost => $host, PeerPort => $port,
                                      Timeout => $TIMEOUT)
            or die "Test::FastExc: cannot connect to $host:$port: $!\n";
    }
    binmode $sock;
    return $sock;
}

# Read more into $$buf within $deadline: bytes read, 0 at EOF, undef on
# timeout.
sub _read_more {
    my ($sock, $buf, $deadline) = @_;
    my $left = $deadline - time;
    return undef if $left <= 0;
    my $pending = $sock->can('pending') && $sock->pending;
    return undef unless $pending || IO::Select->new($sock)->can_read($left);
    my $n = sysread($sock, $$buf, 65536, length $$buf);
    return $n || 0;
}

sub _headers {
    my $h = shift || [];
    return ref $h eq 'HASH' ? [map { [$_, $h->{$_}] } sort keys %$h] : $h;
}

# ---- a response, whatever it came from -------------------------------------

# { status, reason, headers => { lc name => [values] }, body } from our
# own client, or from an HTTP::Response (Apache::TestRequest's GET, LWP).
sub _response {
    my $res = shift;
    return $res if ref $res eq 'HASH';
    my %r = (status => $res->code, reason => $res->message // '',
             body => $res->content, headers => {});
    for my $name ($res->headers->header_field_names) {
        $r{headers}{lc $name} = [$res->headers->header($name)];
    }
    # LWP's own headers (Client-Date...) are not the server's
    delete $r{headers}{$_} for grep { /^client-/ } keys %{ $r{headers} };
    return \%r;
}

=pod

=head1 fastexc_request

  my $res = fastexc_request('/path' or 'http://host:port/path',
                            method => 'GET', headers => [[name, value]...],
                            body => '...');

One HTTP/1.1 request on its own connection (Connection: close). Returns
{ status, reason, headers => { lc name => [values] }, body }, the body
de-chunked, bytes as sent.

=cut

sub fastexc_request {
    my ($what, %o) = @_;
    my ($tls, $host, $port, $path) = _target($what);
    my $sock = _connect($tls, $host, $port);
    my $method = $o{method} || 'GET';
    my $req = "$method $path HTTP/1.1\r\nHost: $host\r\n";
    $req .= "$_->[0]: $_->[1]\r\n" for @{ _headers($o{headers}) };
    $req .= "Content-Length: " . length($o{body}) . "\r\n" if defined $o{body};
    $req .= "Connection: close\r\n\r\n";
    $req .= $o{body} if defined $o{body};
    print $sock $req;
    my ($buf, $deadline) = ('', time + $TIMEOUT);
    while (1) {
        my $n = _read_more($sock, \$buf, $deadline);
        die "Test::FastExc: no answer to $method $path within ${TIMEOUT}s\n"
            unless defined $n;
        last unless $n;
    }
    close $sock;
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    die "Test::FastExc: no complete response to $method $path: '$buf'\n"
        unless defined $rest;
    my ($line, @lines) = split /\r\n/, $head;
    my ($status, $reason) = $line =~ m{^HTTP/\d\.\d (\d{3}) ?(.*)$}
        or die "Test::FastExc: bad status line '$line'\n";
    my %res = (status => $status, reason => $reason, headers => {});
    for (@lines) {
        my ($n, $v) = split /:[ \t]*/, $_, 2;
        push @{ $res{headers}{lc $n} }, $v;
    }
    my $te = $res{headers}{'transfer-encoding'};
    if ($method eq 'HEAD') {
        $rest = '';
    }
    elsif ($te && $te->[0] =~ /chunked/i) {
        my $body = '';
        while ($rest =~ s/^([0-9a-fA-F]+)[^\r]*\r\n//) {
            my $len = hex $1;
            last unless $len;
            $body .= substr($rest, 0, $len, '');
            $rest =~ s/^\r\n//;
        }
        $rest = $body;
    }
    elsif (my $cl = $res{headers}{'content-length'}) {
        $rest = substr($rest, 0, $cl->[0]);
    }
    $res{body} = $rest;
    return \%res;
}

# ---- exception_ok ----------------------------------------------------------

sub _show {
    my $v = shift;
    return 'nothing' unless defined $v;
    my $s = ref $v ? $JSON->encode($v) : $v;
    $s = substr($s, 0, 200) . '...' if length $s > 200;
    return $s;
}

# The detail as JSON text, for comparing values: strings, numbers, objects,
# arrays, JSON::PP::true/false, undef (null).
sub _json { return $JSON->encode($_[0]) }

sub _check_header {
    my ($problems, $res, $name, $want) = @_;
    my $got = $res->{headers}{lc $name};
    $got = join(', ', @$got) if $got;
    if (!defined $want) {
        push @$problems, "header $name: sent ('$got'), want none" if defined $got;
    }
    elsif (!defined $got) {
        push @$problems, "header $name: missing, want '"
            . (ref $want ? "like $want" : $want) . "'";
    }
    elsif (ref $want eq 'Regexp' ? $got !~ $want : $got ne $want) {
        push @$problems, "header $name: got '$got', want '"
            . (ref $want ? "like $want" : $want) . "'";
    }
}

sub exception_ok {
    my ($what, $status, $detail, %o) = @_;
    my $default_detail = @_ < 3 || !defined $detail;
    my $label = ref $what ? 'the response' : ($o{method} || 'GET') . " $what";
    my $name = $o{name} // "$label is the exception $status";
    my @problems;
    my $res = eval {
        _response(ref $what ? $what : fastexc_request($what, %o,
            headers => $o{request_headers}));
    };
    if (!$res) {
        local $Test::Builder::Level = $Test::Builder::Level + 1;
        $Test->ok(0, $name);
        $Test->diag("  no response: $@");
        return 0;
    }
    my $format = $o{format} || 'fastapi';
    push @problems, "status: got $res->{status}, want $status"
        if $res->{status} != $status;
    my $type = $res->{headers}{'content-type'};
    $type = $type ? $type->[0] : undef;
    my $want_type = $o{content_type}
        // ($format eq 'problem' ? 'application/problem+json' : 'application/json');
    my $no_body = $status == 204 || $status == 205 || $status == 304
        || ($o{method} || '') eq 'HEAD';
    my $cl = $res->{headers}{'content-length'};
    if ($no_body) {
        push @problems, "body: got " . length($res->{body}) . " bytes, want none"
            if length $res->{body};
    }
    elsif (!defined $type || $type ne $want_type) {
        push @problems, "Content-Type: got '" . ($type // 'none')
            . "', want '$want_type'"
            . (defined $type && $type =~ m{^text/html}
               ? " (httpd's own error page: is FastExc On, or a raise, in this scope?)"
               : '');
    }
    elsif ($cl && $cl->[0] != length $res->{body}) {
        push @problems, "Content-Length: $cl->[0], but the body has "
            . length($res->{body}) . " bytes";
    }
    if (!$no_body && defined $type && $type eq $want_type) {
        my $body = eval { $JSON->decode($res->{body}) };
        if (defined $o{body} && $res->{body} ne $o{body}) {
            push @problems, "body: got '" . _show($res->{body})
                . "', want '" . _show($o{body}) . "'";
        }
        if (!defined $body && $@) {
            push @problems, "body is not JSON: '" . _show($res->{body}) . "'";
        }
        elsif ($format eq 'problem') {
            push @problems, "body: a Problem Details object has no status $status: '"
                . _show($res->{body}) . "'"
                unless ref $body eq 'HASH' && ($body->{status} // '') eq $status;
            if (!$default_detail && ref $detail eq 'HASH' && ref $body eq 'HASH') {
                for my $k (sort keys %$detail) {
                    next if exists $body->{$k}
                        && _json($body->{$k}) eq _json($detail->{$k});
                    push @problems, "member $k: got " . _show(_json($body->{$k}))
                        . ", want " . _show(_json($detail->{$k}));
                }
            }
            elsif (!$default_detail && ref $body eq 'HASH'
                   && _json($body->{detail}) ne _json($detail)) {
                push @problems, "detail: got " . _show(_json($body->{detail}))
                    . ", want " . _show(_json($detail));
            }
            if (defined $o{problem_type} && ref $body eq 'HASH'
                && ($body->{type} // '') ne $o{problem_type}) {
                push @problems, "type: got '" . ($body->{type} // '')
                    . "', want '$o{problem_type}'";
            }
        }
        elsif (ref $body ne 'HASH' || join(',', keys %$body) ne 'detail') {
            push @problems, "body: not {\"detail\": ...}: '" . _show($res->{body}) . "'";
        }
        else {
            # no detail given: the reason phrase, as FastAPI sends it
            my $want = $default_detail ? $res->{reason} : $detail;
            push @problems, "detail: got " . _show(_json($body->{detail}))
                . ", want " . _show(_json($want))
                if _json($body->{detail}) ne _json($want);
        }
    }
    my $h = $o{headers} || {};
    _check_header(\@problems, $res, $_, $h->{$_}) for sort keys %$h;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = $Test->ok(!@problems, $name);
    $Test->diag(join "\n", map { "  $_" } @problems) if @problems;
    return $ok;
}

# ---- websocket_close_ok ------------------------------------------------------

=pod

=head1 fastexc_websocket_close

  my $close = fastexc_websocket_close('/ws' or 'ws://host:port/ws',
                                      headers => [[name, value]...]);

Opens a WebSocket (HTTP/1.1 handshake), reads frames until the server's
Close, answers it and waits for the end. Returns { code, reason, frames
(data frames before the Close), status (101, or the HTTP status that
refused the handshake), body (that answer's body), error }.

=cut

sub fastexc_websocket_close {
    my ($what, %o) = @_;
    my ($tls, $host, $port, $path) = _target($what);
    my $sock = _connect($tls, $host, $port);
    my $key = encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
    my $req = "GET $path HTTP/1.1\r\nHost: $host\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Key: $key\r\n"
        . "Sec-WebSocket-Version: 13\r\n";
    $req .= "$_->[0]: $_->[1]\r\n" for @{ _headers($o{headers}) };
    print $sock "$req\r\n";
    my ($buf, $deadline) = ('', time + ($o{timeout} || $TIMEOUT));
    my %out = (frames => []);
    until ($buf =~ /\r\n\r\n/) {
        my $n = _read_more($sock, \$buf, $deadline);
        return { %out, error => $n ? 'timeout' : 'the connection closed before '
            . 'the handshake was answered' } unless $n;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    ($out{status}) = $head =~ m{^HTTP/\d\.\d (\d{3})};
    if (($out{status} // 0) != 101) {
        1 while _read_more($sock, \$rest, time + 1);
        $out{body} = $rest;
        return { %out, error => "the handshake was answered HTTP "
            . ($out{status} // '?') . ", not 101" };
    }
    my ($accept) = $head =~ /^Sec-WebSocket-Accept:\s*(\S+)/mi;
    my $want = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
    return { %out, error => "bad Sec-WebSocket-Accept: " . ($accept // 'none') }
        unless ($accept // '') eq $want;
    $buf = $rest;
    while (1) {
        my $frame = _frame(\$buf);
        if (!$frame) {
            my $n = _read_more($sock, \$buf, $deadline);
            return { %out, error => defined $n
                ? 'the connection closed without a Close frame'
                : 'no Close frame within ' . ($o{timeout} || $TIMEOUT) . 's' }
                unless $n;
            next;
        }
        if ($frame->{opcode} != 8) {
            push @{ $out{frames} }, $frame;
            next;
        }
        my $p = $frame->{payload};
        $out{code} = length $p >= 2 ? unpack('n', $p) : undef;
        $out{reason} = length $p > 2 ? substr($p, 2) : '';
        utf8::decode($out{reason});
        # a client answers the Close (masked), then the server closes
        my $mask = pack 'N', int rand 2**32;
        my $code = length $p >= 2 ? substr($p, 0, 2) : '';
        my $m = substr($mask x 2, 0, length $code);
        print $sock pack('CC', 0x88, 0x80 | length $code), $mask, $code ^ $m;
        1 while _read_more($sock, \$buf, time + 1);
        close $sock;
        return \%out;
    }
}

# One server frame from the front of $$buf, or undef if incomplete.
sub _frame {
    my $buf = shift;
    return undef if length $$buf < 2;
    my ($b0, $b1) = unpack 'CC', $$buf;
    my ($len, $hl) = ($b1 & 0x7F, 2);
    if ($len == 126) {
        return undef if length $$buf < 4;
        ($len, $hl) = (unpack('x2n', $$buf), 4);
    }
    elsif ($len == 127) {
        return undef if length $$buf < 10;
        ($len, $hl) = (unpack('x2Q>', $$buf), 10);
    }
    return undef if length $$buf < $hl + $len;
    my $raw = substr($$buf, 0, $hl + $len, '');
    return { opcode => $b0 & 0x0F, payload => substr($raw, $hl) };
}

sub websocket_close_ok {
    my ($what, $code, $reason, %o) = @_;
    my $name = $o{name} // "$what closes with $code";
    my $c = eval { fastexc_websocket_close($what, %o) } || { error => $@ };
    my @problems;
    if ($c->{error}) {
        push @problems, $c->{error};
        push @problems, "its body: '" . _show($c->{body}) . "'" if $c->{body};
    }
    else {
        push @problems, "close code: got " . ($c->{code} // 'none') . ", want $code"
            if ($c->{code} // -1) != $code;
        push @problems, "reason: got '$c->{reason}', want '$reason'"
            if defined $reason && $c->{reason} ne $reason;
    }
    if (@{ $c->{frames} || [] } && defined $o{frames} && !$o{frames}) {
        push @problems, scalar(@{ $c->{frames} }) . " data frame(s) before the Close";
    }
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = $Test->ok(!@problems, $name);
    $Test->diag(join "\n", map { "  $_" } @problems) if @problems;
    return $ok;
}

1;

__END__

=head1 NAME

Test::FastExc - test that httpd answers with mod_fastexc's exceptions and
WebSocket closes

=head1 SYNOPSIS

  use Apache::Test qw(-withtestmore);
  use Test::FastExc;

  plan tests => 4;
  exception_ok '/api/v1/items', 410, 'API v1 is gone: use /api/v2',
      headers => { Link => '</api/v2>; rel=successor-version' };
  exception_ok '/api/orders', 401, 'Not authenticated',
      headers => { 'WWW-Authenticate' => 'Bearer' };
  exception_ok GET('/api/x'), 422, { loc => ['header'], msg => 'required' };
  websocket_close_ok '/ws/chat', 1008, 'Policy violated: log in first';

=head1 FUNCTIONS

=head2 exception_ok $what, $status, $detail, %options

A test that passes when $what is answered with the exception: the status,
C<Content-Type: application/json> (or C<application/problem+json>), the
body C<{"detail": $detail}> compared as JSON values (a string, a number,
an array or hash reference, C<JSON::PP::true>; C<undef> or nothing: the
reason phrase, FastAPI's default), a Content-Length that fits the body.

$what is a path of the Apache::Test server (or of the server
C<$ENV{FASTEXC_TEST_BASE}> names, such as C<http://127.0.0.1:8080>),
requested with GET; a URL
(C<http://127.0.0.1:8080/x>, C<https://...>), or a response already made
(an C<HTTP::Response>, as Apache::TestRequest's C<GET> returns).

Options: C<headers> (name => value, C<qr//>, or C<undef> for "not sent"),
C<format> (C<fastapi>, the default, or C<problem>: then C<status> and
C<detail> members, or each member of a hash $detail, are checked),
C<problem_type>, C<content_type> (a Content-Type the raise gave), C<body>
(the exact bytes), C<method>, C<request_headers> (name => value),
C<name> (the test's name).

On failure it says what differs, one line each:

  #   status: got 404, want 410
  #   Content-Type: got 'text/html; charset=iso-8859-1', want 'application/json'
  #   detail: got "Not Found", want "Item not found"

=head2 websocket_close_ok $what, $code, $reason, %options

A test that passes when a WebSocket opened on $what (a path, or a
C<ws://>/C<wss://> URL) gets a Close frame with $code and $reason (C<undef>:
any reason). The client answers the Close as a browser does. On failure:
the HTTP status that refused the handshake and its body, a missing Close,
or the code and reason received. Options: C<headers>, C<timeout> (seconds,
default 10), C<frames> (0: no data frame may come before the Close),
C<name>.

=head2 fastexc_request, fastexc_websocket_close

The clients behind them, exported on request.

=head1 SEE ALSO

mod_fastexc's README: "Testing your configuration".

=cut
