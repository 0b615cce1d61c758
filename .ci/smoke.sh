#!/usr/bin/env bash
# Container smoke test (issue 15, item 4). No container engine can pull images on these
# machines, so this replays the Dockerfile's runtime stage on the host: the package as
# `npm pack` makes it, installed into an empty directory with production dependencies only
# (the lockfile's versions; better-sqlite3 built there), owned by root; user batch
# (10001:10001) owning the five data directories of the image's ENV; the image's
# environment and nothing of CI's; tini in front of `node dist/cli.js serve`. Against
# MariaDB the service must become ready, pass the image's HEALTHCHECK, run a job through
# the API, serve the admin console, and exit 0 on SIGTERM. Not exercised: the image build
# itself, Kafka, Eureka and Mailpit (README, Deployment).
#
# Needs root (useradd, setpriv), Debian's tini, and MARIADB_TEST_URL: a MariaDB user
# allowed to create and drop `bt_%` databases, as .ci/start-mariadb.sh exports it.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${MARIADB_TEST_URL:?set MARIADB_TEST_URL (mysql://user:password@host:port/, see .ci/start-mariadb.sh)}"
command -v tini >/dev/null || { echo "smoke: tini missing: apt-get install tini (.ci/run does)" >&2; exit 1; }
readonly SERVICE_ID=10001
readonly READY_TIMEOUT_S=60 JOB_TIMEOUT_S=60 STOP_TIMEOUT_S=20

work=$(mktemp -d /tmp/batch-smoke.XXXXXX)
app="$work/app"     # the image's WORKDIR /app; every other path below is the image's under $work
log="$work/serve.log"
db_prefix="bt_smoke_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
databases=(batchdb userdb inscriptiondb defensedb notificationdb)
server_pid=''
databases_created=false

phase() { echo "smoke: $*"; }

fail() {
  echo "smoke: FAILED: $*" >&2
  exit 1
}

mariadb_admin() {
  mariadb --defaults-extra-file="$work/client.cnf" --batch --skip-column-names "$@"
}

cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    # node first: killed, tini would leave it running, orphaned.
    pkill -KILL -P "$server_pid" 2>/dev/null || true
    kill -KILL "$server_pid" 2>/dev/null || true
    { wait "$server_pid"; } 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$log" ]; then
    echo "smoke: last lines of the service's log:" >&2
    tail -n 40 "$log" >&2
  fi
  if $databases_created; then
    local db
    for db in "${databases[@]}"; do mariadb_admin -e "DROP DATABASE IF EXISTS \`${db_prefix}_$db\`" || true; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# As the image runs a command: user batch, in /app, with the image's environment only.
as_service() {
  (cd "$app" && exec setpriv --reuid="$SERVICE_ID" --regid="$SERVICE_ID" --init-groups env -i "${service_env[@]}" "$@")
}

# A field of the JSON object on stdin (`executionId`, `status`…); empty when absent.
json_field() {
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    try { const v = JSON.parse(s)[process.argv[1]]; process.stdout.write(v === undefined || v === null ? "" : String(v)); } catch { /* not JSON */ }
  });' "$1"
}

if command -v shellcheck >/dev/null 2>&1; then
  phase "shellcheck .ci/run .ci/*.sh scripts/*.sh"
  # Two false positives of these scripts' style: SC2016, node -e programs in single quotes;
  # SC2209, MARIADB_USER=batch (a user named like the `batch` command).
  shellcheck --exclude=SC2016,SC2209 .ci/run .ci/*.sh scripts/*.sh
fi

phase "build and pack"
npm run build --silent >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "npm run build"; }
tarball="$work/$(npm pack --silent --pack-destination "$work")"
contents=$(tar -tzf "$tarball")
# What the built service reads at run time (see the Dockerfile's runtime COPY lines).
for required in package/package.json package/dist/cli.js package/dist/build-info.json \
  package/dist/admin/index.html package/assets/logo.svg; do
  grep -qx "$required" <<<"$contents" || fail "$(basename "$tarball") lacks $required (package.json \"files\")"
done
if grep -E '^package/(src|test|bench|admin|scripts|node_modules|data|\.ci|\.env)(/|$)' <<<"$contents"; then
  fail "$(basename "$tarball") holds the files above, which only the repository needs (package.json \"files\")"
fi
echo "  $(basename "$tarball"): $(wc -l <<<"$contents") files, $(du -k "$tarball" | cut -f1) KB"

phase "npm ci --omit=dev in an empty directory (the tarball and the repository's lockfile)"
mkdir -p "$app"
tar -xzf "$tarball" -C "$app" --strip-components=1
cp package-lock.json "$app/"
# npm's settings (registry included) are CI's own, as for `npm ci` in .ci/run.
(cd "$app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >"$work/install.log" 2>&1) \
  || { tail -n 40 "$work/install.log" >&2; fail "npm ci --omit=dev"; }
echo "  $(cd "$app" && npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sort -u | wc -l) packages, owned by root"
# The native binary proves the image's only when Node and glibc match its base image's.
echo "  built with Node $(node --version) on Debian $(cat /etc/debian_version 2>/dev/null || echo '?');" \
  "the image: $(grep -m1 -oE '^FROM node:[^ ]+slim' Dockerfile | cut -d' ' -f2 || echo '? (no slim FROM in the Dockerfile)')"

phase "user batch ($SERVICE_ID:$SERVICE_ID) and the image's data directories"
# The Dockerfile's groupadd/useradd, when this machine does not have the user yet.
getent group batch >/dev/null || groupadd --gid "$SERVICE_ID" batch
getent passwd batch >/dev/null \
  || useradd --uid "$SERVICE_ID" --gid batch --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin batch
[ "$(id -u batch):$(id -g batch)" = "$SERVICE_ID:$SERVICE_ID" ] \
  || fail "user batch is $(id -u batch):$(id -g batch) here, $SERVICE_ID:$SERVICE_ID in the image"
chmod 755 "$work"
data_dirs=("$work/var/lib/batch-service/data" "$work/var/lib/batch-service/uploads" "$work/var/lib/batch-service/reports"
  "$work/var/lib/batch-service/archives" "$work/var/log/batch-service")
mkdir -p "${data_dirs[@]}"
chown batch:batch "${data_dirs[@]}"

phase "MariaDB databases ${db_prefix}_*"
node -e 'const u = new URL(process.argv[1]);
  console.log(`[client]\nhost=${u.hostname}\nport=${u.port || 3306}\nuser="${decodeURIComponent(u.username)}"\npassword="${decodeURIComponent(u.password)}"`);' \
  "$MARIADB_TEST_URL" >"$work/client.cnf"
chmod 600 "$work/client.cnf"
databases_created=true
for db in "${databases[@]}"; do
  mariadb_admin -e "CREATE DATABASE \`${db_prefix}_$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
done
mariadb_url="${MARIADB_TEST_URL%/}"
port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
service_env=(
  # The Dockerfile's ENV, its paths under $work.
  NODE_ENV=production GIT_COMMIT= BATCH_TIMEZONE=Europe/Paris
  DATA_DIR="${data_dirs[0]}" UPLOADS_DIR="${data_dirs[1]}" REPORTS_DIR="${data_dirs[2]}"
  ARCHIVES_DIR="${data_dirs[3]}" LOG_DIR="${data_dirs[4]}"
  # What a deployment adds (README, batch.env).
  PATH="$PATH" HOST=127.0.0.1 PORT="$port"
  JWT_SECRET="$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
  BATCH_DB_URL="$mariadb_url/${db_prefix}_batchdb" USER_DB_URL="$mariadb_url/${db_prefix}_userdb"
  INSCRIPTION_DB_URL="$mariadb_url/${db_prefix}_inscriptiondb" DEFENSE_DB_URL="$mariadb_url/${db_prefix}_defensedb"
  NOTIFICATION_DB_URL="$mariadb_url/${db_prefix}_notificationdb"
  # No misfire catch-up at start: the scheduler runs, but launches nothing during the smoke.
  SCHEDULER_MISFIRE_GRACE_MS=0
)
# The service on MariaDB never opens SQLite: load the native module explicitly.
as_service node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()' \
  || fail "better-sqlite3's native module does not load as user batch"

phase "demo-data"
as_service node dist/cli.js demo-data --scale 0.1 >"$work/demo-data.log" 2>&1 \
  || { cat "$work/demo-data.log" >&2; fail "demo-data"; }

phase "serve under tini on 127.0.0.1:$port"
# The image's ENTRYPOINT and CMD; -s because tini is not PID 1 here (it must still reap).
(cd "$app" && exec setpriv --reuid="$SERVICE_ID" --regid="$SERVICE_ID" --init-groups env -i "${service_env[@]}" \
  tini -s -- node dist/cli.js serve) >"$log" 2>&1 &
server_pid=$!   # tini's: the subshell became setpriv, env, then tini
base="http://127.0.0.1:$port"
ready=false
for _ in $(seq 1 $((READY_TIMEOUT_S * 2))); do
  kill -0 "$server_pid" 2>/dev/null || fail "serve exited before it was ready"
  if curl -fsS --max-time 2 "$base/actuator/health/readiness" 2>/dev/null | grep -q '"UP"'; then ready=true; break; fi
  sleep 0.5
done
$ready || fail "/actuator/health/readiness not UP within ${READY_TIMEOUT_S} s"
# By its command line: Node 24 names its main thread "MainThread", which is what
# `pgrep -x node` would compare.
node_pid=$(pgrep -P "$server_pid" -f 'dist/cli\.js serve') || fail "no node process under tini"
[ "$(ps -o uid= -p "$node_pid" | tr -d ' ')" = "$SERVICE_ID" ] || fail "node does not run as uid $SERVICE_ID"
healthcheck=$(node -e 'const text = require("node:fs").readFileSync("Dockerfile", "utf8").replace(/\\\n/g, " ");
  const m = /^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m.exec(text);
  if (m) JSON.parse(m[1]).forEach((word) => console.log(word));') || true
[ -n "$healthcheck" ] || fail "no HEALTHCHECK CMD [\"…\"] found in the Dockerfile"
mapfile -t healthcheck_command <<<"$healthcheck"
as_service "${healthcheck_command[@]}" || fail "the Dockerfile's HEALTHCHECK command failed"
echo "  readiness UP, the image's HEALTHCHECK passes, node runs as uid $SERVICE_ID"

phase "run tokenCleanupJob through the API"
token=$(as_service node dist/cli.js token --sub smoke --role ROLE_ADMIN)
code=$(curl -sS --max-time 10 -o "$work/run.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{}' "$base/api/batch/jobs/tokenCleanupJob/run")
[ "$code" = 202 ] || fail "POST /api/batch/jobs/tokenCleanupJob/run answered $code: $(cat "$work/run.json")"
execution=$(json_field executionId <"$work/run.json")
[ -n "$execution" ] || fail "no executionId in $(cat "$work/run.json")"
status=''
for _ in $(seq 1 $((JOB_TIMEOUT_S * 2))); do
  status=$(curl -fsS --max-time 5 -H "Authorization: Bearer $token" "$base/api/batch/jobs/executions/$execution" | json_field status)
  case "$status" in
    COMPLETED) break ;;
    FAILED | STOPPED | ABANDONED) fail "execution $execution ended $status" ;;
  esac
  sleep 0.5
done
[ "$status" = COMPLETED ] || fail "execution $execution not COMPLETED within ${JOB_TIMEOUT_S} s (last status: ${status:-none})"
echo "  execution $execution COMPLETED"

phase "admin console"
code=$(curl -sS --max-time 5 -D "$work/admin.headers" -o /dev/null -w '%{http_code}' "$base/admin/")
[ "$code" = 200 ] || fail "GET /admin/ answered $code"
grep -qi '^content-security-policy:' "$work/admin.headers" || fail "GET /admin/ has no Content-Security-Policy header"
echo "  GET /admin/ 200 with a Content-Security-Policy header"

phase "SIGTERM to tini"
kill -TERM "$server_pid"
for _ in $(seq 1 $((STOP_TIMEOUT_S * 2))); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
kill -0 "$server_pid" 2>/dev/null && fail "serve still running ${STOP_TIMEOUT_S} s after SIGTERM"
exit_code=0
wait "$server_pid" || exit_code=$?
server_pid=''
[ "$exit_code" = 0 ] || fail "serve exited with code $exit_code after SIGTERM"
grep -q '"msg":"shutdown complete"' "$log" || fail "no \"shutdown complete\" line in the service's log"
[ -n "$(find "${data_dirs[4]}" -type f -size +0)" ] || fail "nothing written to LOG_DIR by user batch"
echo "  exit code 0, \"shutdown complete\" logged, log files in LOG_DIR"

echo "smoke: OK (${SECONDS} s)"
