/**
 * The calculator's readiness check, as Heat's WaitCondition gives a stack: `pulumi up` succeeds
 * only once the front end, through its floating IP, has computed an expression that calls every
 * service (so Net1's host route to Net2, RT2 and the services' security group are all on the
 * path). Run by the FrontendReadiness dynamic provider in Pulumi's provider process, i.e. on the
 * machine running `pulumi up`.
 */

export interface ReadinessInputs {
  /** http://<floating IP>:<port> */
  url: string;
  expression: string;
  expected: number;
  timeoutSeconds: number;
  /** Instance IDs keyed by role: a replaced server is a new deployment to check. */
  servers: Record<string, string>;
  /** Said after a failure: what this layout may need from the cloud (not a reason to re-check). */
  hint?: string;
}

export interface ReadinessOutputs extends ReadinessInputs {
  /** Seconds from the check's start to the first right answer. */
  waitedSeconds: number;
  /** What the outputs say, e.g. "answered: (4+5)*3-10/2 = 22 after 143 s". */
  report: string;
}

export interface ReadinessOptions {
  /** Pause between attempts (default 5000 ms). */
  pollMs?: number;
  /** Deadline of one HTTP request (default 10000 ms; a service call is 3 s by default). */
  requestTimeoutMs?: number;
  log?: (message: string) => void;
}

/** One attempt: undefined when the front end computed the expected result, else what went wrong. */
export async function readinessAttempt(inputs: ReadinessInputs, requestTimeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(`${inputs.url}/calculate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ expression: inputs.expression }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 300)}`;
    const result = (JSON.parse(text) as { result?: unknown }).result;
    return result === inputs.expected ? undefined : `answered ${JSON.stringify(result)}, not ${inputs.expected}`;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    return err.cause?.code ?? err.cause?.message ?? `${err.name}: ${err.message}`;
  }
}

/** Polls until the front end answers right; throws after timeoutSeconds with the last failure. */
export async function waitForFrontend(inputs: ReadinessInputs, opts: ReadinessOptions = {}): Promise<ReadinessOutputs> {
  const pollMs = opts.pollMs ?? 5000;
  const started = Date.now();
  const deadline = started + inputs.timeoutSeconds * 1000;
  let attempts = 0;
  for (;;) {
    attempts++;
    const failure = await readinessAttempt(inputs, opts.requestTimeoutMs ?? 10_000);
    const waitedSeconds = Math.round((Date.now() - started) / 1000);
    if (failure === undefined) {
      return {
        ...inputs,
        waitedSeconds,
        report: `answered: ${inputs.expression} = ${inputs.expected} after ${waitedSeconds} s`,
      };
    }
    opts.log?.(`attempt ${attempts} (${waitedSeconds} s): ${failure}`);
    if (Date.now() + pollMs > deadline) {
      throw new Error(
        `the calculator's front end at ${inputs.url} did not compute ${inputs.expression} = ${inputs.expected} within ` +
          `${inputs.timeoutSeconds} s (${attempts} attempts; last: ${failure}). Look at the servers' console logs ` +
          `(cloud-init, calculator-*.service). The check runs where \`pulumi up\` runs, which must be inside ` +
          `clientCidr; raise frontendReadinessTimeoutSeconds for slow boots, or set it to 0 to skip the check.` +
          (inputs.hint ? ` ${inputs.hint}` : ""),
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
