/**
 * npm run bench:pool — builds ThinClientDesktopPool programs of 48, 200 and 1000 desktops under
 * the mock harness (packages/test-harness/src/pulumi-mocks.ts) and prints one JSON line per size:
 *   resources   registered by the program;
 *   ms          wall time from construction until every registration settled;
 *   engineMs    of that, time spent answering the SDK: the mock cloud and the real credential
 *               provider (password + SHA-512 crypt hash, ~30 ms per new employee) — work a real
 *               deployment does in the engine's and providers' processes, not in the program;
 *   programMs   ms − engineMs: the program and Pulumi's SDK (the issue's "program time").
 * Then two "floor" lines: the same number of bare openstack Instances declared at top level,
 * with and without the SDK's per-promise stack traces — the cost of the SDK alone, which no
 * component can go below (see packages/components/src/pulumi/lean-registration.ts).
 * What this measures: the component and the SDK's registration path, not a real engine.
 * Each size starts from an empty state (new credentials are made, as on a first `pulumi up`);
 * a silent warm-up run first loads the modules. BENCH_SOURCE_MAPS=0 drops ts-node's stack
 * trace source mapping (field "sourceMaps"), BENCH_SIZES=48,200 picks sizes.
 */
import * as openstack from "@pulumi/openstack";
import { defaultExistingCloud, ExistingCloud, installMocks, MockHarness } from "@openstack-blueprints/test-harness";
import { ThinClientDesktopPool } from "../packages/components/src/desktop/thin-client-desktop-pool";
import { declareWithoutPromiseStackTraces } from "../packages/components/src/pulumi/lean-registration";

// The default mock "public" network is a /24 (about 240 floating IPs, as Neutron would refuse more):
// give the mock cloud a larger external block so 1000 desktops can each have a floating IP.
function benchCloud(): ExistingCloud {
  const cloud = defaultExistingCloud();
  cloud.networks = cloud.networks.map((n) =>
    n.name !== "public"
      ? n
      : {
          ...n,
          subnets: [
            {
              id: "subnet-public",
              name: "public-subnet",
              cidr: "10.201.128.0/20",
              gatewayIp: "10.201.128.1",
              pool: { start: "10.201.128.10", end: "10.201.143.250" },
            },
          ],
        },
  );
  return cloud;
}

async function timed(harness: MockHarness, program: () => unknown) {
  harness.forgetState();
  const engineBefore = harness.engineNs;
  const started = process.hrtime.bigint();
  const run = await harness.runProgram(program, benchCloud());
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.thrown || run.errors.length > 0) throw run.thrown ?? run.errors[0];
  const engineMs = Number(harness.engineNs - engineBefore) / 1e6;
  return {
    resources: run.resources.length,
    ms: Math.round(ms),
    engineMs: Math.round(engineMs),
    programMs: Math.round(ms - engineMs),
  };
}

function pool(size: number) {
  const employees = Array.from({ length: size }, (_, i) => ({ name: `user${String(i).padStart(4, "0")}` }));
  return () =>
    new ThinClientDesktopPool("bench", {
      employees,
      flavor: "m1.desktop",
      imageName: "debian-12",
      networkCidr: "10.201.0.0/20",
      dnsNameservers: ["10.201.0.2"],
      floatingIpPool: "public",
      thinClientCidr: "192.168.50.0/24",
    });
}

function bareInstances(size: number) {
  return () => {
    for (let i = 0; i < size; i++)
      new openstack.compute.Instance(`bare-${i}`, {
        flavorName: "m1.desktop",
        imageName: "debian-12",
        networks: [{ uuid: "net-public" }],
      });
  };
}

async function main(): Promise<void> {
  const sourceMaps = process.env.BENCH_SOURCE_MAPS !== "0";
  if (!sourceMaps) delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  const harness = installMocks();
  const sizes = (process.env.BENCH_SIZES ?? "48,200,1000").split(",").map(Number);
  const rss = () => Math.round(process.memoryUsage().rss / 1048576);
  await timed(harness, pool(8));
  for (const size of sizes) {
    const r = await timed(harness, pool(size));
    console.log(
      JSON.stringify({
        bench: "pool",
        desktops: size,
        ...r,
        programMsPerDesktop: Number((r.programMs / size).toFixed(2)),
        sourceMaps,
        rssMiB: rss(),
      }),
    );
  }
  const floor = Math.max(...sizes);
  const withTraces = await timed(harness, bareInstances(floor));
  console.log(
    JSON.stringify({
      bench: "pool-floor",
      what: `${floor} bare openstack.compute.Instance, SDK stack traces on`,
      ...withTraces,
      sourceMaps,
      rssMiB: rss(),
    }),
  );
  const lean = await timed(harness, () => declareWithoutPromiseStackTraces(bareInstances(floor)));
  console.log(
    JSON.stringify({
      bench: "pool-floor",
      what: `${floor} bare openstack.compute.Instance, SDK stack traces off`,
      ...lean,
      sourceMaps,
      rssMiB: rss(),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
