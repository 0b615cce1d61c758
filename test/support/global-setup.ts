/** Says once, at the top of the run, which database engines the suite exercises. */
export default function setup(): void {
  if (process.env.MARIADB_TEST_URL) {
    console.log('database tests run on SQLite and on MariaDB (MARIADB_TEST_URL is set)');
  } else {
    console.log(
      'MariaDB tests SKIPPED: MARIADB_TEST_URL is not set, database tests run on SQLite only (.ci/run starts MariaDB and sets it)',
    );
  }
}
