// Waiting on conditions in real-UDP tests. A bound on a wait exists only so that a hang fails
// instead of stalling the suite: keep it generous (tens of seconds), never a speed claim.
export async function waitFor(cond: () => boolean, limitMs: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${limitMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
