/**
 * Every reference in the repository leads somewhere in the repository (issue 25, item 2).
 *
 * Two kinds of reference are checked, in the code, tests, benchmarks, scripts, the admin
 * console's source, the deployment kit and the docs:
 *   - a file: a relative Markdown link, a path that starts at one of the repository's
 *     folders (`docs/engine.md`, `src/db/sql-time.ts`, `bench/README.md`, `src/db/migrations/`)
 *     and a bare Markdown name (`README.md`). Each must exist, resolved against the root or
 *     the citing file's folder. Globs and placeholders (`test/**`, `src/jobs/<job>/`,
 *     `${…}`) are patterns, not references, and what a build writes (`dist/`) is not here.
 *     A benchmark named without `.ts` (`bench/api`) and a file made from its template
 *     (`deploy/demo-seed.env`, from `….example`) exist; in code, a path joined to another
 *     folder (`path.join(source, 'src/main.ts')`) and a string a test makes up that starts
 *     with a Markdown name (`'sample.md:2'`) are not references.
 *   - a rule of docs/requirements.md: a requirement number (`5.8`, a range `5.10–5.12`, a
 *     section `6.x`) or a property (`Property 36`, `Properties 5 and 57`). Decimals and
 *     versions abound (`1.25×`, `Node 20.20`, `(1.29, validation only)`), so a number is
 *     a citation only where the code cites one, in one of these forms:
 *       - after "requirement(s)" or "rule(s)": `requirements 1.1–1.8`;
 *       - a parenthesised list of citations, alone or after a comma: `(5.8, 5.9)`,
 *         `(4.10, 10.4, Properties 29 and 61)`, `(docs/databases.md, 2.7)`;
 *       - a parenthesised list followed by words, or that goes on to the next line:
 *         `(2.6 suspends it)`, `(5.6; …)`, `(10.5, 10.7,` … `10.8)`;
 *       - a list at the start of a comment or of a test's name: `// 4.2: …`,
 *         ` * 5.10–5.12: …`, `it('2.5: …`;
 *       - `Property N` / `Properties N, M and K` / `Property N/M` anywhere.
 *     Each must be defined in docs/requirements.md: a bullet `- **5.8** …` (or a block
 *     `- **7.1–7.8** …`, which defines every number in it) and a row `| 36 | … |` of its
 *     properties table.
 *
 * This file holds examples of what is not a reference, and is not scanned itself.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child.js';

/** What is scanned: the folders and files the issue names, and the deployment kit. */
const SCANNED = ['src', 'test', 'bench', 'scripts', 'admin/src', 'docs', 'deploy', '.ci', 'README.md', 'Dockerfile', 'compose.yaml', '.env.example'];
const TEXT = /\.(ts|mjs|js|md|sh|sql|css|html|json|yaml|yml|env|example)$|^Dockerfile$|^run$/;
const SELF = path.relative(ROOT, import.meta.filename);
/** The repository's own folders: a path that starts with one of these is a reference. */
const FOLDERS = ['src', 'test', 'bench', 'docs', 'scripts', 'admin', 'deploy', 'assets', '.ci'];
const REQUIREMENTS = 'docs/requirements.md';
const CODE = /\.(ts|mjs|js)$/;

function scannedFiles(): string[] {
  const files: string[] = [];
  const walk = (relative: string) => {
    const absolute = path.join(ROOT, relative);
    if (!existsSync(absolute)) return;
    if (statSync(absolute).isDirectory()) {
      for (const name of readdirSync(absolute).sort()) walk(path.join(relative, name));
    } else if (TEXT.test(path.basename(relative)) && relative !== SELF) {
      files.push(relative);
    }
  };
  SCANNED.forEach(walk);
  return files;
}

interface Found {
  /** `src/config.ts:2` */
  readonly where: string;
  readonly text: string;
}

// ---------------------------------------------------------------- files

const FOLDER_PATH = new RegExp(
  String.raw`(?<![\p{L}\p{N}_.@/:$~-])(?:\./)?((?:${FOLDERS.map((f) => f.replace('.', '\\.')).join('|')})/[\p{L}\p{N}_./-]*[\p{L}\p{N}_/])`,
  'gu',
);
const MARKDOWN_NAME = /(?<![\p{L}\p{N}_./@:$~-])([\p{L}\p{N}_-]+\.md)(?![\p{L}\p{N}_])/gu;
const MARKDOWN_LINK = /\]\(((?:\.{0,2}\/)?[\w./-]*[\w/])(?:#[\w-]*)?\)/g;
/** Code that builds a path from another folder: `path.join(source, 'src/main.ts')`. */
const JOINED = /\b(?:path\.(?:join|resolve)|new URL)\([^)]*$/;

/** The file references of one line, as written. */
function fileReferences(line: string, code = false): string[] {
  const found: string[] = [];
  for (const match of line.matchAll(MARKDOWN_LINK)) {
    if (!/^[a-z][a-z+.-]*:/i.test(match[1]!) && /[./]/.test(match[1]!)) found.push(match[1]!);
  }
  for (const match of line.matchAll(FOLDER_PATH)) {
    const before = line.slice(0, match.index);
    const after = line.slice(match.index + match[0].length);
    // A glob, a placeholder or a template: a pattern of paths, not one path.
    if (/^[\p{L}\p{N}_./-]*[*<{$]/u.test(after)) continue;
    if (code && JOINED.test(before)) continue;
    found.push(match[1]!);
  }
  for (const match of line.matchAll(MARKDOWN_NAME)) {
    // In code, a string that starts with a name is a name a test makes up (`'sample.md:2'`).
    if (!(code && /['"`]$/.test(line.slice(0, match.index)))) found.push(match[1]!);
  }
  return [...new Set(found)];
}

/**
 * Does the reference name something that exists, from the root or from the citing file's
 * folder? A benchmark is named without its extension (`bench/api`), and a file the reader
 * makes from its template (`deploy/demo-seed.env`) exists as `….example`.
 */
function resolves(reference: string, citingFile: string): boolean {
  const bases = [ROOT, path.join(ROOT, path.dirname(citingFile))];
  return bases.some((base) =>
    ['', '.ts', '.example'].some((suffix) => existsSync(path.join(base, reference + suffix))),
  );
}

function brokenFileReferences(files: readonly string[]): Found[] {
  const broken: Found[] = [];
  for (const file of files) {
    readFileSync(path.join(ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, index) => {
        for (const reference of fileReferences(line, CODE.test(file))) {
          if (!resolves(reference, file)) broken.push({ where: `${file}:${index + 1}`, text: reference });
        }
      });
  }
  return broken;
}

// ---------------------------------------------------------------- rules

/** A requirement number, a section (`6.x`), never a measure (`1.25×`, `5.1 s`) nor a version part (`20.20.2`). */
const NUMBER = String.raw`(?:[1-9]|1[01])\.(?:\d{1,2}|x)(?![\d×%]|\.\d|\s?(?:ms|s|MB|KB|GB|rem|em|px)\b)`;
const ITEM = String.raw`${NUMBER}(?:\s?[–-]\s?${NUMBER})?`;
const JOIN = String.raw`(?:, and |, | and )`;
const LIST = String.raw`${ITEM}(?:${JOIN}${ITEM})*`;
const PROPERTIES = String.raw`Propert(?:y|ies) \d+(?:(?:${JOIN}|/)\d+)*`;
const CITATION = String.raw`(?:${PROPERTIES}|${LIST})`;

const AFTER_WORD = new RegExp(String.raw`(?<![\w.])(?:requirements?|rules?|docs/requirements\.md)\s+(${LIST})`, 'gi');
const PARENTHESISED = new RegExp(String.raw`\((?:[^()]*?, )??(${CITATION}(?:${JOIN}${CITATION})*)\)`, 'g');
/** `(2.6 suspends it)`, `(5.6; …)`, `(6.2: optional)`, and a list that goes on to the next line. */
const PARENTHESISED_HEAD = new RegExp(String.raw`\((${LIST})(?=[;:] |\s+\p{Ll}|,?$)`, 'gu');
/** The end of a list opened on an earlier line: `… 3 months, 4.7)`. */
const PARENTHESISED_TAIL = new RegExp(String.raw`^[^()]*, (${LIST})\)`);
const COMMENT_START = new RegExp(String.raw`(?:^\s*(?:\*|#|--)|\/\/|\/\*\*?)\s*(${LIST})(?=[:,;.)]|\s|$)`, 'g');
const TEST_NAME = new RegExp(String.raw`\b(?:it|test|describe)\(\s*['"\`](${LIST}):`, 'g');
const PROPERTY = new RegExp(PROPERTIES, 'g');

interface Cited {
  readonly requirements: string[];
  /** A range as written, `5.10–5.12`. */
  readonly ranges: [string, string][];
  readonly properties: number[];
}

function addList(list: string, cited: Cited): void {
  for (const match of list.matchAll(new RegExp(ITEM, 'g'))) {
    const [from, to] = match[0].split(/\s?[–-]\s?/);
    if (to === undefined) cited.requirements.push(from!);
    else cited.ranges.push([from!, to]);
  }
}

/** The requirement and property citations of one line. */
function citations(line: string): Cited {
  const cited: Cited = { requirements: [], ranges: [], properties: [] };
  for (const match of line.matchAll(PROPERTY)) {
    for (const number of match[0].matchAll(/\d+/g)) cited.properties.push(Number(number[0]));
  }
  const lists: string[] = [];
  for (const pattern of [AFTER_WORD, PARENTHESISED, PARENTHESISED_HEAD, COMMENT_START, TEST_NAME]) {
    for (const match of line.matchAll(pattern)) lists.push(match[1]!.replace(new RegExp(PROPERTIES, 'g'), ''));
  }
  const tail = PARENTHESISED_TAIL.exec(line);
  if (tail) lists.push(tail[1]!);
  // A number seen by two forms is one citation.
  for (const list of new Set(lists)) addList(list, cited);
  return { requirements: [...new Set(cited.requirements)], ranges: cited.ranges, properties: [...new Set(cited.properties)] };
}

interface Defined {
  readonly requirements: Set<string>;
  readonly sections: Set<string>;
  readonly properties: Set<number>;
}

/** What docs/requirements.md defines: `- **5.8** …`, `- **7.1–7.8** …` and the rows `| 36 | … |`. */
function definitions(markdown: string): Defined {
  const defined: Defined = { requirements: new Set(), sections: new Set(), properties: new Set() };
  for (const match of markdown.matchAll(/^- \*\*(\d+)\.(\d+)(?:–\1\.(\d+))?\*\*/gm)) {
    const section = match[1]!;
    const first = Number(match[2]);
    const last = match[3] === undefined ? first : Number(match[3]);
    for (let item = first; item <= last; item++) defined.requirements.add(`${section}.${item}`);
    defined.sections.add(section);
  }
  for (const match of markdown.matchAll(/^\| (\d+) \|/gm)) defined.properties.add(Number(match[1]));
  return defined;
}

function isDefined(requirement: string, defined: Defined): boolean {
  const [section, item] = requirement.split('.');
  return item === 'x' ? defined.sections.has(section!) : defined.requirements.has(requirement);
}

function undefinedCitations(files: readonly string[], defined: Defined): Found[] {
  const missing: Found[] = [];
  for (const file of files) {
    readFileSync(path.join(ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, index) => {
        const where = `${file}:${index + 1}`;
        const cited = citations(line);
        for (const requirement of cited.requirements) {
          if (!isDefined(requirement, defined)) missing.push({ where, text: requirement });
        }
        for (const [from, to] of cited.ranges) {
          const [section, first] = from.split('.');
          const [toSection, last] = to.split('.');
          // A range stays in one section and goes up: `5.10–5.12`.
          if (!isDefined(from, defined) || !isDefined(to, defined) || section !== toSection || Number(first) >= Number(last)) {
            missing.push({ where, text: `${from}–${to}` });
          }
        }
        for (const property of cited.properties) {
          if (!defined.properties.has(property)) missing.push({ where, text: `Property ${property}` });
        }
      });
  }
  return missing;
}

const report = (found: readonly Found[]) => found.map((f) => `${f.where}: ${f.text}`);

describe('references', () => {
  const files = scannedFiles();

  it('scans the code, the tests and the docs', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('src/config.ts');
    expect(files.filter((file) => file.startsWith('docs/')).length).toBeGreaterThan(3);
  });

  it('finds file references, not patterns', () => {
    expect(fileReferences('see [the runbook](docs/operations.md#logs) and bench/README.md')).toEqual([
      'docs/operations.md',
      'bench/README.md',
    ]);
    expect(fileReferences('`src/jobs/<job>/`, `test/**/*.test.ts`, `docs/${name}`, https://x.org/docs/a.md')).toEqual([]);
    expect(fileReferences('the seed plan.md [x](./engine.md) [y](https://example.org/a.md)')).toEqual(['./engine.md', 'plan.md']);
    expect(fileReferences("path.join(source, 'src/main.ts'); mermaidBlocks(sample, 'sample.md')", true)).toEqual([]);
    expect(fileReferences('const pattern = /^(\\d{2})$/; compute[key](periods[which]);', true)).toEqual([]);
  });

  it('finds citations, not decimals nor versions', () => {
    expect(citations('/** 5.8, 5.9 (Property 36): orphan files */')).toEqual({
      requirements: ['5.8', '5.9'],
      ranges: [],
      properties: [36],
    });
    expect(citations('tokenCleanupJob (requirements 1.1–1.8): deletes')).toMatchObject({ ranges: [['1.1', '1.8']] });
    expect(citations('(docs/databases.md, 4.3, 4.5): one row').requirements).toEqual(['4.3', '4.5']);
    expect(citations('(4.10, 10.4, Properties 29 and 61)')).toMatchObject({ requirements: ['4.10', '10.4'], properties: [29, 61] });
    expect(citations("it('Property 42/59: any invalid token is 401'").properties).toEqual([42, 59]);
    expect(citations("  it('6.10: a token must expire', () => {").requirements).toEqual(['6.10']);
    expect(citations('  // 4.2: inscriptions closed for a year').requirements).toEqual(['4.2']);
    expect(citations("{ role: 'ACTIF' }, // 5.7: defended").requirements).toEqual(['5.7']);
    expect(citations('      // 4.7, 5.10–5.12.')).toMatchObject({ requirements: ['4.7'], ranges: [['5.10', '5.12']] });
    expect(citations('the one that makes them active (2.6 suspends it). */').requirements).toEqual(['2.6']);
    expect(citations(' * `archive list | shred` (10.5, 10.7,').requirements).toEqual(['10.5', '10.7']);
    expect(citations(' * finds SENT ones older than 3 months, 4.7), FAILED ones').requirements).toEqual(['4.7']);
    expect(citations('// The admin API (6.x, 10.1, 10.10): tokens').requirements).toEqual(['6.x', '10.1', '10.10']);
    for (const decimal of [
      'docker-compose config -q (1.29, validation only)',
      'within 1.25× of a hand loop (1.65×) in 5.1 s (7.3–8.3 s)',
      '2 cores, Node 20.20.2, SQLite 3.53, MariaDB 10.11.19',
      'mean over three runs, 1.11, is 1.09× (0.78–1.05)',
      'is valid OpenAPI 3.0 (issue 16.4)',
      'const buckets = [0.01, 0.5, 1, 2.5, 5, 10];',
    ]) {
      expect(citations(decimal), decimal).toEqual({ requirements: [], ranges: [], properties: [] });
    }
  });

  it('reads the definitions of docs/requirements.md', () => {
    const defined = definitions('- **7.1–7.8** pools\n- **5.8** orphans\n\n| 36 | orphans move | test/x.ts |\n');
    expect([...defined.requirements]).toEqual(['7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '7.7', '7.8', '5.8']);
    expect([...defined.properties]).toEqual([36]);
  });

  it('every file a reference names exists', () => {
    expect(report(brokenFileReferences(files))).toEqual([]);
  });

  it('every cited requirement and property is defined in docs/requirements.md', () => {
    const source = path.join(ROOT, REQUIREMENTS);
    const defined = definitions(existsSync(source) ? readFileSync(source, 'utf8') : '');
    expect(report(undefinedCitations(files, defined))).toEqual([]);
  });
});
