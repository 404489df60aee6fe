#!/bin/bash
# GPU discovery for Spark's resource scheduling: prints {"name":"gpu","addresses":[...]} with the
# indexes nvidia-smi reports (nvidia-smi comes from the host driver through the NVIDIA container runtime).
set -euo pipefail
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/^/"/' -e 's/$/"/' | paste -sd, -)
printf '{"name": "gpu", "addresses": [%s]}\n' "$addresses"
