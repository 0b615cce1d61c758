# init-demo (compose.yaml): fills the empty sibling databases with demo data, once.
#
# Runs `batch-service demo-data` in the batch-service image with .env's configuration, the
# four sibling URLs swapped for the demo_seed account (DEMO_SEED_DB_PASSWORD, from
# deploy/demo-seed.env), which may insert into the sibling tables: the batch account may not
# (deploy/mariadb/initdb/04-grants.sql). batchdb stays on the batch account (demo-data
# migrates it first).
#
# demo-data refuses a userdb that holds users; this service runs at every `docker compose
# up`, so that refusal means "done before" and ends it successfully. Any other failure
# fails it, and the replicas, which wait for its success, do not start.
set -eu

: "${DEMO_SEED_DB_PASSWORD:?set DEMO_SEED_DB_PASSWORD in deploy/demo-seed.env}"
: "${BATCH_DB_URL:?set BATCH_DB_URL in .env}"

# The server of BATCH_DB_URL (mysql://batch:…@mariadb:3306/batchdb -> mariadb:3306).
server=${BATCH_DB_URL#*@}
server=${server%%/*}
seed_url() {
  printf 'mysql://demo_seed:%s@%s/%s' "$DEMO_SEED_DB_PASSWORD" "$server" "$1"
}
USER_DB_URL=$(seed_url userdb)
INSCRIPTION_DB_URL=$(seed_url inscriptiondb)
DEFENSE_DB_URL=$(seed_url defensedb)
NOTIFICATION_DB_URL=$(seed_url notificationdb)
export USER_DB_URL INSCRIPTION_DB_URL DEFENSE_DB_URL NOTIFICATION_DB_URL

# The same words as demo-data's refusal (src/db/fixtures/demo-data.ts; the compose test
# checks that it still says them).
already_filled='demo-data only fills empty databases'

status=0
output=$(node dist/cli.js demo-data 2>&1) || status=$?
printf '%s\n' "$output"
if [ "$status" -ne 0 ]; then
  case $output in
    *"$already_filled"*)
      echo 'init-demo: the sibling databases already hold data; nothing to do'
      exit 0
      ;;
  esac
fi
exit "$status"
