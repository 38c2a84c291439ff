# Throwaway Dovecot IMAP server for tests and benchmarks: its own directory, a loopback port,
# STARTTLS with a self-signed certificate, one user whose mail is a Maildir.
#
#   dovecot_start DIR     starts it; sets DOVECOT_PORT, DOVECOT_USER, DOVECOT_PASS,
#                         DOVECOT_MAILDIR (deliver by writing files into its new/), DOVECOT_CA
#   dovecot_stop DIR      stops it (by the pid recorded at start when DIR is already gone)
#   dovecot_deliver FILE  delivers one message file into the user's INBOX (Maildir new/)
#
# Returns 1 (with the reason on stderr) when Dovecot is not installed or cannot run here.
# Dovecot daemonizes: its master's pid is kept in DOVECOT_PID and, under tests/lib.sh, recorded
# with t_track, so a test that fails or is killed still has it stopped on exit.
dovecot_start() {
  local d=$1
  command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || { echo "dovecot is not installed (dovecot-imapd, dovecot-core)" >&2; return 1; }
  local bin; bin=$(command -v dovecot || echo /usr/sbin/dovecot)
  mkdir -p "$d/run" "$d/state" "$d/mail"
  local me uid gid login_user internal_user
  me=$(id -un); uid=$(id -u); gid=$(id -g)
  if [ "$uid" -eq 0 ]; then
    # As root, Dovecot's helper processes and the mail owner must be unprivileged accounts.
    internal_user=dovecot; login_user=dovenull
    id dovecot >/dev/null 2>&1 || internal_user=nobody
    id dovenull >/dev/null 2>&1 || login_user=nobody
    uid=$(id -u nobody); gid=$(id -g nobody)
    chown -R nobody: "$d/mail"
    chmod 755 "$d"
  else
    internal_user=$me; login_user=$me
  fi
  DOVECOT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  DOVECOT_USER=desk
  DOVECOT_PASS=imap-test-$RANDOM$RANDOM
  DOVECOT_MAILDIR=$d/mail/desk/Maildir
  mkdir -p "$DOVECOT_MAILDIR/new" "$DOVECOT_MAILDIR/cur" "$DOVECOT_MAILDIR/tmp"
  [ "$(id -u)" -eq 0 ] && chown -R nobody: "$d/mail"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$d/key.pem" -out "$d/cert.pem" >/dev/null 2>&1 || { echo "openssl cannot make a test certificate" >&2; return 1; }
  DOVECOT_CA=$d/cert.pem
  printf '%s:{PLAIN}%s\n' "$DOVECOT_USER" "$DOVECOT_PASS" >"$d/passwd"
  cat >"$d/dovecot.conf" <<CONF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$d/cert.pem
ssl_key = <$d/key.pem
default_internal_user = $internal_user
default_internal_group = $(id -gn "$internal_user")
default_login_user = $login_user
first_valid_uid = $uid
first_valid_gid = $gid
mail_location = maildir:$d/mail/%u/Maildir
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$d/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
CONF
  chmod 644 "$d/dovecot.conf" "$d/passwd" "$d/cert.pem"
  "$bin" -c "$d/dovecot.conf" 2>"$d/start.err" || { echo "dovecot did not start: $(cat "$d/start.err")" >&2; return 1; }
  local i
  for i in $(seq 1 50); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$DOVECOT_PORT),0.2)" 2>/dev/null; then
      export DOVECOT_PORT DOVECOT_USER DOVECOT_PASS DOVECOT_MAILDIR DOVECOT_CA
      dovecot_record "$d"
      return 0
    fi
    sleep 0.1
  done
  echo "dovecot is not listening on 127.0.0.1:$DOVECOT_PORT: $(tail -5 "$d/dovecot.log" 2>/dev/null)" >&2
  return 1
}

# dovecot_record DIR: notes the running master's pid (DOVECOT_PID, and t_track when loaded).
dovecot_record() {
  DOVECOT_PID=$(cat "$1/run/master.pid" 2>/dev/null)
  [ -n "$DOVECOT_PID" ] && declare -F t_track >/dev/null && t_track "$DOVECOT_PID" dovecot
  return 0
}

dovecot_stop() {
  local d=$1 pid
  pid=$(cat "$d/run/master.pid" 2>/dev/null || echo "${DOVECOT_PID:-}")
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}

# dovecot_deliver FILE [NAME]: the way a local delivery agent does it, tmp/ then new/.
dovecot_deliver() {
  local f=$1 name=${2:-$(date +%s).$$_$RANDOM.minca-test}
  cp "$f" "$DOVECOT_MAILDIR/tmp/$name" && mv "$DOVECOT_MAILDIR/tmp/$name" "$DOVECOT_MAILDIR/new/$name"
  [ "$(id -u)" -eq 0 ] && chown nobody: "$DOVECOT_MAILDIR/new/$name"
  return 0
}

# dovecot_restart DIR: stops and starts the same server (same port and mail).
dovecot_restart() {
  local d=$1 bin
  bin=$(command -v dovecot || echo /usr/sbin/dovecot)
  dovecot_stop "$d"
  "$bin" -c "$d/dovecot.conf" 2>>"$d/start.err" || return 1
  for _ in $(seq 1 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$DOVECOT_PORT),0.2)" 2>/dev/null && { dovecot_record "$d"; return 0; }
    sleep 0.1
  done
  return 1
}
