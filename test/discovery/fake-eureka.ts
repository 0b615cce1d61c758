/**
 * A loopback HTTP server speaking the part of Eureka's REST API a client uses: register
 * (POST /eureka/apps/APP → 204), renew (PUT …/APP/ID → 200, 404 when unknown), cancel
 * (DELETE …/APP/ID → 200). `forget` plays an Eureka restart; `failNext` an outage.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EurekaRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body?: { instance?: Record<string, unknown> };
}

export interface FakeEureka {
  readonly url: string;
  readonly requests: EurekaRequest[];
  /** Resolves when a request matching the predicate has been answered. */
  waitFor(predicate: (r: EurekaRequest) => boolean, timeoutMs?: number): Promise<EurekaRequest>;
  forget(): void;
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startFakeEureka(): Promise<FakeEureka> {
  const known = new Set<string>();
  const requests: EurekaRequest[] = [];
  const waiters: { predicate: (r: EurekaRequest) => boolean; resolve: (r: EurekaRequest) => void }[] = [];
  let failures = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const path = req.url ?? '';
      const parts = path.split('/').filter(Boolean); // eureka, apps, APP, [ID]
      let status = 404;
      if (failures > 0) {
        failures--;
        status = 503;
      } else if (req.method === 'POST' && parts.length === 3) {
        const instance = (JSON.parse(raw) as { instance: { app: string; instanceId: string } }).instance;
        known.add(`${instance.app}/${instance.instanceId}`);
        status = 204;
      } else if ((req.method === 'PUT' || req.method === 'DELETE') && parts.length === 4) {
        const key = `${parts[2]}/${decodeURIComponent(parts[3]!)}`;
        status = known.has(key) ? 200 : 404;
        if (req.method === 'DELETE') known.delete(key);
      }
      const request: EurekaRequest = { method: req.method ?? '', path, status, ...(raw ? { body: JSON.parse(raw) as EurekaRequest['body'] } : {}) };
      requests.push(request);
      res.writeHead(status).end();
      for (const waiter of [...waiters]) {
        if (waiter.predicate(request)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(request);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/eureka/`,
    requests,
    waitFor(predicate, timeoutMs = 20_000) {
      const seen = requests.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such Eureka request within ${timeoutMs} ms; got ${JSON.stringify(requests.map((r) => `${r.method} ${r.status}`))}`)), timeoutMs);
        waiters.push({ predicate, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      });
    },
    forget: () => known.clear(),
    failNext: (count) => (failures = count),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
