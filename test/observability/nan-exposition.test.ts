/**
 * prom-client writes NaN as `Nan`, which Prometheus rejects with the whole scrape; the
 * service's exposition spells it `NaN` (seen in CI: the event-loop lag's mean before its
 * first sample).
 */
import { spawnSync } from 'node:child_process';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { prometheusText } from '../../src/observability/metrics.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('Prometheus exposition of a NaN value', () => {
  it('spells it NaN, which promtool accepts', async () => {
    const registry = new Registry();
    new Gauge({ name: 'batch_test_unknown', help: 'a gauge whose value is unknown', registers: [registry] }).set(Number.NaN);
    new Gauge({ name: 'batch_test_known', help: 'a gauge with a value', registers: [registry] }).set(3);
    const text = await prometheusText(registry);
    expect(text).toMatch(/^batch_test_unknown NaN$/m);
    expect(text).toMatch(/^batch_test_known 3$/m);
    expect(text).not.toMatch(/ Nan$/m);
    if (promtool) {
      const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    }
  });
});
