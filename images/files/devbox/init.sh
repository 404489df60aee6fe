#!/bin/bash
# Developer box init (image-dsl catalog, seed 004): creates the user from the environment, installs
# its authorized key, hands it the secrets passed in (mode 600, never world-readable), starts an
# optional repository clone in the background, then runs sshd in the foreground. Only fast steps
# run before sshd listens: a box is reachable about a second after `docker run`.
#
#   DEV_USER           login name (default dev); never root, sshd refuses root logins
#   DEV_UID            its uid, 1000-59999 (default 1000)
#   DEV_SHELL          its login shell, one of /etc/shells (default /bin/zsh)
#   DEV_SUDO           yes (default): passwordless sudo (the account has no password); no: none
#   SSH_AUTHORIZED_KEY public key line(s); or mount them at /run/secrets/authorized_keys
#   DEV_ENV_FILE       KEY=VALUE lines for the ssh sessions' environment, copied to
#                      ~/.ssh/environment (0600); default /run/secrets/devbox.env when present
#   GITHUB_TOKEN_FILE  a GitHub token for gh, written to ~/.config/gh/hosts.yml (0600);
#                      default /run/secrets/github_token when present; GITHUB_USER names its user
#   GIT_REPO           cloned into ~/project on first start, in the background
#
# Secrets belong in files under /run/secrets (root-only, 0700), not in the environment: the
# container's environment is shown by `docker inspect`.
set -euo pipefail

secrets=/run/secrets
user="${DEV_USER:-dev}"
uid="${DEV_UID:-1000}"
shell="${DEV_SHELL:-/bin/zsh}"
home="/home/$user"
key="${SSH_AUTHORIZED_KEY:-}"
# Nothing started from here on (sshd, the clone, the sessions) inherits the key.
unset SSH_AUTHORIZED_KEY

die() {
  echo "devbox: $*" >&2
  exit 64
}

# Writes stdin to $1 as the user's file with mode 0600, replacing whatever was there (a symlink
# included), so a secret is never readable by others, not even for a moment.
write_private() {
  local tmp
  tmp=$(mktemp "$(dirname "$1")/.devbox.XXXXXX")
  cat > "$tmp"
  chown "$user:$user" "$tmp"
  mv -f "$tmp" "$1"
}

# Secret files passed in stay root's: tightened when the mount allows it, reported when not.
guard_secret() {
  chmod go= "$1" 2> /dev/null || true
  if runuser -u nobody -- test -r "$1" 2> /dev/null; then
    echo "devbox: warning: $1 is world-readable; mount secrets under $secrets or make them mode 600" >&2
  fi
}

[[ $user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "DEV_USER='$user' is not a user name: use lowercase letters, digits, _ and -"
[[ $user != root ]] || die "DEV_USER must not be root: sshd refuses root logins; pick a user name"
[[ $uid =~ ^[0-9]+$ ]] && ((uid >= 1000 && uid < 60000)) || die "DEV_UID='$uid' must be a number from 1000 to 59999"
grep -qxF -- "$shell" /etc/shells || die "DEV_SHELL='$shell' is not a login shell listed in /etc/shells"

if [ -z "$key" ] && [ -f "$secrets/authorized_keys" ]; then
  key=$(cat "$secrets/authorized_keys")
fi
[ -n "$key" ] || die "set SSH_AUTHORIZED_KEY to your public key (the line in ~/.ssh/id_ed25519.pub) or mount it at $secrets/authorized_keys"
[[ $key != *"PRIVATE KEY"* ]] || die "SSH_AUTHORIZED_KEY holds a private key; pass the public one (~/.ssh/id_ed25519.pub) and keep the private key to yourself"
ssh-keygen -l -f - <<< "$key" > /dev/null 2>&1 || die "SSH_AUTHORIZED_KEY is not a public key line such as 'ssh-ed25519 AAAA... me@host'"

chmod 0700 "$secrets" 2> /dev/null || true
if ! id -u "$user" > /dev/null 2>&1; then
  # '*' is no password at all: password logins are impossible, yet sshd does not treat the
  # account as locked.
  useradd --uid "$uid" --create-home --home-dir "$home" --shell "$shell" --user-group --password '*' "$user"
elif (($(id -u "$user") < 1000)); then
  die "DEV_USER='$user' is a system account; pick another name"
fi
if [ "${DEV_SUDO:-yes}" = yes ]; then
  printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" > "/etc/sudoers.d/devbox-$user"
  chmod 0440 "/etc/sudoers.d/devbox-$user"
else
  rm -f "/etc/sudoers.d/devbox-$user"
fi

install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
printf '%s\n' "$key" | write_private "$home/.ssh/authorized_keys"
unset key

env_file="${DEV_ENV_FILE:-$secrets/devbox.env}"
if [ -f "$env_file" ]; then
  guard_secret "$env_file"
  { grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$env_file" || true; } | write_private "$home/.ssh/environment"
elif [ -n "${DEV_ENV_FILE:-}" ]; then
  die "DEV_ENV_FILE=$DEV_ENV_FILE does not exist in the container; mount it there (-v \$PWD/dev.env:$DEV_ENV_FILE:ro)"
else
  write_private "$home/.ssh/environment" < /dev/null
fi

token_file="${GITHUB_TOKEN_FILE:-$secrets/github_token}"
if [ -f "$token_file" ]; then
  guard_secret "$token_file"
  install -d -o "$user" -g "$user" "$home/.config"
  install -d -m 0700 -o "$user" -g "$user" "$home/.config/gh"
  {
    echo "github.com:"
    echo "    oauth_token: $(tr -d '[:space:]' < "$token_file")"
    [ -z "${GITHUB_USER:-}" ] || echo "    user: $GITHUB_USER"
    echo "    git_protocol: https"
  } | write_private "$home/.config/gh/hosts.yml"
elif [ -n "${GITHUB_TOKEN_FILE:-}" ]; then
  die "GITHUB_TOKEN_FILE=$GITHUB_TOKEN_FILE does not exist in the container; mount it there"
fi

# A clone can take minutes: it runs while sshd already accepts logins, and ~/project appears
# only once it is complete.
if [ -n "${GIT_REPO:-}" ] && [ ! -e "$home/project" ]; then
  (
    partial="$home/.project.cloning"
    rm -rf "$partial"
    if runuser -u "$user" -- git clone --quiet -- "$GIT_REPO" "$partial"; then
      mv "$partial" "$home/project" && echo "devbox: cloned $GIT_REPO into ~/project"
    else
      rm -rf "$partial"
      echo "devbox: could not clone $GIT_REPO; clone it yourself after logging in" >&2
    fi
  ) &
fi

# Host keys are made on the first start of each container (ed25519 and ECDSA: milliseconds;
# RSA would take up to seconds), so no two boxes share a key.
for type in ed25519 ecdsa; do
  [ -f "/etc/ssh/ssh_host_${type}_key" ] || ssh-keygen -q -t "$type" -N '' -f "/etc/ssh/ssh_host_${type}_key"
done
mkdir -p /run/sshd
echo "devbox: ready, ssh $user@<host>"
exec /usr/sbin/sshd -D -e
