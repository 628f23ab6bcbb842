/**
 * npm run bench:desktop-ready — seconds from a desktop guest's boot to the employee's RDP session,
 * for the two ways ThinClientDesktopPool can deliver a desktop, on this machine, as JSON:
 * - "full": a plain cloud-guest root with the full desktop user data; cloud-init installs xrdp,
 *   xorgxrdp and xfce4 from Debian's mirror (through the lab's apt proxy) and configures them;
 * - "baked": the root XrdpDesktopImage's bake produced (baked once here, in a guest, from the same
 *   mirror; its time is reported as bakeSeconds), with only the per-employee user data.
 * Both are real systemd-booted Debian guests (systemd-nspawn) and a real xfreerdp client; the
 * session counts as started when xrdp-sesman logs "Session started successfully" for the user.
 * Not measured: a hypervisor's boot (no KVM here) and Nova/Glance (snapshot, image download).
 * Needs root and the test-host tools (see test/hosts/README.md). Target: baked ≥ 5× faster.
 * BENCH_ROUNDS (default 1) repeats each path; the median is reported.
 */
import * as os from "node:os";
import * as path from "node:path";
import { buildRootfs, CLOUD_GUEST_PACKAGES, removeRootfs, Rootfs, TestLab } from "../test/hosts";
import { bakeInGuest, bootToRdpSession, employeeDesktop, SessionOutcome, stopProcess } from "../packages/components/test/desktop-image/desktop-ready";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? "1");
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS "${process.env.BENCH_ROUNDS}" must be a whole number ≥ 1`);
  const artifactsDir = path.resolve(__dirname, "../artifacts/bench-desktop-ready");
  const lab = await TestLab.create({ prefix: "ibb", subnet: "10.204.0.0/16" });
  let image: Rootfs | undefined;
  const sessions: SessionOutcome[] = [];
  try {
    const base = await buildRootfs({ name: "cloud-guest", packages: CLOUD_GUEST_PACKAGES });
    const mirrored = await lab.network({ aptProxy: true });
    const isolated = await lab.network();
    const bake = await bakeInGuest(lab, base, mirrored, () => lab.aptProxyRequests());
    if (bake.errors.length || bake.markerState.state !== "done") throw new Error(`the bake failed: ${bake.detail}\n${bake.consoleTail}`);
    image = bake.image;
    const baked = await employeeDesktop(true);
    const full = await employeeDesktop(false);
    const times = { baked: [] as number[], full: [] as number[] };
    let display = 210;
    for (let round = 0; round < rounds; round++) {
      for (const kind of ["baked", "full"] as const) {
        const session = await bootToRdpSession(lab, {
          name: `ibb${kind}${round}`, hostname: `ibb-${kind}-${round}`, rootfs: kind === "baked" ? image : base,
          network: kind === "baked" ? isolated : mirrored, desktop: kind === "baked" ? baked : full,
          display: `:${display++}`, artifactsDir,
        });
        sessions.push(session);
        if (session.cloudInitErrors.length) throw new Error(`${kind}: cloud-init errors: ${session.cloudInitDetail}`);
        times[kind].push(session.seconds);
        stopProcess(session.client);
        stopProcess(session.xvfb);
        await session.guest.stop();
      }
    }
    const bakedSeconds = median(times.baked);
    const fullSeconds = median(times.full);
    console.log(JSON.stringify({
      bench: "desktop-ready",
      machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
      rounds,
      bakeSeconds: round1(bake.seconds),
      bakedSeconds: round1(bakedSeconds),
      fullSeconds: round1(fullSeconds),
      speedup: round1(fullSeconds / bakedSeconds),
      target: 5,
      met: fullSeconds / bakedSeconds >= 5,
      samples: { baked: times.baked.map(round1), full: times.full.map(round1) },
      measured: "guest boot start → xrdp-sesman 'Session started successfully' for the employee (systemd-nspawn guests, real cloud-init, real xfreerdp)",
      notMeasured: "hypervisor boot (no KVM), Nova/Glance snapshot and image download",
    }));
  } finally {
    for (const s of sessions) {
      stopProcess(s.client);
      stopProcess(s.xvfb);
    }
    await lab.cleanup();
    if (image) await removeRootfs(image).catch(() => undefined);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
