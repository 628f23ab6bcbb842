/**
 * npm run bench:pool — builds ThinClientDesktopPool programs of 48, 200 and 1000 desktops under
 * the mock harness (test/harness/pulumi-mocks.ts) and prints one JSON line per size: resources
 * registered and milliseconds of program time (construction until every registration settled).
 * `hashMs` is the part spent computing SHA-512 crypt hashes (5000 rounds each, by design slow).
 * What this measures: the component and the Pulumi SDK's registration path, not a real engine.
 * The SDK captures a stack trace for every output promise and every resource; under ts-node (how
 * Pulumi runs TypeScript programs) each capture is source-mapped, which dominates the time.
 * BENCH_SOURCE_MAPS=0 turns that mapping off to show the cost without it (field "sourceMaps").
 */
import { defaultExistingCloud, ExistingCloud, installMocks } from "../test/harness/pulumi-mocks";
import { ThinClientDesktopPool } from "../packages/components/src/desktop/thin-client-desktop-pool";
import * as crypt from "../packages/components/src/desktop/sha512-crypt";

async function main(): Promise<void> {
  const sourceMaps = process.env.BENCH_SOURCE_MAPS !== "0";
  if (!sourceMaps) delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  const harness = installMocks();
  const sizes = (process.env.BENCH_SIZES ?? "48,200,1000").split(",").map(Number);
  // Count time spent hashing by wrapping the exported function the component calls.
  let hashNs = 0n;
  const original = crypt.hashPasswordForGuest;
  (crypt as { hashPasswordForGuest: typeof original }).hashPasswordForGuest = (...a) => {
    const t = process.hrtime.bigint();
    try {
      return original(...a);
    } finally {
      hashNs += process.hrtime.bigint() - t;
    }
  };
  // The default mock "public" network is a /24 (about 240 floating IPs, as Neutron would refuse more):
  // give the mock cloud a larger external block so 1000 desktops can each have a floating IP.
  const cloud: ExistingCloud = defaultExistingCloud();
  cloud.networks = cloud.networks.map((n) => n.name !== "public" ? n : {
    ...n,
    subnets: [{ id: "subnet-public", name: "public-subnet", cidr: "10.201.128.0/20", gatewayIp: "10.201.128.1", pool: { start: "10.201.128.10", end: "10.201.143.250" } }],
  });
  for (const size of sizes) {
    const employees = Array.from({ length: size }, (_, i) => ({ name: `user${String(i).padStart(4, "0")}` }));
    hashNs = 0n;
    const started = process.hrtime.bigint();
    const run = await harness.runProgram(() => new ThinClientDesktopPool("bench", {
      employees,
      flavor: "m1.desktop",
      imageName: "debian-12",
      networkCidr: "10.201.0.0/20",
      dnsNameservers: ["10.201.0.2"],
      floatingIpPool: "public",
      thinClientCidr: "192.168.50.0/24",
    }), cloud);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (run.thrown || run.errors.length > 0) throw run.thrown ?? run.errors[0];
    console.log(JSON.stringify({
      bench: "pool", desktops: size, resources: run.resources.length, ms: Math.round(ms), hashMs: Math.round(Number(hashNs) / 1e6),
      msPerDesktop: Number((ms / size).toFixed(2)), sourceMaps, rssMiB: Math.round(process.memoryUsage().rss / 1048576),
    }));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
