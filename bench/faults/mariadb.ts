/**
 * The harness's own MariaDB server, as .ci/start-mariadb.sh starts the test one but on a
 * port and data directory of its own: the harness restarts it, lowers nothing on a
 * server others use, and removes it at the end. Needs Debian's mariadb-server (`mariadbd`,
 * `mariadb-install-db`) and root (the server runs as the `mysql` user).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection, type Connection } from 'mysql2/promise';

export const SERVICE_USER = 'faults';
export const SERVICE_PASSWORD = 'faults-harness-password';
/** Server-wide connection limit: the pool-exhaustion fault fills it. */
export const MAX_CONNECTIONS = 120;

export interface OwnMariadb {
  readonly port: number;
  readonly socket: string;
  /** Base URL of the service's account, ending with `/`. */
  readonly url: string;
  /** A root connection over the socket (LOCK TABLES, CREATE DATABASE, KILL). */
  root(): Promise<Connection>;
  /** Stops the server (SIGKILL: a crash; SIGTERM: a clean shutdown) and starts it again on the same data. */
  restart(signal: 'SIGKILL' | 'SIGTERM', downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startOwnMariadb(): Promise<OwnMariadb> {
  const dir = mkdtempSync(path.join(tmpdir(), 'batch-faults-mariadb-'));
  chownSync(dir, uid('mysql'), gid('mysql'));
  // A temporary directory of its own: a MariaDB server deletes every #sql* file in its
  // tmpdir when it starts, so with /tmp shared, a harness bootstrapping or restarting its
  // server deleted the temporary tables another server was using (a second harness's
  // bootstrap failed; the test suite's server crashed).
  const install = spawnSync(
    'mariadb-install-db',
    ['--user=mysql', `--datadir=${dir}/data`, '--auth-root-authentication-method=socket', '--skip-test-db', `--tmpdir=${dir}`],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr || install.stdout}`);
  const port = await freePort();
  const socket = path.join(dir, 'mysqld.sock');
  let server: ChildProcess | undefined;

  const start = async () => {
    server = spawn(
      'mariadbd',
      [
        '--user=mysql',
        `--datadir=${dir}/data`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${dir}/mysqld.pid`,
        `--tmpdir=${dir}`,
        `--log-error=${dir}/error.log`,
        '--skip-log-bin',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        `--max-connections=${MAX_CONNECTIONS}`,
        '--innodb-buffer-pool-size=64M',
        // Throw-away data: no fsync per commit, so a scenario costs little.
        '--innodb-flush-log-at-trx-commit=2',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 240; i++) {
      try {
        const c = await createConnection({ socketPath: socket, user: 'root' });
        await c.end();
        return;
      } catch {
        await sleep(250);
      }
    }
    throw new Error(`MariaDB did not start; ${readFileSync(`${dir}/error.log`, 'utf8').slice(-2000)}`);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const s = server;
    if (!s || s.exitCode !== null) return;
    const exited = new Promise((resolve) => s.once('exit', resolve));
    s.kill(signal);
    await exited;
  };

  // Ended with the harness, whatever ends it (Ctrl-C included: main exits on SIGINT).
  process.on('exit', () => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  const root = () => createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
  const admin = await root();
  try {
    await admin.query(`CREATE USER IF NOT EXISTS '${SERVICE_USER}'@'127.0.0.1' IDENTIFIED BY '${SERVICE_PASSWORD}'`);
    await admin.query(`CREATE USER IF NOT EXISTS '${SERVICE_USER}'@'localhost' IDENTIFIED BY '${SERVICE_PASSWORD}'`);
    await admin.query(`GRANT ALL PRIVILEGES ON \`ft%\`.* TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost'`);
    await admin.query('FLUSH PRIVILEGES');
  } finally {
    await admin.end();
  }
  return {
    port,
    socket,
    url: `mysql://${SERVICE_USER}:${SERVICE_PASSWORD}@127.0.0.1:${port}/`,
    root,
    async restart(signal, downMs) {
      await halt(signal);
      await sleep(downMs);
      await start();
    },
    async stop() {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uid(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}
function gid(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}
