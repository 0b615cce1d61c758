/**
 * Registration with Eureka (9.10) over its REST API, on `fetch` (eureka-js-client pulls
 * the deprecated `request`). Register (POST), renew the lease (PUT) every heartbeat
 * interval, register again when Eureka answers 404 to a renewal (it restarted or evicted
 * us), deregister (DELETE) on shutdown. Eureka being unreachable is a background problem:
 * logged, retried with exponential backoff, never fatal to the service.
 */
import type { Logger } from 'pino';

export const EUREKA_APP_NAME = 'BATCH-SERVICE';

export interface EurekaInstance {
  readonly hostName: string;
  readonly ipAddr: string;
  readonly port: number;
}

export interface EurekaOptions {
  /** Spring's defaultZone, e.g. http://eureka:8761/eureka/ */
  readonly serviceUrl: string;
  readonly heartbeatIntervalMs: number;
  readonly logger: Logger;
  /** First retry delay after a failed registration; doubles up to maxRetryDelayMs. */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  readonly requestTimeoutMs?: number;
}

export class EurekaClient {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failures = 0;
  private instance: EurekaInstance | undefined;
  private running = false;
  private registered = false;

  constructor(private readonly options: EurekaOptions) {}

  /** Starts registering in the background; returns at once whether Eureka answers or not. */
  start(instance: EurekaInstance): void {
    this.instance = instance;
    this.running = true;
    this.schedule(0, () => this.register());
  }

  /** Stops the heartbeats and removes the instance from Eureka (best effort, bounded by the request timeout). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    // A registration on its way may still succeed: wait for it, so it is undone too.
    await this.inFlight;
    if (!this.registered) return;
    this.registered = false;
    try {
      const response = await this.request('DELETE', this.instancePath());
      this.options.logger.info({ status: response.status }, `deregistered ${this.instanceId()} from Eureka`);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'Eureka deregistration failed; the lease expires on its own');
    }
  }

  /** Spring Cloud's default instance id: host:application:port. */
  instanceId(): string {
    const instance = this.requireInstance();
    return `${instance.hostName}:${EUREKA_APP_NAME.toLowerCase()}:${instance.port}`;
  }

  private async register(): Promise<void> {
    try {
      const response = await this.request('POST', `apps/${EUREKA_APP_NAME}`, { instance: this.document() });
      if (response.status !== 204 && response.status !== 200) throw new Error(`Eureka answered ${response.status} to the registration`);
      this.failures = 0;
      this.registered = true;
      this.options.logger.info({ instanceId: this.instanceId() }, `registered with Eureka as ${EUREKA_APP_NAME}`);
      this.schedule(this.options.heartbeatIntervalMs, () => this.renew());
    } catch (error) {
      this.retry('registration', error, () => this.register());
    }
  }

  private async renew(): Promise<void> {
    try {
      const response = await this.request('PUT', this.instancePath());
      if (response.status === 404) {
        this.options.logger.warn(`Eureka does not know ${this.instanceId()} any more; registering again`);
        this.registered = false;
        return this.schedule(0, () => this.register());
      }
      if (response.status !== 200) throw new Error(`Eureka answered ${response.status} to the heartbeat`);
      this.failures = 0;
      this.schedule(this.options.heartbeatIntervalMs, () => this.renew());
    } catch (error) {
      this.retry('heartbeat', error, () => this.renew());
    }
  }

  private retry(what: string, error: unknown, again: () => Promise<void>): void {
    if (!this.running) return;
    this.failures++;
    const base = this.options.retryDelayMs ?? 1_000;
    const max = this.options.maxRetryDelayMs ?? this.options.heartbeatIntervalMs;
    const delay = Math.min(max, base * 2 ** (this.failures - 1));
    // Jitter keeps replicas that lost Eureka together from coming back in lockstep.
    const jittered = Math.round(delay * (0.5 + Math.random() / 2));
    this.options.logger.warn({ err: error, attempt: this.failures, retryInMs: jittered }, `Eureka ${what} failed; retrying`);
    this.schedule(jittered, again);
  }

  private schedule(delayMs: number, work: () => Promise<void>): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    // unref: registration must never be what keeps the process alive.
    this.timer = setTimeout(() => {
      this.inFlight = work();
    }, delayMs).unref();
  }

  private request(method: string, relative: string, body?: unknown): Promise<Response> {
    const base = this.options.serviceUrl.endsWith('/') ? this.options.serviceUrl : `${this.options.serviceUrl}/`;
    return fetch(new URL(relative, base), {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 5_000),
    });
  }

  private instancePath(): string {
    return `apps/${EUREKA_APP_NAME}/${encodeURIComponent(this.instanceId())}`;
  }

  private requireInstance(): EurekaInstance {
    if (!this.instance) throw new Error('EurekaClient.start() was not called');
    return this.instance;
  }

  /** The instance document Spring Cloud clients register (Eureka's JSON codec). */
  private document() {
    const { hostName, ipAddr, port } = this.requireInstance();
    const home = `http://${hostName}:${port}/`;
    const renewalSeconds = Math.max(1, Math.round(this.options.heartbeatIntervalMs / 1000));
    return {
      instanceId: this.instanceId(),
      hostName,
      app: EUREKA_APP_NAME,
      ipAddr,
      vipAddress: EUREKA_APP_NAME.toLowerCase(),
      secureVipAddress: EUREKA_APP_NAME.toLowerCase(),
      status: 'UP',
      port: { $: port, '@enabled': 'true' },
      securePort: { $: 443, '@enabled': 'false' },
      homePageUrl: home,
      statusPageUrl: `${home}actuator/info`,
      healthCheckUrl: `${home}actuator/health`,
      dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
      // Eureka evicts an instance silent for 3 renewal intervals, as Spring's defaults (30 s / 90 s).
      leaseInfo: { renewalIntervalInSecs: renewalSeconds, durationInSecs: renewalSeconds * 3 },
      metadata: { 'management.port': String(port) },
    };
  }
}
