/**
 * The image recipe (issue 15), read with a Dockerfile parser: no container engine runs
 * where the tests do, and hadolint is not packaged here, so the properties the image must
 * have are checked on the Dockerfile itself — stages, pins, user, volumes, environment,
 * health check, signals, labels — against the sources of truth they mirror: the config
 * module's settings, package.json, the liveness route.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Arg, Copy, DockerfileParser, Env, From, Healthcheck, JSONInstruction, Label, type Instruction } from 'dockerfile-ast';
import { settingDocs } from '../../src/config.js';

const root = new URL('../../', import.meta.url);
const dockerfile = DockerfileParser.parse(readFileSync(new URL('Dockerfile', root), 'utf8'));
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  name: string; version: string; description: string; license: string; bin: Record<string, string>;
};

/** The directories the service writes, where the image puts them. */
const DIRECTORIES = {
  DATA_DIR: '/var/lib/batch-service/data',
  UPLOADS_DIR: '/var/lib/batch-service/uploads',
  REPORTS_DIR: '/var/lib/batch-service/reports',
  ARCHIVES_DIR: '/var/lib/batch-service/archives',
  LOG_DIR: '/var/log/batch-service',
} as const;

interface Stage {
  readonly from: From;
  readonly instructions: readonly Instruction[];
}

/** The instructions after each FROM, up to the next one. */
function stagesOf(instructions: readonly Instruction[]): readonly Stage[] {
  return instructions.reduce<readonly Stage[]>((stages, instruction) => {
    if (instruction instanceof From) return [...stages, { from: instruction, instructions: [] }];
    const last = stages.at(-1);
    return last === undefined ? stages : [...stages.slice(0, -1), { ...last, instructions: [...last.instructions, instruction] }];
  }, []);
}

const stages = stagesOf(dockerfile.getInstructions());
const runtime = stages.at(-1)!;
const ofKind = <T extends Instruction>(stage: Stage, kind: abstract new (...args: never[]) => T) =>
  stage.instructions.filter((i): i is T => i instanceof kind);
const keyword = (stage: Stage, name: string) => stage.instructions.filter((i) => i.getKeyword() === name);

/** The simple commands of a RUN: `a && b; c` → [[a…], [b…], [c…]]. */
function commandsOf(instruction: Instruction): readonly (readonly string[])[] {
  return (instruction.getArgumentsContent() ?? '')
    .replace(/\\\n/g, ' ')
    .split(/&&|\|\||;|\n/)
    .map((command) => command.trim().split(/\s+/).filter((word) => word !== ''))
    .filter((words) => words.length > 0);
}
const runCommands = (stage: Stage) => keyword(stage, 'RUN').flatMap(commandsOf);
const isNpmInstall = (words: readonly string[]) => words[0] === 'npm' && ['ci', 'install', 'i', 'prune'].includes(words[1] ?? '');
const omitsDev = (words: readonly string[]) => words.includes('--omit=dev') || words.includes('--production');

const jsonArray = (instruction: Instruction) =>
  instruction instanceof JSONInstruction ? instruction.getJSONStrings().map((s) => s.getJSONValue()) : [];
const properties = (instructions: readonly (Env | Label)[]) =>
  new Map(instructions.flatMap((i) => i.getProperties()).map((p) => [p.getName(), p.getValue() ?? ''] as const));
/** COPY sources (all arguments but the destination), as the last path segment. */
const copiedNames = (stage: Stage) =>
  ofKind(stage, Copy).flatMap((copy) => copy.getArguments().slice(0, -1).map((a) => a.getValue().replace(/\/+$/, '').split('/').at(-1)));

describe('Dockerfile', () => {
  it('builds in one stage and runs in a slim one, both on the same pinned Node 24 release and Debian', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    stages.forEach(({ from }, index) => {
      const earlierStages = stages.slice(0, index).map((stage) => stage.from.getBuildStage());
      if (earlierStages.includes(from.getImageName())) return;
      const image = `${from.getImageName()}:${from.getImageTag() ?? ''}`;
      expect(from.getImageTag(), `${image}: no tag means latest`).not.toBeNull();
      expect(from.getImageTag(), image).not.toBe('latest');
      expect(from.getImageTag(), `${image}: an exact release, not a floating major`).toMatch(/^\d+\.\d+\.\d+-/);
    });
    const build = stages[0]!.from;
    const run = runtime.from;
    expect(run.getImageTag()).toMatch(/-slim$/);
    // better-sqlite3's binary is compiled in the first stage and loaded in the last.
    expect(run.getImageName()).toBe(build.getImageName());
    expect(run.getImageTag()).toBe(`${build.getImageTag()}-slim`);
    expect(build.getImageTag()).toMatch(/^24\./);
  });

  it('runs as a non-root user created in the image, and never goes back to root', () => {
    const users = keyword(runtime, 'USER').map((u) => u.getArgumentsContent()?.trim() ?? '');
    const isRoot = (spec: string) => ['root', '0'].includes(spec.split(':')[0]!);
    const firstNonRoot = users.findIndex((u) => !isRoot(u));
    expect(firstNonRoot, `USER in the final stage: ${users.join(', ') || 'none'}`).toBeGreaterThanOrEqual(0);
    expect(users.slice(firstNonRoot).filter(isRoot)).toEqual([]);
    const user = users.at(-1)!.split(':')[0]!;
    const createsUser = (words: readonly string[]) =>
      words[0] === 'useradd' && (/^\d+$/.test(user) ? words.join(' ').includes(`--uid ${user}`) : words.at(-1) === user);
    expect(runCommands(runtime).some(createsUser), `useradd for ${user}`).toBe(true);
  });

  it('keeps each data directory in a volume the user owns, at the path ENV gives the service', () => {
    const env = properties(ofKind(runtime, Env));
    for (const [name, dir] of Object.entries(DIRECTORIES)) expect(env.get(name), name).toBe(dir);
    const volumes = keyword(runtime, 'VOLUME').flatMap(jsonArray);
    expect(volumes).toEqual(expect.arrayContaining(Object.values(DIRECTORIES)));
    const chown = runCommands(runtime).find((words) => words[0] === 'chown');
    expect(chown, 'chown of the data directories').toBeDefined();
    expect(chown).toEqual(expect.arrayContaining(Object.values(DIRECTORIES)));
  });

  it('sets only variables the service reads, and no secret', () => {
    const known = new Set([...settingDocs().map((d) => d.name), 'NODE_ENV']);
    const envs = stages.flatMap((stage) => [...properties(ofKind(stage, Env))]);
    expect(envs.map(([name]) => name).filter((name) => !known.has(name))).toEqual([]);
    const args = stages.flatMap((stage) => ofKind(stage, Arg)).map((a) => [a.getProperty()?.getName() ?? '', a.getProperty()?.getValue() ?? ''] as const);
    const secretLooking = [...envs, ...args].filter(([name, value]) => /SECRET|PASSWORD|KEY|TOKEN|CREDENTIAL/i.test(name) && value !== '');
    expect(secretLooking).toEqual([]);
    expect(envs.filter(([, value]) => /:\/\/[^/@\s]+:[^/@\s]+@/.test(value)), 'a URL with credentials').toEqual([]);
  });

  it('exposes the default port of the config module', () => {
    const port = settingDocs().find((d) => d.name === 'PORT')!.default;
    const exposed = keyword(runtime, 'EXPOSE').flatMap((e) => e.getArguments().map((a) => a.getValue().replace(/\/tcp$/, '')));
    expect(exposed).toEqual([port]);
  });

  describe('health check', () => {
    const checks = ofKind(runtime, Healthcheck);
    const command = () => JSON.parse((checks[0]!.getArgumentsContent() ?? '').replace(/^CMD\s+/, '')) as string[];

    it('asks the liveness route with node itself (slim has no curl)', () => {
      expect(checks).toHaveLength(1);
      expect(checks[0]!.getSubcommand()?.getValue()).toBe('CMD');
      expect(command()[0]).toBe('node');
      expect(command().join(' ')).toContain('/actuator/health/liveness');
    });

    it('exits 0 while liveness answers 200, 1 on another status or no answer', async () => {
      let status = 200;
      const paths: string[] = [];
      const server = createServer((request, response) => {
        paths.push(request.url ?? '');
        response.writeHead(status).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const run = (on: number) =>
        promisify(execFile)(process.execPath, command().slice(1), { env: { ...process.env, PORT: String(on) } }).then(() => 0, (error: { code: number }) => error.code);
      try {
        expect(await run(port)).toBe(0);
        status = 503;
        expect(await run(port)).toBe(1);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      expect(await run(port)).toBe(1);
      expect(paths).toEqual(['/actuator/health/liveness', '/actuator/health/liveness']);
    });
  });

  it('starts node dist/cli.js serve under tini, so SIGTERM reaches the service', () => {
    const entrypoints = keyword(runtime, 'ENTRYPOINT');
    expect(entrypoints).toHaveLength(1);
    expect(jsonArray(entrypoints[0]!)).toEqual(['/usr/bin/tini', '--']);
    expect(runCommands(runtime).some((words) => words[0] === 'apt-get' && words[1] === 'install' && words.includes('tini'))).toBe(true);
    // Exec form: a shell, or npm start (issue 16), would keep SIGTERM from node.
    const commands = keyword(runtime, 'CMD');
    expect(commands).toHaveLength(1);
    expect(jsonArray(commands[0]!)).toEqual(['node', pkg.bin['batch-service'], 'serve']);
  });

  it("labels the image with package.json's name, description, version and licence", () => {
    const labels = properties(ofKind(runtime, Label));
    expect(labels.get('org.opencontainers.image.title')).toBe(pkg.name);
    expect(labels.get('org.opencontainers.image.description')).toBe(pkg.description);
    expect(labels.get('org.opencontainers.image.version')).toBe(pkg.version);
    expect(labels.get('org.opencontainers.image.licenses')).toBe(pkg.license);
    expect(labels.has('org.opencontainers.image.source')).toBe(true);
  });

  it('ships production dependencies only, installed from the lockfile in the build stage', () => {
    const copies = ofKind(runtime, Copy).filter((c) => c.getArguments().some((a) => /node_modules\/?$/.test(a.getValue())));
    expect(copies).toHaveLength(1);
    const from = copies[0]!.getFromFlag()?.getValue();
    const source = stages.find((stage) => stage.from.getBuildStage() === from);
    expect(source, `COPY --from=${from}`).toBeDefined();
    const installs = runCommands(source!).filter(isNpmInstall);
    expect(installs[0]?.slice(0, 2)).toEqual(['npm', 'ci']);
    expect(copiedNames(source!)).toContain('package-lock.json');
    expect(omitsDev(installs.at(-1)!), installs.at(-1)!.join(' ')).toBe(true);
    expect(runCommands(runtime).filter((words) => isNpmInstall(words) && !omitsDev(words))).toEqual([]);
  });

  it('carries what the built service reads at run time', () => {
    // dist/ (admin console included), the fonts in node_modules, package.json (build info
    // and projectFile's root), assets/logo.svg (the default REPORT_LOGO).
    expect(copiedNames(runtime)).toEqual(expect.arrayContaining(['dist', 'node_modules', 'package.json', 'assets']));
  });
});

describe('.dockerignore', () => {
  it("keeps the host's builds, data and secrets out of the build context", () => {
    const patterns = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const ignores = (name: string) => patterns.some((p) => p === name || p === `**/${name}`);
    for (const name of ['node_modules', 'dist', 'dist-bench', 'data', 'test-results', 'coverage', '.git', '*.log', '.env']) {
      expect(ignores(name), name).toBe(true);
    }
  });
});
