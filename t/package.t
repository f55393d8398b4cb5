# The Debian packages `make deb` built (make package-test gives their
# folder in FASTEXC_DEBS): their fields (the httpd module API they depend
# on, the version the header says), their files where apxs says, and the
# packaged module loaded with the packaged fastexc.load and fastexc.conf in
# a throwaway httpd, answered and checked with the packaged Test::FastExc;
# the packaged header compiled with its version macro.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FastExcThrowaway qw(fxt_tempdir fxt_libexec);
use IO::Socket::INET;
use Time::HiRes qw(sleep);

my $debs = $ENV{FASTEXC_DEBS};
plan skip_all => 'no packages to test: `make package-test` builds them and runs this'
    unless $debs && -d $debs;

my $apxs = Apache::Test::vars('apxs');
my $httpd = Apache::Test::vars('httpd');
my %q = map { my $v = `'$apxs' -q $_`; chomp $v; ($_ => $v) }
    qw(LIBEXECDIR SYSCONFDIR INCLUDEDIR);
my $header = Apache::Test::vars('top_dir') . '/include/mod_fastexc.h';
my ($version) = do { open my $fh, '<', $header or die "$header: $!"; local $/; <$fh> }
    =~ /^#define MOD_FASTEXC_VERSION "([^"]+)"$/m;
die "no MOD_FASTEXC_VERSION in $header" unless $version;

sub deb_of {
    my $name = shift;
    my @f = glob "$debs/${name}_*.deb";
    return @f == 1 ? $f[0] : undef;
}
my $mod = deb_of('libapache2-mod-fastexc');
my $dev = deb_of('libapache2-mod-fastexc-dev');
ok($mod, 'libapache2-mod-fastexc built') or BAIL_OUT("no package in $debs");
ok($dev, 'libapache2-mod-fastexc-dev built') or BAIL_OUT("no -dev package in $debs");

sub field { my ($deb, $f) = @_; my $v = `dpkg-deb -f '$deb' $f`; chomp $v; return $v }

# ---- fields -------------------------------------------------------------------------

is(field($mod, 'Version'), $version, "the package's version is the header's ($version)");
is(field($dev, 'Version'), $version, "the -dev package's too");
my ($mmn) = `grep -h '^#define MODULE_MAGIC_NUMBER_MAJOR' '$q{INCLUDEDIR}/ap_mmn.h'`
    =~ /(\d{8})/;
like(field($mod, 'Depends'), qr/(^|, )apache2-api-\Q$mmn\E(,|$)/,
     "depends on the httpd module API it was built for (apache2-api-$mmn)");
like(field($mod, 'Depends'), qr/libjansson/, 'depends on jansson (shlibs)');
my $postinst = `dpkg-deb -I '$mod' postinst 2>&1`;
like($postinst, qr/apache2_invoke enmod \$conf/, 'postinst: a2enmod through apache2-maintscript-helper');
like($postinst, qr/for conf in fastexc\b/, 'postinst: the module is fastexc');

# ---- files ----------------------------------------------------------------------------

my $dir = fxt_tempdir();
my $root = "$dir/root";
mkdir $root or die "$root: $!";
for my $deb ($mod, $dev) {
    system('dpkg-deb', '-x', $deb, $root) == 0 or die "dpkg-deb -x $deb failed";
}
system('chmod', '-R', 'a+rX', $dir);
my $avail = "$root$q{SYSCONFDIR}/mods-available";
ok(-f "$root$q{LIBEXECDIR}/mod_fastexc.so", "the module in apxs's LIBEXECDIR ($q{LIBEXECDIR})");
ok(-f "$avail/fastexc.load" && -f "$avail/fastexc.conf",
   "fastexc.load and fastexc.conf in $q{SYSCONFDIR}/mods-available");
ok(-f "$root$q{INCLUDEDIR}/mod_fastexc.h", "-dev: the header in apxs's INCLUDEDIR ($q{INCLUDEDIR})");
my $vendorlib = `perl -MConfig -e 'print \$Config{vendorlib}'`;
ok(-f "$root$vendorlib/Test/FastExc.pm", "-dev: Test::FastExc in Perl's vendor library");
ok(-f "$root/usr/share/doc/libapache2-mod-fastexc/README.md.gz", 'the README in the docs');
my $load = do { open my $fh, '<', "$avail/fastexc.load" or die $!; local $/; <$fh> };
my @lm = $load =~ /^\s*LoadModule\s+(\S+)\s+(\S+)\s*$/mg;
is_deeply(\@lm, ['fastexc_module', "$q{LIBEXECDIR}/mod_fastexc.so"],
          'fastexc.load: one LoadModule, of the module where apxs put it');
unlike(do { open my $fh, '<', "$avail/fastexc.conf" or die $!; local $/; <$fh> },
       qr{^\s*[^#\s].*(/usr/lib|/etc/apache2|/var/log)}m,
       'fastexc.conf: no Debian path in what it sets');

# ---- the header: the version macro at compile time -------------------------------------

my $c = "$dir/version.c";
open my $cfh, '>', $c or die "$c: $!";
print $cfh <<"EOF";
#include "mod_fastexc.h"
#if !defined(MOD_FASTEXC_VERSION_NUM) || MOD_FASTEXC_VERSION_NUM < 0x010000
#error "MOD_FASTEXC_VERSION_NUM missing or too old"
#endif
_Static_assert(MOD_FASTEXC_VERSION_NUM == ((MOD_FASTEXC_VERSION_MAJOR << 16) | (MOD_FASTEXC_VERSION_MINOR << 8) | MOD_FASTEXC_VERSION_PATCH), "VERSION_NUM");
static const char v[] = MOD_FASTEXC_VERSION;
static APR_OPTIONAL_FN_TYPE(fastexc_raise_text) *raise_text;
int main(void) { return raise_text != 0 || v[0] == 0; }
EOF
close $cfh;
my $apr = `apr-1-config --includes --cppflags 2>/dev/null` || '';
chomp $apr;
my $said = `cc -fsyntax-only -Wall -Werror -I'$root$q{INCLUDEDIR}' -I'$q{INCLUDEDIR}' $apr '$c' 2>&1`;
is($?, 0, '-dev: the header compiles, MOD_FASTEXC_VERSION_NUM testable with #if')
    or diag($said);

# ---- the packaged module, .load and .conf in a throwaway httpd --------------------------

my $libexec = fxt_libexec();
my $home = "$dir/srv";
mkdir $home or die "$home: $!";
chmod 0755, $home;
my $port = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
        or die $!;
    my $p = $s->sockport;
    close $s;
    $p;
};
# the packaged .load as it is, but for where the package is unpacked
(my $mapped = $load) =~ s{\Q$q{LIBEXECDIR}\E/}{$root$q{LIBEXECDIR}/};
open my $lfh, '>', "$home/fastexc.load" or die $!;
print $lfh $mapped;
close $lfh;
my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
my $conf = "$home/httpd.conf";
open my $out, '>', $conf or die "$conf: $!";
print $out <<"EOF";
ServerRoot $home
ServerName localhost
Listen 127.0.0.1:$port
PidFile $home/httpd.pid
ErrorLog $home/error_log
LogLevel info
DefaultRuntimeDir $home
Mutex file:$home default
$user
LoadModule mpm_event_module $libexec/mod_mpm_event.so
LoadModule authz_core_module $libexec/mod_authz_core.so
LoadModule authz_host_module $libexec/mod_authz_host.so
LoadModule status_module $libexec/mod_status.so
Include $home/fastexc.load
Include $avail/fastexc.conf
<Location /items>
    FastExcRaise 404 "Item not found"
</Location>
<Location /ws/chat>
    FastExcWebSocket 1008 "Policy violated: log in first"
    FastExcWebSocketCloseTimeout 1
</Location>
<Location /fastexc-metrics>
    SetHandler fastexc-metrics
    Require local
</Location>
EOF
close $out;
$said = `'$httpd' -f '$conf' -t 2>&1`;
is($?, 0, 'httpd -t: the packaged .load and .conf') or diag($said);
$said = `'$httpd' -f '$conf' -k start 2>&1`;
is($?, 0, 'httpd starts with them') or diag($said);
my $pid;
for (1 .. 100) {
    if (open my $fh, '<', "$home/httpd.pid") { ($pid) = <$fh> =~ /(\d+)/ }
    last if $pid && IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1);
    sleep 0.1;
}
END {
    if ($pid) {
        local $?;
        kill 'TERM', $pid;
        for (1 .. 200) { last unless kill 0, $pid; sleep 0.05 }
    }
}
ok($pid, 'httpd is up');

# the module mapped is the packaged one
my $maps = do { open my $fh, '<', "/proc/$pid/maps" or die $!; local $/; <$fh> };
like($maps, qr{\Q$root$q{LIBEXECDIR}\E/mod_fastexc\.so$}m, 'the packaged mod_fastexc.so is loaded');

# checked with the packaged Test::FastExc
unshift @INC, "$root$vendorlib";
require Test::FastExc;
Test::FastExc->import;
like($INC{'Test/FastExc.pm'}, qr{^\Q$root\E}, 'the packaged Test::FastExc');
exception_ok("http://127.0.0.1:$port/items/42", 404, 'Item not found');
websocket_close_ok("ws://127.0.0.1:$port/ws/chat", 1008, 'Policy violated: log in first');
my $metrics = Test::FastExc::fastexc_request("http://127.0.0.1:$port/fastexc-metrics");
like($metrics->{body}, qr/^fastexc_build_info\{version="\Q$version\E"\} 1$/m,
     'metrics: the packaged version');
like($metrics->{body}, qr/^fastexc_exceptions_by_status_total\{status="404",source="raise"\} 1$/m,
     'metrics: the exception counted');
sleep 0.2;
my $log = do { open my $fh, '<', "$home/error_log" or die $!; local $/; <$fh> };
like($log, qr/FX0040: mod_fastexc\/\Q$version\E configured/, 'the version logged at startup');
unlike($log, qr/exit signal|AH00052/, 'no child crashed');

done_testing();
