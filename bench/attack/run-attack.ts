// Runs one attack and times it; a thrown error is a failed attack, not a crashed suite.
import type { Attack, AttackContext, AttackResult } from './harness.js';

export async function runAttack(a: Attack, ctx: AttackContext): Promise<AttackResult> {
  const t0 = performance.now();
  try {
    const r = await a.run(ctx);
    return { name: a.name, passed: r.failures.length === 0, metrics: r.metrics, failures: r.failures, elapsedMs: Math.round(performance.now() - t0) };
  } catch (err) {
    return { name: a.name, passed: false, metrics: {}, failures: [`threw: ${(err as Error).stack ?? String(err)}`], elapsedMs: Math.round(performance.now() - t0) };
  }
}
