/**
 * .env.example (issue 15, item 3) against the config module, the one source of truth for
 * settings: `settingDocs()` of src/config.ts lists every variable (test/config.test.ts keeps
 * the README's configuration table to it the same way), and the README's table gives the
 * defaults the file states.
 *
 * The file's shape, which these tests read: one block per variable, comment lines then one
 * assignment, `NAME=value` (a value compose.yaml needs) or `# NAME=value` (the default kept).
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig, settingDocs } from '../../src/config.js';

const root = new URL('../../', import.meta.url);
const exampleText = readFileSync(new URL('.env.example', root), 'utf8');

interface Entry {
  readonly name: string;
  readonly value: string;
  /** `# NAME=value`: the default is kept. */
  readonly commented: boolean;
  /** The comment lines right above the assignment, without their `#`. */
  readonly doc: string;
}

const ASSIGNMENT = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;

function entriesOf(text: string): readonly Entry[] {
  const entries: Entry[] = [];
  let doc: string[] = [];
  for (const line of text.split('\n')) {
    const assignment = ASSIGNMENT.exec(line);
    if (assignment) {
      entries.push({ name: assignment[2]!, value: assignment[3]!.trim(), commented: assignment[1] !== undefined, doc: doc.join(' ') });
      doc = [];
    } else if (line.startsWith('#')) {
      doc.push(line.replace(/^#\s?/, ''));
    } else {
      doc = [];
    }
  }
  return entries;
}

/** README, Configuration: variable -> its default cell, as written. */
function readmeDefaults(): ReadonlyMap<string, string> {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## API\n'));
  const defaults = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[1] ?? '')?.[1];
    if (name !== undefined) defaults.set(name, cells.at(-2)!);
  }
  return defaults;
}

const entries = entriesOf(exampleText);
const configNames = settingDocs().map((doc) => doc.name);
const defaults = readmeDefaults();

describe('.env.example', () => {
  it('lists exactly the variables of the config module, each once', () => {
    const names = entries.map((entry) => entry.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i), 'listed twice').toEqual([]);
    expect([...names].sort()).toEqual([...configNames].sort());
  });

  it("states each variable's default as the README's configuration table gives it", () => {
    for (const { name, doc } of entries) {
      const readmeDefault = defaults.get(name);
      expect(readmeDefault, `${name} is missing from the README's configuration table`).toBeDefined();
      expect(doc, `${name}: its comment should say "Default: ${readmeDefault}"`).toContain(`Default: ${readmeDefault}`);
    }
  });

  it('keeps a default commented out with its value, or empty where the default is no plain value', () => {
    for (const { name, value } of entries.filter((entry) => entry.commented)) {
      const readmeDefault = defaults.get(name)!;
      const plain = readmeDefault.replaceAll('`', '');
      // A plain value: one code span or one word, neither "none" (unset) nor a reference to
      // another variable (a .env file expands nothing).
      const isPlainValue = (/^`[^`]+`$/.test(readmeDefault) || /^\S+$/.test(readmeDefault)) && plain !== 'none' && !plain.includes('$');
      if (isPlainValue) {
        expect(value, `# ${name}= should show the default ${plain}`).toBe(plain);
      } else {
        expect(value === '' || plain.startsWith(`${value} (`), `# ${name}=${value} is not the default "${readmeDefault}"`).toBe(true);
      }
    }
  });

  it('is a configuration the service accepts as it stands', () => {
    expect(() => loadConfig(parseEnv(exampleText))).not.toThrow();
  });

  it('holds placeholders instead of secrets', () => {
    const secrets = new Set(settingDocs().filter((doc) => doc.meaning.includes('(secret, never logged)')).map((doc) => doc.name));
    for (const { name, value } of entries.filter((entry) => !entry.commented)) {
      const password = /^[a-z]+:\/\/[^:/@]*:([^@]*)@/.exec(value)?.[1];
      if (password !== undefined) expect(password, `${name} holds a password`).toBe('change-me');
      // A secret set in the example may only be a URL without credentials (SMTP_URL to Mailpit).
      if (secrets.has(name)) expect(/^[a-z]+:\/\/[^@]*$/.test(value), `${name} is set to a secret value`).toBe(true);
    }
    for (const name of ['JWT_SECRET', 'ARCHIVE_KEYS']) {
      expect(entries.find((entry) => entry.name === name)?.commented, `${name} is set in the example`).toBe(true);
    }
  });
});
