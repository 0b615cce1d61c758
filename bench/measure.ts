/** Timing and peak memory of one phase of a benchmark, measured in this process. */
export interface Measurement {
  readonly label: string;
  readonly items: number;
  readonly ms: number;
  readonly itemsPerSecond: number;
  /** Highest resident set size seen while the phase ran, sampled every 5 ms. */
  readonly peakRssMb: number;
}

export async function measure(label: string, items: number, phase: () => Promise<unknown>): Promise<Measurement> {
  global.gc?.();
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const started = performance.now();
  try {
    await phase();
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - started;
  peak = Math.max(peak, process.memoryUsage.rss());
  return { label, items, ms, itemsPerSecond: Math.round(items / (ms / 1000)), peakRssMb: Math.round(peak / 1048576) };
}

export function printTable(rows: readonly (readonly (string | number)[])[]): void {
  const text = rows.map((r) => r.map(String));
  const widths = text[0]!.map((_, i) => Math.max(...text.map((r) => r[i]!.length)));
  for (const row of text) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

/**
 * `--smoke`: the bench at a size that only proves it still starts and finishes (CI runs
 * every bench so, and fails when one no longer does); its figures mean nothing.
 */
export const SMOKE = process.argv.includes('--smoke');

/** `--name value` when given; otherwise the bench's default, or its smoke size under `--smoke`. */
export function argValue(name: string, fallback: string, smokeFallback: string = fallback): string {
  const at = process.argv.indexOf(`--${name}`);
  if (at >= 0 && process.argv[at + 1]) return process.argv[at + 1]!;
  return SMOKE ? smokeFallback : fallback;
}
