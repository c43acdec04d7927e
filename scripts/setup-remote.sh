#!/usr/bin/env bash
# Sets up the "remote" hosts the integration tests reach (issue 14), on this
# machine, on loopback only, without systemd. Idempotent: safe to run again;
# it only does what is not done yet, and leaves its daemons running (like
# scripts/setup-libvirt.sh leaves libvirtd running).
#
#  - openssh-server (installed when missing) and an sshd of our own on
#    127.0.0.1:$KVM_TEST_SSH_PORT (default 2222), with its own host key and
#    sshd_config under $KVM_TEST_REMOTE_DIR (default /var/lib/kvm-manager-test),
#    never the system's /etc/ssh config or port 22;
#  - a test key pair (id_ed25519) in that directory, authorized for root and
#    for a non-root user kvmtest;
#  - kvmtest's own libvirt, qemu:///session: libvirt starts its session daemon
#    on demand (virt-ssh-helper and virsh run "libvirtd --timeout=120" when
#    the socket is missing), so nothing runs until the first connection;
#  - with --tls: libvirtd listening for TLS on 127.0.0.1:$KVM_TEST_TLS_PORT
#    (default 16514), with a CA, server and client certificates made for the
#    test (see the TLS section below for how, and why that restarts libvirtd).
#
# Prints KEY=VALUE lines that tests read (the directory, ports, key paths).
set -euo pipefail

log() { printf 'setup-remote: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it installs packages, adds a user and starts sshd)"; exit 1
fi

DIR=${KVM_TEST_REMOTE_DIR:-/var/lib/kvm-manager-test}
SSH_PORT=${KVM_TEST_SSH_PORT:-2222}
TLS_PORT=${KVM_TEST_TLS_PORT:-16514}
USER_NAME=kvmtest
want_tls=0
[ "${1:-}" = "--tls" ] && want_tls=1

need=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v certtool >/dev/null 2>&1 || need+=(gnutls-bin)
command -v virt-ssh-helper >/dev/null 2>&1 || need+=(libvirt-clients)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the package's own sshd (port 22) from being started.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

install -d -m 0755 "$DIR"
install -d -m 0700 "$DIR/ssh"

# --- the test key pair and the user --------------------------------------
[ -f "$DIR/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C kvm-manager-test -f "$DIR/ssh/id_ed25519"
[ -f "$DIR/ssh/host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C kvm-manager-test-host -f "$DIR/ssh/host_ed25519_key"
pub=$(cat "$DIR/ssh/id_ed25519.pub")

if ! id "$USER_NAME" >/dev/null 2>&1; then
  log "adding user $USER_NAME"
  useradd -m -s /bin/bash "$USER_NAME"
fi
# The session daemon runs TCG guests as kvmtest; /dev/kvm is group kvm.
getent group kvm >/dev/null && { id -nG "$USER_NAME" | grep -qw kvm || usermod -aG kvm "$USER_NAME"; }
# A password-less account that sshd accepts for key logins ("*" locks
# passwords but, unlike "!", does not lock the account).
usermod -p '*' "$USER_NAME"
home=$(getent passwd "$USER_NAME" | cut -d: -f6)

# authorize KEY in the authorized_keys of a home directory, owned by OWNER.
authorize() {
  local home=$1 owner=$2
  install -d -m 0700 -o "$owner" -g "$owner" "$home/.ssh"
  touch "$home/.ssh/authorized_keys"
  grep -qxF "$pub" "$home/.ssh/authorized_keys" || printf '%s\n' "$pub" >>"$home/.ssh/authorized_keys"
  chown "$owner:$owner" "$home/.ssh/authorized_keys"
  chmod 0600 "$home/.ssh/authorized_keys"
}
authorize "$home" "$USER_NAME"
authorize /root root

# --- sshd on loopback ------------------------------------------------------
cat >"$DIR/ssh/sshd_config" <<EOF
# KVM Manager's test sshd (scripts/setup-remote.sh): loopback only, keys only.
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $DIR/ssh/host_ed25519_key
PidFile $DIR/ssh/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
AllowUsers root $USER_NAME
AllowStreamLocalForwarding yes
AllowTcpForwarding local
UsePAM no
StrictModes yes
MaxSessions 64
ClientAliveInterval 0
LogLevel ERROR
Subsystem sftp internal-sftp
EOF
install -d -m 0755 /run/sshd # privilege separation directory

sshd_up() { [ -f "$DIR/ssh/sshd.pid" ] && kill -0 "$(cat "$DIR/ssh/sshd.pid")" 2>/dev/null; }
if sshd_up && ! grep -q "^ListenAddress 127.0.0.1:$SSH_PORT\$" "$DIR/ssh/sshd_config.running" 2>/dev/null; then
  log "restarting sshd (its port changed)"; kill "$(cat "$DIR/ssh/sshd.pid")"; sleep 0.5
fi
if ! sshd_up; then
  /usr/sbin/sshd -t -f "$DIR/ssh/sshd_config"
  log "starting sshd on 127.0.0.1:$SSH_PORT"
  /usr/sbin/sshd -f "$DIR/ssh/sshd_config" -E "$DIR/ssh/sshd.log"
  cp "$DIR/ssh/sshd_config" "$DIR/ssh/sshd_config.running"
fi
ssh-keygen -q -R "[127.0.0.1]:$SSH_PORT" -f "$DIR/ssh/known_hosts" >/dev/null 2>&1 || true
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$DIR/ssh/host_ed25519_key.pub")" >"$DIR/ssh/known_hosts"

sshq() {
  ssh -q -i "$DIR/ssh/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$DIR/ssh/known_hosts" -o StrictHostKeyChecking=yes -p "$SSH_PORT" "$@"
}
ok=0
for _ in $(seq 1 50); do
  if sshq "root@127.0.0.1" true 2>/dev/null; then ok=1; break; fi
  sleep 0.2
done
[ "$ok" = 1 ] || { log "sshd does not accept the test key; see $DIR/ssh/sshd.log"; exit 1; }

# --- kvmtest's session libvirt -----------------------------------------------
# Without systemd there is no XDG_RUNTIME_DIR: libvirt then keeps the session
# socket in ~/.cache/libvirt, and virt-ssh-helper (as the SSH transport runs
# it) starts "libvirtd --timeout=120" on demand. Check that this works.
if ! sshq "$USER_NAME@127.0.0.1" virsh -q -c qemu:///session uri >/dev/null 2>"$DIR/session.err"; then
  log "qemu:///session does not answer for $USER_NAME: $(cat "$DIR/session.err")"; exit 1
fi

# --- TLS ---------------------------------------------------------------------
# Debian 12's libvirt has no virtproxyd, and a second libvirtd cannot serve
# the same qemu:///system (its state dirs under /run/libvirt are fixed). So
# the system libvirtd itself listens for TLS: it is restarted once with
# --listen and a config of its own (a copy of /etc/libvirt/libvirtd.conf
# plus listen_tls on 127.0.0.1 only and the test's certificates; TCP without
# TLS stays off). Running guests survive a libvirtd restart; the other tests
# see one short reconnect. setup-libvirt.sh starts libvirtd the same way
# whenever that config exists, so a restart there keeps the TLS listener.
tls_conf="$DIR/tls/libvirtd.conf"
if [ "$want_tls" = 1 ]; then
  pki="$DIR/tls"
  install -d -m 0700 "$pki" "$pki/client" "$pki/wrongca"
  mk_ca() { # DIR NAME
    [ -f "$1/cakey.pem" ] && return
    certtool --generate-privkey --outfile "$1/cakey.pem" 2>/dev/null
    printf 'cn = %s\nca\ncert_signing_key\nexpiration_days = 3650\n' "$2" >"$1/ca.info"
    certtool --generate-self-signed --load-privkey "$1/cakey.pem" --template "$1/ca.info" --outfile "$1/cacert.pem" 2>/dev/null
  }
  mk_ca "$pki" "KVM Manager test CA"
  mk_ca "$pki/wrongca" "KVM Manager wrong CA"
  if [ ! -f "$pki/servercert.pem" ]; then
    certtool --generate-privkey --outfile "$pki/serverkey.pem" 2>/dev/null
    printf 'organization = KVM Manager test\ncn = 127.0.0.1\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 3650\n' >"$pki/server.info"
    certtool --generate-certificate --load-privkey "$pki/serverkey.pem" --load-ca-certificate "$pki/cacert.pem" \
      --load-ca-privkey "$pki/cakey.pem" --template "$pki/server.info" --outfile "$pki/servercert.pem" 2>/dev/null
  fi
  if [ ! -f "$pki/client/clientcert.pem" ]; then
    certtool --generate-privkey --outfile "$pki/client/clientkey.pem" 2>/dev/null
    printf 'country = XX\norganization = KVM Manager test\ncn = kvm-manager-test-client\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 3650\n' >"$pki/client.info"
    certtool --generate-certificate --load-privkey "$pki/client/clientkey.pem" --load-ca-certificate "$pki/cacert.pem" \
      --load-ca-privkey "$pki/cakey.pem" --template "$pki/client.info" --outfile "$pki/client/clientcert.pem" 2>/dev/null
    cp "$pki/cacert.pem" "$pki/client/cacert.pem"
  fi
  # A client directory whose CA is not the server's: refused.
  [ -f "$pki/wrongca/clientcert.pem" ] || { cp "$pki/client/clientcert.pem" "$pki/client/clientkey.pem" "$pki/wrongca/"; }
  chmod 0600 "$pki"/*key.pem "$pki"/client/clientkey.pem
  { cat /etc/libvirt/libvirtd.conf
    printf '\n# KVM Manager tests (scripts/setup-remote.sh --tls)\n'
    printf 'listen_tls = 1\nlisten_tcp = 0\nlisten_addr = "127.0.0.1"\ntls_port = "%s"\n' "$TLS_PORT"
    printf 'key_file = "%s"\ncert_file = "%s"\nca_file = "%s"\n' "$pki/serverkey.pem" "$pki/servercert.pem" "$pki/cacert.pem"
    printf 'auth_tls = "none"\ntls_no_verify_certificate = 0\n'
  } >"$tls_conf.new"
  mv "$tls_conf.new" "$tls_conf"
  if ! ss -Hltn "sport = :$TLS_PORT" | grep -q .; then
    log "restarting libvirtd with a TLS listener on 127.0.0.1:$TLS_PORT"
    if [ -f /run/libvirtd.pid ] && kill -0 "$(cat /run/libvirtd.pid)" 2>/dev/null; then
      pid=$(cat /run/libvirtd.pid); kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    "$(dirname "$0")/setup-libvirt.sh" >/dev/null
  fi
  for _ in $(seq 1 50); do ss -Hltn "sport = :$TLS_PORT" | grep -q . && break; sleep 0.2; done
  ss -Hltn "sport = :$TLS_PORT" | grep -q . || { log "libvirtd does not listen on $TLS_PORT"; exit 1; }
fi

printf 'KVM_TEST_REMOTE_DIR=%s\nKVM_TEST_SSH_PORT=%s\nKVM_TEST_TLS_PORT=%s\nKVM_TEST_SSH_KEY=%s\nKVM_TEST_SSH_KNOWN_HOSTS=%s\nKVM_TEST_SSH_USER=%s\n' \
  "$DIR" "$SSH_PORT" "$TLS_PORT" "$DIR/ssh/id_ed25519" "$DIR/ssh/known_hosts" "$USER_NAME"
