#!/bin/sh
# keep-one-shim JAR SPARK_VERSION: delete from the RAPIDS Accelerator's multi-shim JAR every
# `spark<release>/` class tree except the one for SPARK_VERSION (4.1.1 -> spark411), in place.
# Fails when the jar has no shim for that release: the plugin would not start on it.
set -eu
jar="$1"
shim="spark$(echo "$2" | tr -d .)"
unzip -Z1 "$jar" > /tmp/entries
if ! grep -qx "$shim/" /tmp/entries; then
    echo "keep-one-shim: $jar has no $shim/ shim; it has: $(grep -E '^spark[0-9][^/]*/$' /tmp/entries | tr -d / | tr '\n' ' ')" >&2
    exit 1
fi
others="$(grep -E '^spark[0-9][^/]*/$' /tmp/entries | grep -vx "$shim/" | sed 's|/$|/*|')"
# shellcheck disable=SC2086 # one pattern per shim
[ -z "$others" ] || zip -q -d "$jar" $others
rm -f /tmp/entries
