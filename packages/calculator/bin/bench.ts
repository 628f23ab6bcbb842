// npm run -w packages/calculator bench:calculator — starts the five bundles on loopback and
// measures expressions per second and latency through the front end, and each process's RSS.
// Prints one JSON object. Options: --requests N (default 2000), --concurrency C (default 8).
import * as fs from "node:fs";
import { bundlePath, CalculatorRole } from "../src/bundles";
import { OPERATION_NAMES } from "../src/operations";
import { postJson, RunningServer, startServer } from "../test/support/processes";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const requests = flag("requests", 2000);
  const concurrency = flag("concurrency", 8);
  const expression = "(4+5)*3-10/2"; // 4 service calls
  const servers: RunningServer[] = [];
  const start = (role: CalculatorRole, extra: string[] = []) =>
    startServer(role, [process.execPath, bundlePath(role), "--host", "127.0.0.1", "--port", "0", ...extra]);
  try {
    for (const name of OPERATION_NAMES) servers.push(await start(name));
    const frontend = await start(
      "frontend",
      OPERATION_NAMES.flatMap((n, i) => [`--${n}-url`, servers[i].url]),
    );
    servers.push(frontend);
    const latencies: number[] = [];
    let next = 0;
    const began = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          next++;
          const t = process.hrtime.bigint();
          const answer = await postJson(`${frontend.url}/calculate`, { expression });
          if (answer.json?.result !== 22) throw new Error(`wrong answer: ${answer.body}`);
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      Number(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2));
    console.log(
      JSON.stringify({
        expression,
        serviceCallsPerExpression: 4,
        requests,
        concurrency,
        expressionsPerSecond: Math.round(requests / seconds),
        latencyMs: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: pct(1) },
        rssKiB: Object.fromEntries(servers.map((s) => [s.label, rssKiB(s.child.pid!)])),
        bundleBytes: Object.fromEntries(
          (["frontend", ...OPERATION_NAMES] as CalculatorRole[]).map((r) => [r, fs.statSync(bundlePath(r)).size]),
        ),
      }),
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
