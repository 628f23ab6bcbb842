/**
 * Declaring many child resources without the Pulumi Node SDK's per-promise stack traces.
 *
 * Why: for every output property of every resource the SDK creates four promises and records
 * `new Error().stack` on each (runtime/debuggable.js), only to print them if the program exits
 * with promises still pending and PULUMI_DEBUG_PROMISE_LEAKS is set. An openstack Instance has
 * about forty outputs: ~160 formatted stack traces per server, more than half the time a large
 * desktop pool spends in the program (and several times more under ts-node, which source-maps
 * every trace). Measured with `npm run bench:pool` (docs/desktop.md has the figures).
 *
 * What: while `declare` runs, Error.stackTraceLimit is 0, so those captures are empty and cheap.
 * The change is synchronous and undone in `finally`; the SDK attaches its trace-carrying
 * promises synchronously in the resource constructor (prepareResource says it must not await
 * before that point), so nothing else runs in between. Kept as they are:
 *  - resource source positions: the SDK's `Resource.callsites()` raises the limit itself;
 *  - errors: our validation runs before this, and resource failures carry the provider's message;
 *  - debugging: with PULUMI_DEBUG_PROMISE_LEAKS set (the one time those traces are read), or
 *    BLUEPRINTS_FULL_STACK_TRACES=1, nothing is changed.
 */
export function declareWithoutPromiseStackTraces<T>(declare: () => T): T {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS || process.env.BLUEPRINTS_FULL_STACK_TRACES === "1") return declare();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return declare();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
