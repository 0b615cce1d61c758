/**
 * Every Mermaid diagram of the docs renders (issue 15, item 6): the ```mermaid blocks of
 * README.md and docs/*.md are parsed and then rendered by Mermaid itself, so a diagram the
 * code host would show as an error box fails the build instead.
 *
 * Why a browser: Mermaid parses through DOMPurify and lays diagrams out with the DOM's text
 * measurements, so it needs a page, not Node. One Debian chromium (playwright-core, no
 * browser download) and one page serve every block: Mermaid loads once, in about two
 * seconds. Skipped, saying so, where chromium is absent (CHROMIUM_PATH points elsewhere);
 * .ci/run installs it, as for the admin console's tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/child.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const MERMAID = path.join(ROOT, 'node_modules/mermaid/dist/mermaid.min.js');

interface Diagram {
  /** `docs/architecture.md:42`: where the block's first line is. */
  readonly where: string;
  readonly text: string;
}

/**
 * The ```mermaid (or ~~~mermaid) blocks of a Markdown text, with the line each starts on.
 * Fences are followed as CommonMark does, so a Mermaid block shown inside a longer fence
 * (an example of how to write one) is text, not a diagram.
 */
function mermaidBlocks(markdown: string, file: string): Diagram[] {
  const blocks: Diagram[] = [];
  let open: { fence: string; mermaid: boolean; line: number; body: string[] } | undefined;
  markdown.split('\n').forEach((line, index) => {
    if (open === undefined) {
      const opening = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (opening) open = { fence: opening[1]!, mermaid: opening[2] === 'mermaid', line: index + 1, body: [] };
      return;
    }
    const closing = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (closing && closing[1]![0] === open.fence[0] && closing[1]!.length >= open.fence.length) {
      if (open.mermaid) blocks.push({ where: `${file}:${open.line}`, text: open.body.join('\n') });
      open = undefined;
      return;
    }
    open.body.push(line);
  });
  return blocks;
}

function documentedDiagrams(): Diagram[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs].flatMap((file) => mermaidBlocks(readFileSync(path.join(ROOT, file), 'utf8'), file));
}

const DIAGRAMS = documentedDiagrams();

/** What Mermaid writes as the SVG's `aria-roledescription` for the kinds the docs use. */
const ROLE: Readonly<Record<string, string>> = { flowchart: 'flowchart-v2', graph: 'flowchart-v2', sequenceDiagram: 'sequence' };

/** The diagram's type: its first word, after any front matter (`---` … `---`) and `%%` comments. */
const kindOf = (text: string) => /^\s*(\w+)/.exec(text.replace(/^\s*---\n[\s\S]*?\n---\n/, '').replace(/^\s*%%.*$/gm, ''))?.[1] ?? '';

describe('the Mermaid blocks of the docs', () => {
  it('are found at the top level of a document, never inside another fence', () => {
    const sample = [
      'text',
      '```mermaid',
      'flowchart LR',
      '  a --> b',
      '```',
      '````markdown',
      '```mermaid',
      'not a diagram: an example inside a longer fence',
      '```',
      '````',
      '~~~mermaid',
      'sequenceDiagram',
      '~~~',
      '```ts',
      'const mermaid = 1;',
      '```',
    ].join('\n');
    expect(mermaidBlocks(sample, 'sample.md')).toEqual([
      { where: 'sample.md:2', text: 'flowchart LR\n  a --> b' },
      { where: 'sample.md:11', text: 'sequenceDiagram' },
    ]);
  });

  it('include the architecture and the sequences of the four flows', () => {
    const architecture = DIAGRAMS.filter((d) => d.where.startsWith('docs/architecture.md:')).map((d) => kindOf(d.text));
    expect(architecture).toEqual(['flowchart', 'sequenceDiagram', 'sequenceDiagram', 'sequenceDiagram', 'sequenceDiagram']);
    expect(DIAGRAMS.length).toBeGreaterThanOrEqual(5);
  });
});

if (!HAVE_CHROMIUM) console.log(`diagram rendering tests SKIPPED: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

interface Rendered {
  readonly parseError?: string;
  readonly renderError?: string;
  readonly svg?: string;
}

/** Mermaid's parse and render each tried on their own, so a test sees which one refused. */
const PAGE_SCRIPT = `
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', suppressErrorRendering: true });
  globalThis.renderDiagram = async (id, text) => {
    const outcome = {};
    try { await mermaid.parse(text); } catch (error) { outcome.parseError = String(error?.message ?? error); }
    try { outcome.svg = (await mermaid.render(id, text)).svg; } catch (error) { outcome.renderError = String(error?.message ?? error); }
    return outcome;
  };
`;

describe.skipIf(!HAVE_CHROMIUM)('the Mermaid blocks of the docs, in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let renders = 0;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
    await page.addScriptTag({ path: MERMAID });
    await page.addScriptTag({ content: PAGE_SCRIPT });
  });

  afterAll(async () => {
    await browser?.close();
  });

  // Expressions run in the page are strings: this project's types are Node's, not the DOM's.
  const render = (text: string): Promise<Rendered> => page.evaluate<Rendered>(`renderDiagram(${JSON.stringify(`diagram${++renders}`)}, ${JSON.stringify(text)})`);

  it.each(DIAGRAMS.map((d) => [d.where, d] as const))('%s parses and renders to an SVG', async (_where, diagram) => {
    const rendered = await render(diagram.text);
    expect(rendered.parseError).toBeUndefined();
    expect(rendered.renderError).toBeUndefined();
    expect(rendered.svg).toMatch(/^<svg[\s>]/);
    expect(rendered.svg).toContain(`aria-roledescription="${ROLE[kindOf(diagram.text)] ?? kindOf(diagram.text)}"`);
    expect(pageErrors).toEqual([]);
  });

  it.each([
    ['a message without its target', 'sequenceDiagram\n    A->>B: hello\n    B-->>: nobody'],
    ['a misspelt diagram type', 'flowchat LR\n    a --> b'],
    ['a block left open', 'sequenceDiagram\n    alt one\n        A->>B: hello'],
  ])('a broken diagram (%s) fails to parse and to render', async (_what, text) => {
    const rendered = await render(text);
    expect(rendered.parseError).toMatch(/\w/);
    expect(rendered.renderError).toMatch(/\w/);
    expect(rendered.svg).toBeUndefined();
  });
});
