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
 * Two desktops are measured, one JSON line each: the component's default (recommended packages
 * installed) and the minimal one the two-stage test uses (no recommends).
 * BENCH_ROUNDS (default 1) repeats each path; the median is reported.
 */
import * as os from "node:os";
import * as path from "node:path";
import { buildRootfs, CLOUD_GUEST_PACKAGES, removeRootfs, Rootfs, TestLab } from "../test/hosts";
import {
  bakeInGuest,
  bootToRdpSession,
  desktopBakePlan,
  employeeDesktop,
  MINIMAL_STACK,
  SessionOutcome,
  StackChoice,
  stopProcess,
} from "../packages/components/test/desktop-image/desktop-ready";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x: number) => Math.round(x * 10) / 10;

/** The component's default desktop (recommended packages on) and the minimal one the test uses. */
const CONFIGS: { name: string; stack: StackChoice }[] = [
  { name: "default", stack: {} },
  { name: "minimal", stack: MINIMAL_STACK },
];

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? "1");
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`BENCH_ROUNDS "${process.env.BENCH_ROUNDS}" must be a whole number ≥ 1`);
  const artifactsDir = path.resolve(__dirname, "../artifacts/bench-desktop-ready");
  const lab = await TestLab.create({ prefix: "ibb", subnet: "10.204.0.0/16" });
  const images: Rootfs[] = [];
  const sessions: SessionOutcome[] = [];
  try {
    const base = await buildRootfs({ name: "cloud-guest", packages: CLOUD_GUEST_PACKAGES });
    const mirrored = await lab.network({ aptProxy: true });
    const isolated = await lab.network();
    let display = 210;
    for (const config of CONFIGS) {
      const bake = await bakeInGuest(
        lab,
        base,
        mirrored,
        () => lab.aptProxyRequests(),
        desktopBakePlan(config.stack),
        `ibb${config.name}`,
      );
      if (bake.errors.length || bake.markerState.state !== "done")
        throw new Error(`the ${config.name} bake failed: ${bake.detail}\n${bake.consoleTail}`);
      images.push(bake.image);
      const desktops = {
        baked: await employeeDesktop(true, config.stack),
        full: await employeeDesktop(false, config.stack),
      };
      const times = { baked: [] as number[], full: [] as number[] };
      const ready = { baked: [] as number[], full: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        for (const kind of ["baked", "full"] as const) {
          const session = await bootToRdpSession(lab, {
            name: `ibb${config.name}${kind}${round}`,
            hostname: `ibb-${config.name}-${kind}-${round}`,
            rootfs: kind === "baked" ? bake.image : base,
            network: kind === "baked" ? isolated : mirrored,
            desktop: desktops[kind],
            display: `:${display++}`,
            artifactsDir,
          });
          sessions.push(session);
          if (session.cloudInitErrors.length)
            throw new Error(`${config.name} ${kind}: cloud-init errors: ${session.cloudInitDetail}`);
          times[kind].push(session.seconds);
          ready[kind].push(session.readySeconds);
          stopProcess(session.client);
          stopProcess(session.xvfb);
          await session.guest.stop();
        }
      }
      const bakedSeconds = median(times.baked);
      const fullSeconds = median(times.full);
      console.log(
        JSON.stringify({
          bench: "desktop-ready",
          desktop: config.name,
          installRecommends: config.stack.installRecommends ?? true,
          machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
          rounds,
          bakeSeconds: round1(bake.seconds),
          bakedSeconds: round1(bakedSeconds),
          fullSeconds: round1(fullSeconds),
          speedup: round1(fullSeconds / bakedSeconds),
          target: 5,
          met: fullSeconds / bakedSeconds >= 5,
          samples: { baked: times.baked.map(round1), full: times.full.map(round1) },
          // Of which: boot start → cloud-init finished, user present, xrdp listening (then the client connects).
          readySamples: { baked: ready.baked.map(round1), full: ready.full.map(round1) },
          measured:
            "guest boot start → xrdp-sesman 'Session started successfully' for the employee; the client connects once cloud-init has finished and xrdp listens (systemd-nspawn guests, real cloud-init, packages from Debian's mirror, real xfreerdp)",
          notMeasured: "hypervisor boot (no KVM), Nova/Glance snapshot and image download",
        }),
      );
    }
  } finally {
    for (const s of sessions) {
      stopProcess(s.client);
      stopProcess(s.xvfb);
    }
    await lab.cleanup();
    for (const image of images) await removeRootfs(image).catch(() => undefined);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
