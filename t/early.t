# A URL its scope surely raises is answered without mapping it to the
# filesystem where no <Directory>, <Files> or .htaccess that covers its
# file could change the answer (FastExcRaiseEarly unset), and mapped as
# always where one could: its Require (unless the <Location>'s own replaces
# it), its Header, its .htaccess, an <If> or an expression that reads what
# the mapping finds, a server's Options that refuse links. Each case is
# checked by its answer and by the debug line that says which way it went
# (FX0046 not mapped, FX0047 mapped, and which section). Throwaway httpds:
# each configuration is the case. The shapes a section takes: a <Files>
# inside a <Directory>, a <RequireAll>, a <DirectoryMatch>.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcTest;
use FastExcThrowaway;
use File::Path ();

my $dir = fxt_tempdir();
my $docroot = "$dir/htdocs";
my $JSON = 'application/json';
my $html403 = qr{<title>403 Forbidden</title>};

File::Path::make_path(map({ "$docroot/$_" } qw(denied hdr ht v api nest ra)),
                      "$dir/cgi", { mode => 0755 });
for my $f (map { "$docroot/$_/f.txt" } qw(denied hdr ht v nest ra)) {
    open my $fh, '>', $f or die "$f: $!";
    print $fh "a file\n";
    close $fh;
    chmod 0644, $f;
}
{
    open my $fh, '>', "$docroot/ht/.htaccess" or die $!;
    print $fh "Header always set X-Htaccess yes\n";
    close $fh;
    chmod 0644, "$docroot/ht/.htaccess";
}

my %ports = map { $_ => fx_free_port() }
    qw(debian merging lean vhost ifmap exprmap links shapes regex);
my %srv;
my @modules = qw(mpm_event authz_core authn_core auth_basic alias headers);

# Debian's apache2.conf: everything denied but what is granted, and the
# .ht files; its cgi-bin's links checked by owner
$srv{debian} = fxt_httpd_start(dir => $dir, name => 'debian', ports => [$ports{debian}],
    modules => \@modules, conf => <<"EOF");
Listen 127.0.0.1:$ports{debian}
DocumentRoot $docroot
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory $docroot>
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>
<Directory $docroot/denied>
    Require all denied
</Directory>
<Directory $dir/cgi>
    AllowOverride None
    Options +ExecCGI -MultiViews +SymLinksIfOwnerMatch
    Require all granted
</Directory>
<FilesMatch "^\\.ht">
    Require all denied
</FilesMatch>
<Location /api>
    FastExcRaise 404 "api"
</Location>
<Location /own>
    Require all granted
    FastExcRaise 404 "own"
</Location>
Alias /own-denied $docroot/denied
<Location /own-denied>
    Require all granted
    FastExcRaise 410 "own, denied directory"
</Location>
Alias /own-denied-off $docroot/denied
<Location /own-denied-off>
    Require all granted
    FastExcRaiseEarly Off
    FastExcRaise 410 "own, denied directory"
</Location>
Alias /denied $docroot/denied
<Location /denied>
    FastExcRaise 410 "denied directory"
</Location>
EOF

# an AuthMerging other than Off anywhere in the server: a <Location>'s
# Require may add to a <Directory>'s, not replace it
$srv{merging} = fxt_httpd_start(dir => $dir, name => 'merging',
    ports => [$ports{merging}], modules => \@modules, conf => <<"EOF");
Listen 127.0.0.1:$ports{merging}
DocumentRoot $docroot
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory $docroot>
    Require all granted
</Directory>
<Directory $docroot/denied>
    Require all denied
</Directory>
Alias /own-denied $docroot/denied
<Location /own-denied>
    Require all granted
    FastExcRaise 410 "own, denied directory"
</Location>
Alias /merging $docroot/denied
<Location /merging>
    Require all granted
    AuthMerging And
    FastExcRaise 410 "merging"
</Location>
EOF

# a lean configuration: nothing denied at the root
$srv{lean} = fxt_httpd_start(dir => $dir, name => 'lean',
    ports => [$ports{lean}, $ports{vhost}], modules => \@modules,
    conf => <<"EOF");
Listen 127.0.0.1:$ports{lean}
Listen 127.0.0.1:$ports{vhost}
DocumentRoot $docroot
<Directory />
    AllowOverride None
</Directory>
<Directory $docroot>
    Require all granted
</Directory>
<Files static.json>
    EnableMMAP Off
</Files>
<Directory $docroot/denied>
    Require all denied
</Directory>
<Directory $docroot/hdr>
    Header always set X-Directory yes
</Directory>
<Directory $docroot/ht>
    AllowOverride FileInfo
</Directory>
<Location /api>
    FastExcRaise 404 "api"
</Location>
<Location /api/off>
    FastExcRaiseEarly Off
</Location>
Alias /denied $docroot/denied
<Location /denied>
    FastExcRaise 410 "denied directory"
</Location>
Alias /hdr $docroot/hdr
<Location /hdr>
    FastExcRaise 404 "hdr"
</Location>
Alias /ht $docroot/ht
<Location /ht>
    FastExcRaise 404 "ht"
</Location>
<Location /authn>
    AuthType Basic
    AuthName "x"
    FastExcRaise 404 "authn"
</Location>
<Location /v>
    FastExcRaise 404 "v"
</Location>
<Location /wsr>
    FastExcWebSocket 4003 "closed"
</Location>
Alias /wsdenied $docroot/denied
<Location /wsdenied>
    FastExcWebSocket 4003 "closed"
</Location>
<VirtualHost 127.0.0.1:$ports{vhost}>
    <Directory $docroot/v>
        Require all denied
    </Directory>
</VirtualHost>
EOF

# what the mapping finds read by an <If>, by an expression of ours, and
# links refused server-wide: every raise of the server is mapped
my $lean_dirs = fxt_lean_dirs($docroot);
$srv{ifmap} = fxt_httpd_start(dir => $dir, name => 'ifmap', ports => [$ports{ifmap}],
    modules => \@modules, conf => <<"EOF");
Listen 127.0.0.1:$ports{ifmap}
$lean_dirs
<If "-f %{REQUEST_FILENAME}">
    Header always set X-Is-File yes
</If>
<Location /api>
    FastExcRaise 404 "api"
</Location>
<Location /wsif>
    FastExcRaiseEarly On
    FastExcWebSocket 4003 "closed"
    <If "-n %{REQUEST_FILENAME}">
        FastExcWebSocket Off
    </If>
</Location>
EOF
$srv{exprmap} = fxt_httpd_start(dir => $dir, name => 'exprmap', ports => [$ports{exprmap}],
    modules => \@modules, conf => <<"EOF");
Listen 127.0.0.1:$ports{exprmap}
$lean_dirs
<Location /api>
    FastExcRaise 404 "at %{REQUEST_FILENAME}"
</Location>
EOF
$srv{links} = fxt_httpd_start(dir => $dir, name => 'links', ports => [$ports{links}],
    modules => \@modules, conf => <<"EOF");
Listen 127.0.0.1:$ports{links}
Options SymLinksIfOwnerMatch
$lean_dirs
<Location /api>
    FastExcRaise 404 "api"
</Location>
EOF

# the shapes a section takes: a <Files> inside a <Directory>, a
# <RequireAll>; a regular expression, which may cover any file
$srv{shapes} = fxt_httpd_start(dir => $dir, name => 'shapes',
    ports => [$ports{shapes}], modules => \@modules, conf => <<"EOF");
Listen 127.0.0.1:$ports{shapes}
$lean_dirs
<Directory $docroot/nest>
    <Files "*.txt">
        Header always set X-Nested yes
    </Files>
</Directory>
<Directory $docroot/ra>
    <RequireAll>
        Require all granted
        Require not env FASTEXC_NEVER_SET
    </RequireAll>
</Directory>
<Location /api>
    FastExcRaise 404 "api"
</Location>
Alias /nest $docroot/nest
<Location /nest>
    FastExcRaise 404 "nest"
</Location>
Alias /ra $docroot/ra
<Location /ra>
    FastExcRaise 404 "ra"
</Location>
Alias /ra-own $docroot/ra
<Location /ra-own>
    Require all granted
    FastExcRaise 404 "ra-own"
</Location>
EOF
$srv{regex} = fxt_httpd_start(dir => $dir, name => 'regex',
    ports => [$ports{regex}], modules => \@modules, conf => <<"EOF");
Listen 127.0.0.1:$ports{regex}
$lean_dirs
<DirectoryMatch "^/nowhere-[0-9]+/">
    Require all denied
</DirectoryMatch>
<Location /api>
    FastExcRaise 404 "api"
</Location>
<Location /own>
    Require all granted
    FastExcRaise 404 "own"
</Location>
EOF

# mapped: 1 (FX0047, naming the section), 0 (FX0046), undef (no line
# either way: FastExcRaiseEarly Off, or the server maps every raise)
my @cases = (
    { label => 'Debian: <Directory /> denies, the <Location> has no Require',
      srv => 'debian', path => '/api/x', status => 404,
      body => '{"detail":"api"}', mapped => 1 },
    { label => 'Debian: the <Location>\'s own Require replaces theirs',
      srv => 'debian', path => '/own/x', status => 404,
      body => '{"detail":"own"}', mapped => 0 },
    { label => 'Debian: own Require, a directory <Directory> denies: the raise',
      srv => 'debian', path => '/own-denied/f.txt', status => 410,
      body => '{"detail":"own, denied directory"}', mapped => 0 },
    { label => 'the same mapped (FastExcRaiseEarly Off): the same answer',
      srv => 'debian', path => '/own-denied-off/f.txt', status => 410,
      body => '{"detail":"own, denied directory"}', mapped => undef },
    { label => 'Debian: no Require of its own, a directory denied: 403',
      srv => 'debian', path => '/denied/f.txt', status => 403,
      body_like => $html403, mapped => 1 },
    { label => 'AuthMerging And: <Directory>\'s Require still counts: 403',
      srv => 'merging', path => '/merging/f.txt', status => 403,
      body_like => $html403, mapped => 1 },
    { label => 'an AuthMerging in the server: own Require, mapped, the raise',
      srv => 'merging', path => '/own-denied/f.txt', status => 410,
      body => '{"detail":"own, denied directory"}', mapped => 1 },
    { label => 'lean: no section can change it: not mapped',
      srv => 'lean', path => '/api/x', status => 404,
      body => '{"detail":"api"}', mapped => 0 },
    { label => 'lean, FastExcRaiseEarly Off: mapped, same answer',
      srv => 'lean', path => '/api/off/x', status => 404,
      body => '{"detail":"api"}', mapped => undef },
    { label => 'lean: a directory <Directory> denies: 403',
      srv => 'lean', path => '/denied/f.txt', status => 403,
      body_like => $html403, mapped => 1 },
    { label => 'lean: the denied directory itself, its name ending with /',
      srv => 'lean', path => '/denied/', status => 403,
      body_like => $html403, mapped => 1 },
    { label => 'lean: a <Directory> Header: mapped, the header sent',
      srv => 'lean', path => '/hdr/f.txt', status => 404,
      body => '{"detail":"hdr"}', header => ['X-Directory', 'yes'],
      mapped => 1 },
    { label => 'lean: .htaccess allowed: mapped, its header sent',
      srv => 'lean', path => '/ht/f.txt', status => 404,
      body => '{"detail":"ht"}', header => ['X-Htaccess', 'yes'],
      mapped => 1 },
    { label => 'lean: an AuthType with no Require: the grant counts, mapped',
      srv => 'lean', path => '/authn/x', status => 404,
      body => '{"detail":"authn"}', mapped => 1 },
    { label => 'a <Location> of the main server, in the main server',
      srv => 'lean', path => '/v/f.txt', status => 404,
      body => '{"detail":"v"}', mapped => 0 },
    { label => 'the same in a host whose own <Directory> denies: 403',
      srv => 'lean', port => 'vhost', path => '/v/f.txt', status => 403,
      body_like => $html403, mapped => 1 },
    { label => 'a <Files> inside a <Directory>: where it is, mapped',
      srv => 'shapes', path => '/nest/f.txt', status => 404,
      body => '{"detail":"nest"}', header => ['X-Nested', 'yes'],
      mapped => 1 },
    { label => 'beside it, not mapped', srv => 'shapes', path => '/api/x',
      status => 404, body => '{"detail":"api"}', mapped => 0 },
    { label => 'a <RequireAll> in a <Directory>: mapped',
      srv => 'shapes', path => '/ra/f.txt', status => 404,
      body => '{"detail":"ra"}', mapped => 1 },
    { label => 'the same with the <Location>\'s own Require: not mapped',
      srv => 'shapes', path => '/ra-own/f.txt', status => 404,
      body => '{"detail":"ra-own"}', mapped => 0 },
    { label => 'a <DirectoryMatch> that denies: it may cover any file',
      srv => 'regex', path => '/api/x', status => 404,
      body => '{"detail":"api"}', mapped => 1 },
    { label => 'the same with the <Location>\'s own Require: not mapped',
      srv => 'regex', path => '/own/x', status => 404,
      body => '{"detail":"own"}', mapped => 0 },
    { label => 'an upgrade a FastExcWebSocket rule answers: not mapped',
      srv => 'lean', ws => 1, path => '/wsr/x', status => 101,
      close => [4003, 'closed'], mapped => 0 },
    { label => 'the same URL without an upgrade: the rule does not answer',
      srv => 'lean', path => '/wsr/x', status => 404, mapped => undef },
    { label => 'a directory <Directory> denies, no upgrade: 403, nothing noted',
      srv => 'lean', path => '/wsdenied/f.txt', status => 403,
      body_like => $html403, mapped => undef },
    { label => 'an upgrade to a directory <Directory> denies: mapped, 403',
      srv => 'lean', ws => 1, path => '/wsdenied/f.txt', status => 403,
      body_like => $html403, mapped => 1 },
    { label => 'an <If> reads the file name: mapped',
      srv => 'ifmap', path => '/api/x', status => 404,
      body => '{"detail":"api"}', mapped => undef },
    { label => 'a detail reads the file name: mapped, the name in it',
      srv => 'exprmap', path => '/api/x', status => 404,
      body => qq({"detail":"at $docroot/api/x"}), mapped => undef },
    { label => 'a server\'s Options refuse links: mapped',
      srv => 'links', path => '/api/x', status => 404,
      body => '{"detail":"api"}', mapped => undef },
);

for my $c (@cases) {
    my $s = $srv{ $c->{srv} };
    my $from = -s $s->{log} || 0;
    my $port = $ports{ $c->{port} || $c->{srv} };
    my $res;
    if ($c->{ws}) {
        my ($sock, $rest);
        ($sock, $res, $rest) = fxt_ws_open($port, $c->{path});
        if ($c->{close}) {
            my $want = fxt_close_frame(@{ $c->{close} });
            fxt_read_at_least($sock, \$rest, length $want, 10);
            is($rest, $want, "$c->{label}: its Close");
            my $mask = "\x01\x02\x03\x04";
            print $sock pack('CC', 0x88, 0x82), $mask,
                fxt_mask(pack('n', 1000), $mask);
        }
        close $sock;
    }
    else {
        $res = fxt_http($port, path => $c->{path});
    }
    is($res->{status}, $c->{status}, "$c->{label}: status");
    is($res->{body}, $c->{body}, "$c->{label}: body") if defined $c->{body};
    like($res->{body}, $c->{body_like}, "$c->{label}: body")
        if $c->{body_like};
    if ($c->{header}) {
        my ($name, $value) = @{ $c->{header} };
        is($res->{headers}{ lc $name }[0], $value, "$c->{label}: $name");
    }
    my $log = fxt_log($s, $from);
    unlike($log, qr/FX0042:/, "$c->{label}: no rule missed its unmapped URL");
    is($res->{headers}{'content-type'}[0], $JSON, "$c->{label}: JSON")
        if defined $c->{body};
    if (!defined $c->{mapped}) {
        unlike($log, qr/FX004[67]:/, "$c->{label}: no decision logged");
    }
    elsif ($c->{mapped}) {
        like($log, qr/FX0047: mapped before the raise: the section at \S+ covers/,
             "$c->{label}: mapped, the section named");
        unlike($log, qr/FX0046:/, "$c->{label}: not said unmapped");
    }
    else {
        like($log, qr/FX0046: raised without mapping \S+: no section/,
             "$c->{label}: not mapped");
        unlike($log, qr/FX0047:/, "$c->{label}: not said mapped");
    }
}

# FastExcRaiseEarly On, and an <If> that holds only once the file name is
# known takes the FastExcWebSocket rule away: the upgrade goes on unmapped
# (no handler serves it: 404), said by FX0042
{
    my $s = $srv{ifmap};
    my $from = -s $s->{log} || 0;
    my ($sock, $res) = fxt_ws_open($ports{ifmap}, '/wsif/x');
    close $sock;
    is($res->{status}, 404, 'an <If> takes the rule away after translation: 404');
    like(fxt_log($s, $from), qr/FX0042: FastExcRaiseEarly: the URL was not mapped to the filesystem for a FastExcWebSocket rule/,
         'an <If> takes the rule away after translation: FX0042');
}

done_testing();
