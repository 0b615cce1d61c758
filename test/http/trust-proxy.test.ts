/**
 * 10.8: the audited client address is the real client's when the request came through a
 * trusted proxy (TRUST_PROXY), and never a forged X-Forwarded-For otherwise.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startApi } from './api-harness.js';

async function auditedAddress(trustProxy: string | undefined, forwardedFor: string): Promise<string | null> {
  const api = await startApi('sqlite', { env: { TRUST_PROXY: trustProxy } });
  try {
    const launched = await api.call('/api/batch/jobs/tokenCleanupJob/run', { method: 'POST', headers: { 'x-forwarded-for': forwardedFor } });
    expect(launched.status).toBe(202);
    const entry = (await api.app.audit.list(0, 20)).items.find((e) => e.action === 'JOB_RUN');
    return entry?.clientAddress ?? null;
  } finally {
    await api.close();
  }
}

describe('client address behind a proxy', () => {
  it('without TRUST_PROXY, a forged X-Forwarded-For is ignored: the TCP peer is recorded', async () => {
    expect(await auditedAddress(undefined, '203.0.113.7')).toBe('127.0.0.1');
  });

  it('with the peer trusted (by address, CIDR, name or hop count), the client it names is recorded', async () => {
    for (const trust of ['127.0.0.1', '127.0.0.0/8', 'loopback', '1']) {
      expect(await auditedAddress(trust, '203.0.113.7'), trust).toBe('203.0.113.7');
    }
    // Through two proxies, only the trusted one is believed: the address it received from is the client.
    expect(await auditedAddress('127.0.0.1', '198.51.100.9, 203.0.113.7')).toBe('203.0.113.7');
  });

  it('with other proxies trusted, the peer is not one of them: the forged header is ignored', async () => {
    expect(await auditedAddress('10.0.0.0/8', '203.0.113.7')).toBe('127.0.0.1');
  });

  it('refuses a TRUST_PROXY it cannot read, naming it', () => {
    for (const value of ['10.0.0.0/40', 'gateway.local', '1.2.3', ',']) {
      expect(() => loadConfig({ DATA_DIR: '/tmp/x', TRUST_PROXY: value }), value).toThrow(ConfigError);
    }
    try {
      loadConfig({ DATA_DIR: '/tmp/x', TRUST_PROXY: 'gateway.local' });
    } catch (error) {
      expect((error as Error).message).toMatch(/TRUST_PROXY="gateway.local": expected a hop count or addresses\/CIDRs/);
    }
  });
});
