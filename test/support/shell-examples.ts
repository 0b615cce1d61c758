/**
 * The shell examples of a Markdown file that are marked to be run: fences whose info
 * string is a shell name followed by the word `example` (```sh example), which code hosts
 * still render as that shell. Each block becomes a list of commands with the exit code
 * the text announces, and a bash script that runs them in order and records each code
 * (test/docs/readme-examples.test.ts).
 *
 * The exit-code convention reads as what the user will see: a command exits 0 unless its
 * trailing comment starts with `exit N:` (`batch-service stop 1   # exit 2: … COMPLETED`).
 * A comment starting with `exit` in another form is refused, so a typo cannot turn a
 * check off.
 */

export interface ExampleCommand {
  /** `README.md:266`: where the command's first line is. */
  readonly where: string;
  /** As written: `\` continuations and the trailing comment included. */
  readonly text: string;
  readonly expectedExit: number;
}

export interface ExampleBlock {
  /** Where the opening fence is. */
  readonly where: string;
  /** The `## ` section the block is in. */
  readonly section: string;
  readonly commands: readonly ExampleCommand[];
}

/**
 * The marked blocks of `markdown`, in order. Fences (``` or ~~~) are followed as
 * CommonMark does, so a marked fence shown inside a longer one is text.
 *
 * @example
 * markedExamples('## Use\n\n```sh example\nls   # exit 2: no such file\n```\n', 'README.md')
 * // [{ where: 'README.md:3', section: 'Use', commands: [{ where: 'README.md:4', text: 'ls   # exit 2: …', expectedExit: 2 }] }]
 */
export function markedExamples(markdown: string, file: string): ExampleBlock[] {
  const blocks: ExampleBlock[] = [];
  let section = '(before any section)';
  let open: { fence: string; marked: boolean; line: number; body: string[] } | undefined;
  markdown.split('\n').forEach((line, index) => {
    if (open === undefined) {
      const heading = /^## +(.+?)\s*$/.exec(line);
      if (heading) section = heading[1]!;
      const opening = /^ {0,3}(`{3,}|~{3,})\s*([^`]*)$/.exec(line);
      if (opening) {
        const marked = opening[2]!.trim().split(/\s+/).slice(1).includes('example');
        open = { fence: opening[1]!, marked, line: index + 1, body: [] };
      }
      return;
    }
    const closing = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (closing && closing[1]![0] === open.fence[0] && closing[1]!.length >= open.fence.length) {
      if (open.marked) blocks.push({ where: `${file}:${open.line}`, section, commands: commandsOf(open.body, file, open.line + 1) });
      open = undefined;
      return;
    }
    open.body.push(line);
  });
  return blocks;
}

/** A block's lines as commands: blank and comment-only lines skipped, `\` continuations joined. */
function commandsOf(body: readonly string[], file: string, firstLine: number): ExampleCommand[] {
  const commands: ExampleCommand[] = [];
  let pending: { where: string; lines: string[] } | undefined;
  body.forEach((line, index) => {
    if (pending === undefined) {
      if (line.trim() === '' || line.trim().startsWith('#')) return;
      pending = { where: `${file}:${firstLine + index}`, lines: [] };
    }
    pending.lines.push(line);
    if (line.endsWith('\\')) return;
    commands.push({ where: pending.where, text: pending.lines.join('\n'), expectedExit: expectedExit(line, pending.where) });
    pending = undefined;
  });
  if (pending !== undefined) throw new Error(`${pending.where}: the block ends inside a command continued with \\`);
  return commands;
}

/**
 * The exit code a command's trailing comment announces, 0 without one. A `#` starts the
 * comment only after a blank (`$#`, `a#b` do not).
 */
function expectedExit(lastLine: string, where: string): number {
  const comment = /(?:^|\s)#\s*(.*)$/.exec(lastLine)?.[1];
  if (comment === undefined || !/^exit\b/i.test(comment)) return 0;
  const announced = /^exit (\d+): \S/.exec(comment);
  if (!announced) throw new Error(`${where}: a comment starting with "exit" must read "# exit N: why" (got "# ${comment}")`);
  return Number(announced[1]);
}

/** `text` as one single-quoted shell word. */
export const shellQuoted = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * A bash script running a block's commands in one session (variables carry from line to
 * line, as in a terminal): each command echoed as `$ …`, run as `rewrite` gives it, its
 * exit code appended to the file `results` as "index code"; the session ends at the first
 * code the text did not announce. stderr is merged into stdout, so the transcript keeps
 * the order a terminal shows.
 *
 * `curl` is a function there adding `--fail-with-body`, so a non-2xx answer fails its line
 * (exit 22) with the problem+json body still printed; `-q` (first, as curl requires) keeps
 * a ~/.curlrc out, `-sS` the progress meter while errors still print.
 */
export function blockScript(block: ExampleBlock, results: string, rewrite: (command: string) => string = (command) => command): string {
  const lines = ['exec 2>&1', 'set -o pipefail', 'curl() { command curl -q --fail-with-body -sS "$@"; }'];
  block.commands.forEach((command, index) => {
    const text = rewrite(command.text);
    lines.push(
      `printf '\\n$ %s\\n' ${shellQuoted(text)}`,
      text,
      `__example_rc=$?; echo "${index} $__example_rc" >> ${shellQuoted(results)}; [ "$__example_rc" -eq ${command.expectedExit} ] || exit 1`,
    );
  });
  return `${lines.join('\n')}\n`;
}
