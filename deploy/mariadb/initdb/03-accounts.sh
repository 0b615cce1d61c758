# shellcheck shell=bash
# The platform's two database accounts. Sourced (not executed: keep this file without its
# x bit) by the mariadb image's entrypoint on an empty data volume, after the databases and
# sibling tables exist and before 04-grants.sql; `docker_process_sql` and `mysql_error` are
# the entrypoint's functions.
#
#   batch      batch-service's account. Its password is read from the five *_DB_URL of
#              .env, the file the replicas read too, so the two can never disagree.
#   demo_seed  the one-shot init-demo service's account (DEMO_SEED_DB_PASSWORD in
#              deploy/demo-seed.env): it may create and fill the sibling tables, which
#              batch-service may not. The replicas never see its password.
#
# Passwords are limited to URL-safe characters (`openssl rand -hex 24` gives one), so they
# sit in a mysql:// URL as they are, and placeholders (change-me) are refused.

batch_platform_accounts() {
  local name url rest credentials user password batch_password=''
  for name in BATCH_DB_URL USER_DB_URL INSCRIPTION_DB_URL DEFENSE_DB_URL NOTIFICATION_DB_URL; do
    url=${!name:-}
    case $url in
      mysql://*@* | mariadb://*@*) ;;
      *) mysql_error "$name must be a mysql:// URL with the batch account (mysql://batch:<password>@mariadb:3306/<database>) in .env; got '${url%%:*}:…'" ;;
    esac
    rest=${url#*://}
    credentials=${rest%%@*}
    user=${credentials%%:*}
    password=${credentials#*:}
    [ "$user" = batch ] || mysql_error "$name names the account '$user'; 04-grants.sql grants to 'batch'"
    batch_platform_check_password "$name" "$password"
    [ -z "$batch_password" ] || [ "$password" = "$batch_password" ] ||
      mysql_error "$name has another password than BATCH_DB_URL: the five URLs use one account"
    batch_password=$password
  done
  batch_platform_check_password DEMO_SEED_DB_PASSWORD "${DEMO_SEED_DB_PASSWORD:-}"
  [ "$DEMO_SEED_DB_PASSWORD" != "$batch_password" ] ||
    mysql_error "DEMO_SEED_DB_PASSWORD equals the batch account's password: give the seeding account its own"

  docker_process_sql <<-SQL
	CREATE USER 'batch'@'%' IDENTIFIED BY '$batch_password';
	CREATE USER 'demo_seed'@'%' IDENTIFIED BY '$DEMO_SEED_DB_PASSWORD';
	SQL
}

batch_platform_check_password() {
  local name=$1 password=$2
  [[ ${password,,} != *change-me* ]] ||
    mysql_error "$name still holds the placeholder password of the .example file; set one (openssl rand -hex 24)"
  [[ $password =~ ^[A-Za-z0-9._~-]{16,}$ ]] ||
    mysql_error "$name: the password must be at least 16 characters among A-Z a-z 0-9 . _ ~ - (for example: openssl rand -hex 24)"
}

batch_platform_accounts
