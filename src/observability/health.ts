/**
 * Health (8.5) in Spring Boot Actuator's shape: a list of named indicators, one component
 * each; UP only when every component is. The app starts with its own indicators and
 * others register theirs (the mail module replaces the configuration-based mail check
 * with its transport's own, for example). An indicator that throws or does not answer
 * within the timeout is DOWN; a health check never takes the process down.
 */
export type HealthStatus = 'UP' | 'DOWN' | 'OUT_OF_SERVICE';

export interface ComponentHealth {
  readonly status: 'UP' | 'DOWN';
  readonly details: Readonly<Record<string, unknown>>;
}

export interface Health {
  readonly status: HealthStatus;
  readonly components: Readonly<Record<string, ComponentHealth>>;
}

export interface HealthIndicator {
  /** The component's name in the health document (`batchDb`, `diskSpace`, `mail`, …). */
  readonly name: string;
  /** Whether the service can take work without it (readiness probe). */
  readonly requiredForReadiness?: boolean;
  check(): Promise<ComponentHealth>;
}

export class HealthRegistry {
  private readonly indicators = new Map<string, HealthIndicator>();
  private shuttingDown = false;

  constructor(indicators: readonly HealthIndicator[], private readonly timeoutMs: number) {
    for (const indicator of indicators) this.register(indicator);
  }

  /** Adds an indicator, or replaces the one of the same name. */
  register(indicator: HealthIndicator): void {
    this.indicators.set(indicator.name, indicator);
  }

  names(): readonly string[] {
    return [...this.indicators.keys()];
  }

  async check(): Promise<Health> {
    return this.aggregate([...this.indicators.values()]);
  }

  /** The components among `names` that are DOWN now, each with its details (others are not checked). */
  async downAmong(names: readonly string[]): Promise<readonly { readonly name: string; readonly details: ComponentHealth['details'] }[]> {
    const health = await this.aggregate([...this.indicators.values()].filter((i) => names.includes(i.name)));
    return Object.entries(health.components)
      .filter(([, c]) => c.status !== 'UP')
      .map(([name, c]) => ({ name, details: c.details }));
  }

  /** Ready for work: the indicators it needs are UP and the process is not shutting down. */
  async readiness(): Promise<Health> {
    const health = await this.aggregate([...this.indicators.values()].filter((i) => i.requiredForReadiness));
    return this.shuttingDown ? { ...health, status: 'OUT_OF_SERVICE' } : health;
  }

  /** From now on readiness answers OUT_OF_SERVICE, so load balancers stop sending requests. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  private async aggregate(indicators: readonly HealthIndicator[]): Promise<Health> {
    const entries = await Promise.all(indicators.map(async (i) => [i.name, await this.checkOne(i)] as const));
    const status = entries.every(([, c]) => c.status === 'UP') ? 'UP' : 'DOWN';
    return { status, components: Object.fromEntries(entries) };
  }

  private async checkOne(indicator: HealthIndicator): Promise<ComponentHealth> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        indicator.check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } catch (error) {
      return { status: 'DOWN', details: { error: error instanceof Error ? error.message : String(error) } };
    } finally {
      clearTimeout(timer);
    }
  }
}
