/** Running totals for the summary `telltale run` prints at exit. */
import type { RequestFinding } from '../core/request-inspection/inspect.js';

export class GuardStats {
  requests = 0;
  blocked = 0;
  readonly findings = new Map<string, number>();
  readonly actions = new Map<string, number>();
  /** host:port → attempts refused by the egress policy. */
  readonly deniedHosts = new Map<string, number>();
  readonly allowedHosts = new Map<string, number>();

  record(findings: readonly RequestFinding[], blocked: boolean): void {
    if (blocked) this.blocked++;
    for (const f of findings) {
      this.findings.set(f.type, (this.findings.get(f.type) ?? 0) + 1);
      this.actions.set(f.action, (this.actions.get(f.action) ?? 0) + 1);
    }
  }

  egress(target: string, allowed: boolean): void {
    const map = allowed ? this.allowedHosts : this.deniedHosts;
    map.set(target, (map.get(target) ?? 0) + 1);
  }
}
