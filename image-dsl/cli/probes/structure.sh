#!/bin/sh
# Filesystem facts for the structure probe (image-dsl/cli/src/probe/structure.rs), one `KEY value` line
# each; the probe decides what is wrong. Runs as root so nothing is hidden by permissions.
find / -xdev -perm /6000 -type f 2>/dev/null | sed 's/^/SETID /'
for f in /root/.pip /root/.config/pip /etc/pip.conf /root/.netrc /root/.pypirc \
  /root/.docker/config.json /etc/apt/auth.conf /etc/apt/apt.conf.d/*proxy* \
  /etc/apt/apt.conf.d/*Proxy* /etc/apt/auth.conf.d/* /root/.cache/pip /root/.m2/settings.xml \
  /root/.ivy2 /root/.gradle/gradle.properties /opt/spark/R; do
  [ -e "$f" ] && echo "LEFTOVER $f"
done
# Spark's examples: only the examples jar, at the official images' path (sources, data and the
# Python/R examples stay out).
if [ -d /opt/spark/examples ]; then
  find /opt/spark/examples -type f ! -path '/opt/spark/examples/jars/spark-examples_*.jar' | sed 's/^/LEFTOVER /'
fi
grep -ils 'proxy' /etc/environment /etc/apt/apt.conf /etc/apt/apt.conf.d/* 2>/dev/null | sed 's/^/PROXYCONF /'
for d in /etc/ssl/private /root/.ssh /home/*/.ssh; do
  [ -d "$d" ] && find "$d" -type f | sed 's/^/PRIVATEKEY /'
done
if [ -d /usr/local/share/ca-certificates ]; then
  find /usr/local/share/ca-certificates -type f | sed 's/^/EXTRACERT /'
fi
find /etc/ssl/certs -maxdepth 1 -type f ! -name ca-certificates.crt 2>/dev/null | sed 's/^/CERTFILE /'
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  echo "BUNDLE $(grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt)"
  echo "DEBIANCERTS $(grep -c '^[^#!]' /etc/ca-certificates.conf 2>/dev/null || echo 0)"
fi
if [ -d /opt/spark/jars ]; then
  ls /opt/spark/jars | sed 's/^/JAR /'
fi
echo "END"
