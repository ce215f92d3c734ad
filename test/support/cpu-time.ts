// CPU time of this process, for work budgets in tests. Unlike the wall clock it does not grow
// while the process waits for a core, so "this must take under N ms" means the same on an idle
// machine and on one loaded by other jobs (the budget still catches a superlinear blow-up).
// process.cpuUsage() counts every thread of the process (GC helpers included); the work timed
// here is synchronous on the main thread, so that is close to its own cost.
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
