/**
 * npm run bench:guests — real guests on minicloud's guests profile (`sudo npx minicloud up --guests`),
 * through the Nova and Neutron APIs, one JSON line per guest:
 *   create call, create → ACTIVE, create → ssh login over the floating IP, create → cloud-init
 *   done (seconds), and the guest's QEMU resident memory once cloud-init is done (MiB),
 * next to the limits the end-to-end test's CI budget allows (LIMITS below).
 * Guests boot one after another (2 cores; QEMU TCG). BENCH_FLAVORS (default "m1.small,m1.medium":
 * 1 and 2 vCPUs) picks the flavors, BENCH_ROUNDS (default 1) repeats each. Run as root under the
 * exclusive minicloud lock: `flock /tmp/minicloud.lock npm run bench:guests`.
 */
import { GuestLab, guestsUnavailable } from "../packages/minicloud/test/guest-scenario";

/** What the e2e test may take on CI's 2 busy cores before it is too slow to keep in the suite. */
const LIMITS = { activeS: 120, sshS: 300, cloudInitS: 360, qemuRssMiB: 1536 };

const round1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<number> {
  const why = await guestsUnavailable();
  if (why) {
    console.error(`bench:guests: ${why}`);
    return 2;
  }
  const flavors = (process.env.BENCH_FLAVORS ?? "m1.small,m1.medium").split(",").filter(Boolean);
  const rounds = Number(process.env.BENCH_ROUNDS ?? "1");
  const lab = await GuestLab.create();
  let failed = false;
  try {
    await lab.network();
    for (const flavor of flavors) {
      for (let round = 1; round <= rounds; round++) {
        const t0 = Date.now();
        const since = () => round1((Date.now() - t0) / 1000);
        const id = await lab.boot(`bench-${flavor.replace(/\W/g, "")}-${round}`, { flavor });
        const createCallS = since();
        const sv = await lab.waitActive(id);
        const activeS = since();
        const fip = await lab.floatingIp(id);
        await lab.waitSsh(id, fip);
        const sshS = since();
        const status = await lab.waitCloudInit(fip);
        const cloudInitS = since();
        const qemuRssMiB = await lab.qemuRssMiB(id);
        const figures = { activeS, sshS, cloudInitS, qemuRssMiB: qemuRssMiB ?? Infinity };
        const within = Object.entries(LIMITS).every(([k, limit]) => figures[k as keyof typeof figures] <= limit);
        failed ||= !within || !/^status: done$/m.test(status);
        console.log(
          JSON.stringify({
            bench: "guests",
            flavor,
            vcpus: sv.flavor?.vcpus,
            round,
            createCallS,
            activeS,
            sshS,
            cloudInitS,
            cloudInit: /^status: (\w+)/m.exec(status)?.[1],
            qemuRssMiB,
            limits: LIMITS,
            withinLimits: within,
          }),
        );
        await lab.removeServer(id);
      }
    }
  } finally {
    const problems = await lab.cleanup();
    if (problems.length) {
      console.error(`bench:guests: cleanup left things behind:\n${problems.join("\n")}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench:guests: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
