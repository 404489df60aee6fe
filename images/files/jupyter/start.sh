#!/bin/bash
# Starts JupyterLab on 8888 (image-dsl catalog). Credentials come from the environment only:
#   JUPYTER_TOKEN          token for the HTTP API and the browser (read by Jupyter itself), or
#   JUPYTER_PASSWORD_HASH  an argon2/sha1 hash from `jupyter server password` / passwd().
# With neither, Jupyter generates a random token and prints it to the log; none is baked in.
# Notebooks are saved group-writable (umask 002): OpenShift runs the server as an arbitrary uid in
# group 0, and the next pod, or a colleague's, may get another uid on the same volume.
set -euo pipefail
umask 002
notebook_dir="${NOTEBOOK_DIR:-/home/spark/work}"
# /opt/jupyter is read-only for the server's user and has no pip: the extension manager can list
# extensions but not install them, and does not query PyPI.
args=(--ServerApp.ip=0.0.0.0 --ServerApp.port=8888 --ServerApp.open_browser=False
      --ServerApp.root_dir="$notebook_dir" --LabApp.extension_manager=readonly)
if [ -n "${JUPYTER_PASSWORD_HASH:-}" ]; then
  args+=(--PasswordIdentityProvider.hashed_password="$JUPYTER_PASSWORD_HASH")
fi
mkdir -p "$notebook_dir"
exec /opt/jupyter/bin/jupyter lab "${args[@]}" "$@"
