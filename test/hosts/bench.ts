/**
 * `npm run bench:testhosts`: prints JSON lines with the costs of the test-host library on this
 * machine — rootfs (cold build only when the cache is empty), overlay vs copy for a guest root,
 * guest boot and SSH readiness (one guest, then four started in parallel), a cloud-init guest,
 * stop, capture and cleanup. Needs root.
 */
import { TestLab, nocloudMetaData } from "./lab";
import { run } from "./process";
import { CLOUD_GUEST_PACKAGES, buildRootfs, removeRootfs } from "./rootfs";

const print = (figures: Record<string, unknown>) => console.log(JSON.stringify(figures));
const seconds = (since: number) => Number(((Date.now() - since) / 1000).toFixed(3));

async function main(): Promise<void> {
  let t = Date.now();
  const rootfs = await buildRootfs({ name: "th-selftest", packages: CLOUD_GUEST_PACKAGES });
  print({ figure: "rootfs", key: rootfs.key, fromCache: rootfs.buildSeconds === 0, seconds: seconds(t) });

  t = Date.now();
  await run(["cp", "-a", "--reflink=auto", rootfs.dir, "/var/tmp/th-bench-copy"]);
  const copySeconds = seconds(t);
  await run(["rm", "-rf", "/var/tmp/th-bench-copy"]);
  const size = (await run(["du", "-sm", rootfs.dir])).stdout.split("\t")[0];
  print({
    figure: "guest-root-copy",
    megabytes: Number(size),
    seconds: copySeconds,
    note: "what a guest root costs without overlayfs",
  });

  const lab = await TestLab.create({ prefix: "th", subnet: "10.200.0.0/16" });
  try {
    const net = await lab.network();
    t = Date.now();
    const one = await lab.startGuest({ name: "one", rootfs, network: net });
    print({ figure: "guest-start", total: seconds(t), ...lab.timings.get("one") });

    t = Date.now();
    const names = ["p1", "p2", "p3", "p4"];
    await Promise.all(names.map((name) => lab.startGuest({ name, rootfs, network: net })));
    print({
      figure: "guest-start-4-parallel",
      total: seconds(t),
      each: Object.fromEntries(names.map((n) => [n, lab.timings.get(n)])),
    });

    t = Date.now();
    const ci = await lab.startGuest({
      name: "ci",
      rootfs,
      network: net,
      nocloud: {
        userData: "#cloud-config\nwrite_files:\n  - path: /etc/bench\n    content: x\n",
        metaData: nocloudMetaData("bench-ci", "ci"),
      },
    });
    const startSeconds = seconds(t);
    const result = await ci.waitForCloudInit();
    print({ figure: "cloud-init-guest", startSeconds, cloudInitDoneAfter: seconds(t), status: result.status });

    t = Date.now();
    await ci.stop();
    const stopSeconds = seconds(t);
    t = Date.now();
    const image = await lab.captureRootfs(ci, { name: "bench", cloudInitClean: true });
    print({ figure: "stop-and-capture", stopSeconds, captureSeconds: seconds(t) });
    await removeRootfs(image);

    t = Date.now();
    await one.cleanup();
    print({ figure: "guest-cleanup", seconds: seconds(t) });
  } finally {
    t = Date.now();
    await lab.cleanup();
    print({ figure: "lab-cleanup", seconds: seconds(t) });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
