/** Polls until a predicate holds, with a deadline and a clear timeout message. */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  fail: (value: T) => string | undefined,
  opts: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  let interval = opts.intervalMs ?? 500;
  for (;;) {
    if (opts.signal?.aborted) throw new Error(`${what}: aborted`);
    const value = await probe();
    const failure = fail(value);
    if (failure) throw new Error(`${what}: ${failure}`);
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${opts.timeoutMs ?? 600_000} ms`);
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(interval * 1.5, 5000);
  }
}
