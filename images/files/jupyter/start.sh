#!/bin/bash
# Starts JupyterLab on 8888 (image-dsl catalog). Credentials come from the environment only:
#   JUPYTER_TOKEN          token for the HTTP API and the browser, or
#   JUPYTER_PASSWORD_HASH  an argon2/sha1 hash from `jupyter server password` / passwd().
# With neither, Jupyter generates a random token and prints it to the log; none is baked in.
set -euo pipefail
args=(--ServerApp.ip=0.0.0.0 --ServerApp.port=8888 --ServerApp.open_browser=False
      --ServerApp.root_dir="${NOTEBOOK_DIR:-/home/spark/work}")
if [ -n "${JUPYTER_PASSWORD_HASH:-}" ]; then
  args+=(--PasswordIdentityProvider.hashed_password="$JUPYTER_PASSWORD_HASH")
fi
mkdir -p "${NOTEBOOK_DIR:-/home/spark/work}"
exec /opt/jupyter/bin/jupyter lab "${args[@]}" "$@"
