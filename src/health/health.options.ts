/** Options of {@link HealthModule}. */
export interface HealthModuleOptions {
  /**
   * Dependencies the app needs to take traffic, by name: each resolves when its dependency answers and rejects (or
   * times out) when it does not; any one failing turns `/health/ready` red. E.g. `{ store: () => calls.ping() }`.
   */
  readiness?: Readonly<Record<string, () => Promise<unknown>>>;
  /** How long one readiness check may take before it counts as down (ms). Default 2000. */
  readinessTimeoutMs?: number;
}
