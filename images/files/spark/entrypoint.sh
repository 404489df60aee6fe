#!/bin/bash
# Entrypoint of the Spark images (image-dsl catalog). Modes:
#   driver, executor   as Spark's Kubernetes backend launches them (apache/spark-docker contract)
#   master, worker     standalone cluster daemons, configured by SPARK_* variables (see .env.example)
#   standalone         master or worker, as SPARK_MODE says
#   history            history server
#   connect            Spark Connect server (Spark 4.x)
#   healthcheck        exits 0 when the daemon of SPARK_MODE answers on its web UI port
#   anything else      exec'd as given
# Runs under tini (PID 1) for signal forwarding and zombie reaping, as any uid with gid 0.
set -eo pipefail

# Compose files and Kubernetes manifests often pass optional settings as empty strings; Spark
# reads many SPARK_* variables directly and treats "" as a value (SPARK_WORKER_CORES="" fails to
# parse), so an empty variable means unset.
for v in "${!SPARK_@}"; do
  if [ -z "${!v}" ]; then unset "$v"; fi
done

: "${SPARK_HOME:=/opt/spark}"
: "${SPARK_CONF_DIR:=$SPARK_HOME/conf}"
export SPARK_HOME SPARK_CONF_DIR

# OpenShift runs containers as an arbitrary uid with gid 0: give that uid a passwd entry through
# nss_wrapper, since the JVM and Hadoop's UserGroupInformation need a user name.
attempt_setup_fake_passwd_entry() {
  local myuid mygid wrapper
  myuid="$(id -u)"
  if ! getent passwd "$myuid" > /dev/null 2>&1; then
    for wrapper in /usr/lib/x86_64-linux-gnu/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
      if [ -s "$wrapper" ]; then
        mygid="$(id -g)"
        NSS_WRAPPER_PASSWD="$(mktemp)"
        NSS_WRAPPER_GROUP="$(mktemp)"
        printf 'spark:x:%s:%s:%s:%s:/bin/false\n' "$myuid" "$mygid" "${SPARK_USER_NAME:-anonymous uid}" "${HOME:-/home/spark}" > "$NSS_WRAPPER_PASSWD"
        printf 'spark:x:%s:\n' "$mygid" > "$NSS_WRAPPER_GROUP"
        export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
        break
      fi
    done
  fi
}

# spark-defaults.conf for the daemons: the image's defaults ($SPARK_HOME/defaults.d) plus the standalone
# settings from the environment, rewritten at every start so a restart never duplicates lines.
# Private (0600): it may hold the RPC secret.
write_standalone_conf() {
  local conf="$SPARK_CONF_DIR/spark-defaults.conf"
  mkdir -p "$SPARK_CONF_DIR"
  # The image's build-time file belongs to root; the group-writable directory lets any uid of
  # group 0 replace it with its own private one.
  rm -f "$conf"
  (umask 077 && : > "$conf")
  cat "$SPARK_HOME"/defaults.d/*.conf >> "$conf" 2> /dev/null || true
  # The REST submission server accepts unauthenticated job submissions (and Spark 4 refuses to
  # start it with spark.authenticate): keep it off unless asked for.
  printf 'spark.master.rest.enabled %s\n' "$([ "${SPARK_MASTER_REST_ENABLED:-no}" = yes ] && echo true || echo false)" >> "$conf"
  if [ "${SPARK_RPC_AUTHENTICATION_ENABLED:-no}" = "yes" ]; then
    if [ -z "${SPARK_RPC_AUTHENTICATION_SECRET:-}" ]; then
      echo "entrypoint: SPARK_RPC_AUTHENTICATION_ENABLED=yes needs SPARK_RPC_AUTHENTICATION_SECRET" >&2
      exit 64
    fi
    printf 'spark.authenticate true\nspark.authenticate.secret %s\n' "$SPARK_RPC_AUTHENTICATION_SECRET" >> "$conf"
  fi
  if [ "${SPARK_RPC_ENCRYPTION_ENABLED:-no}" = "yes" ]; then
    printf 'spark.network.crypto.enabled true\n' >> "$conf"
  fi
  if [ "${SPARK_LOCAL_STORAGE_ENCRYPTION_ENABLED:-no}" = "yes" ]; then
    printf 'spark.io.encryption.enabled true\n' >> "$conf"
  fi
  unset SPARK_RPC_AUTHENTICATION_SECRET
}

daemon() {
  attempt_setup_fake_passwd_entry
  exec /usr/bin/tini -s -- "$SPARK_HOME/bin/spark-class" "$@"
}

SPARK_CLASSPATH="${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}$SPARK_CONF_DIR:$SPARK_HOME/jars/*"
if [ -n "${SPARK_EXTRA_CLASSPATH:-}" ]; then
  SPARK_CLASSPATH="$SPARK_CLASSPATH:$SPARK_EXTRA_CLASSPATH"
fi
if [ -n "${HADOOP_CONF_DIR:-}" ]; then
  SPARK_CLASSPATH="$HADOOP_CONF_DIR:$SPARK_CLASSPATH"
fi
# SPARK-43540: the working directory is on the executor classpath.
SPARK_CLASSPATH="$SPARK_CLASSPATH:$PWD"
SPARK_EXECUTOR_JAVA_OPTS=()
for v in "${!SPARK_JAVA_OPT_@}"; do
  SPARK_EXECUTOR_JAVA_OPTS+=("${!v}")
done

mode="${1:-}"
if [ "$mode" = standalone ]; then
  mode="${SPARK_MODE:-master}"
fi

case "$mode" in
  driver)
    shift
    attempt_setup_fake_passwd_entry
    exec /usr/bin/tini -s -- "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    attempt_setup_fake_passwd_entry
    exec /usr/bin/tini -s -- "${JAVA_HOME:-/usr}/bin/java" \
      "${SPARK_EXECUTOR_JAVA_OPTS[@]}" \
      -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$SPARK_CLASSPATH${SPARK_DIST_CLASSPATH:+:$SPARK_DIST_CLASSPATH}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" \
      --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}" \
      --podName "${SPARK_EXECUTOR_POD_NAME:-$HOSTNAME}"
    ;;
  master)
    write_standalone_conf
    daemon org.apache.spark.deploy.master.Master \
      --host "${SPARK_MASTER_HOST:-$(hostname)}" \
      --port "${SPARK_MASTER_PORT:-7077}" \
      --webui-port "${SPARK_MASTER_WEBUI_PORT:-8080}"
    ;;
  worker)
    write_standalone_conf
    daemon org.apache.spark.deploy.worker.Worker \
      --webui-port "${SPARK_WORKER_WEBUI_PORT:-8081}" \
      ${SPARK_WORKER_CORES:+--cores "$SPARK_WORKER_CORES"} \
      ${SPARK_WORKER_MEMORY:+--memory "$SPARK_WORKER_MEMORY"} \
      --work-dir "${SPARK_WORKER_DIR:-$SPARK_HOME/work}" \
      "${SPARK_MASTER_URL:-spark://${SPARK_MASTER_HOST:-spark-master}:${SPARK_MASTER_PORT:-7077}}"
    ;;
  history)
    write_standalone_conf
    daemon org.apache.spark.deploy.history.HistoryServer
    ;;
  connect)
    shift
    write_standalone_conf
    attempt_setup_fake_passwd_entry
    exec /usr/bin/tini -s -- "$SPARK_HOME/bin/spark-submit" \
      --class org.apache.spark.sql.connect.service.SparkConnectServer \
      --name "Spark Connect server" "$@" spark-internal
    ;;
  healthcheck)
    case "${SPARK_MODE:-master}" in
      worker) port="${SPARK_WORKER_WEBUI_PORT:-8081}" ;;
      *) port="${SPARK_MASTER_WEBUI_PORT:-8080}" ;;
    esac
    exec 3<> "/dev/tcp/127.0.0.1/$port"
    ;;
  *)
    attempt_setup_fake_passwd_entry
    exec "$@"
    ;;
esac
