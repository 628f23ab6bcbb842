// What a test does when the real system it needs (root, a tool, minicloud, the engine, real
// guests) is not on this machine: one rule for the whole suite, so no test can skip silently.
// Imported from its own path (`@openstack-blueprints/test-harness/src/real-system`) so tests of
// packages that never load Pulumi's mocks (minicloud, portal, s2d) do not pay for them.

/**
 * True when the suite runs as CI: `.ci/run` sets BLUEPRINTS_CI=1, and most CI systems set
 * CI=true. Either one means everything the tests need was installed, so nothing may skip.
 */
export function runningInCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.BLUEPRINTS_CI === "1" || env.CI === "true";
}

/** Thrown under CI instead of skipping: the reason says what is missing and how to get it. */
export class RealSystemUnavailableError extends Error {
  constructor(why: string) {
    super(`CI, but this test cannot run: ${why}`);
    this.name = "RealSystemUnavailableError";
  }
}

/**
 * Call where a test finds that what it needs is missing. Under CI it fails with `why`; elsewhere
 * it prints `why` (so a developer sees what did not run and how to run it) and skips the test or,
 * from a before(), the whole suite. `why` should name what is missing and the fix
 * ("xmllint is not installed (apt-get install libxml2-utils)").
 */
export function unavailableHere(ctx: Mocha.Context, why: string, env: NodeJS.ProcessEnv = process.env): never {
  if (runningInCI(env)) throw new RealSystemUnavailableError(why);
  console.log(`    skipped: ${why}`);
  ctx.skip();
  // Mocha's skip() throws its own Pending marker; reaching here would mean it did not.
  throw new Error(`mocha's skip() returned instead of ending the test (skipping: ${why})`);
}
