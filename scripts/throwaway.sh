# Sourced by scripts/bench.sh and scripts/soak.sh: what a throwaway httpd
# on loopback needs. Expects HTTPD, APXS, PYTHON and work (its directory).

libexec=$($APXS -q LIBEXECDIR)
user=""
[ "$(id -u)" -eq 0 ] && user=$'User nobody\nGroup nogroup'

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The first lines of a throwaway httpd.conf: NAME PORT
httpd_preamble() {
    cat <<EOT
ServerRoot "$work"
ServerName 127.0.0.1
Listen 127.0.0.1:$2
PidFile "$work/httpd-$1.pid"
ErrorLog "$work/logs/error-$1.log"
LogLevel warn
$user
DefaultRuntimeDir "$work"
Mutex file:$work default
LoadModule mpm_event_module $libexec/mod_mpm_event.so
LoadModule authz_core_module $libexec/mod_authz_core.so
LoadModule mime_module $libexec/mod_mime.so
TypesConfig /etc/mime.types
AddType application/json .json
DocumentRoot "$work/htdocs"
# as Debian's apache2.conf (and any lean configuration): no .htaccess looked
# for anywhere
<Directory />
    AllowOverride None
</Directory>
<Directory "$work/htdocs">
    Require all granted
</Directory>
EOT
}

# RSS in KiB of the httpd named NAME: "parent total-of-all-its-processes"
rss_kib() {
    local total=0 p parent
    parent=$(cat "$work/httpd-$1.pid")
    for p in $parent $(pgrep -P "$parent"); do
        total=$(( total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0) ))
    done
    echo "$(awk '/^VmRSS:/ { print $2 }' "/proc/$parent/status") $total"
}
