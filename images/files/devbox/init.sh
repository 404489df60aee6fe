#!/bin/bash
# Developer box init (image-dsl catalog, seed 004): creates the user from the environment, installs
# its authorized key, writes its environment file (mode 600), optionally clones a repository, then
# runs sshd in the foreground. Variables:
#   DEV_USER (default dev), DEV_UID (default 1000), DEV_SHELL (default /bin/zsh)
#   SSH_AUTHORIZED_KEY (required: a public key line) or /run/secrets/authorized_keys
#   DEV_ENV_FILE: a file whose KEY=VALUE lines become ~/.ssh/environment (secrets stay 0600)
#   GIT_REPO: cloned into ~/project on first start
set -euo pipefail
user="${DEV_USER:-dev}"
uid="${DEV_UID:-1000}"
shell="${DEV_SHELL:-/bin/zsh}"
home="/home/$user"

if ! id -u "$user" > /dev/null 2>&1; then
  useradd --uid "$uid" --create-home --home-dir "$home" --shell "$shell" --user-group "$user"
  # sshd refuses locked accounts even for key logins; '*' keeps password login impossible.
  usermod -p '*' "$user"
  printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" > "/etc/sudoers.d/$user"
  chmod 0440 "/etc/sudoers.d/$user"
fi

install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
if [ -n "${SSH_AUTHORIZED_KEY:-}" ]; then
  printf '%s\n' "$SSH_AUTHORIZED_KEY" > "$home/.ssh/authorized_keys"
elif [ -f /run/secrets/authorized_keys ]; then
  cp /run/secrets/authorized_keys "$home/.ssh/authorized_keys"
else
  echo "devbox: set SSH_AUTHORIZED_KEY (a public key) or mount /run/secrets/authorized_keys" >&2
  exit 64
fi
chown "$user:$user" "$home/.ssh/authorized_keys"
chmod 0600 "$home/.ssh/authorized_keys"

umask 077
: > "$home/.ssh/environment"
if [ -n "${DEV_ENV_FILE:-}" ] && [ -f "$DEV_ENV_FILE" ]; then
  grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$DEV_ENV_FILE" >> "$home/.ssh/environment" || true
fi
chown "$user:$user" "$home/.ssh/environment"
umask 022

if [ -n "${GIT_REPO:-}" ] && [ ! -d "$home/project" ]; then
  su - "$user" -c "git clone --quiet '$GIT_REPO' '$home/project'" || echo "devbox: could not clone $GIT_REPO" >&2
fi

unset SSH_AUTHORIZED_KEY
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A > /dev/null
mkdir -p /run/sshd
echo "devbox: ready, ssh $user@<host>"
exec /usr/sbin/sshd -D -e
