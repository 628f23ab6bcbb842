/**
 * npm run bench:engine [-- --sizes 48,200] [-- --skip-local] [-- --profile]
 *
 * The real Pulumi engine on minicloud (root, minicloud up, engine built), figures as JSON lines:
 *  - the `local` stack: preview, up, an up that changes nothing, destroy (wall ms each);
 *  - per size N: a ThinClientDesktopPool of N desktops, preview and up, next to its floor in the
 *    same run: the same OpenStack resources declared bare (network, subnet, router, interface,
 *    security group and rules, N ports, N servers) without the component or the credential
 *    provider. The last line compares pool/floor with the target (within 1.5×).
 * Pools run in a project of the bench's own (`minicloud-bench`, made as admin with a user of the
 * same name and removed at the end), whose compute and network quotas are raised for N: the
 * test projects minicloud-a/b keep their quotas, so the bench cannot break a test running beside
 * it (it still shares the machine's two cores). Each program is destroyed after it is measured.
 * --profile adds, per program, where its up spent the time (engine-step-profile.ts: steps per
 * resource type, how many ran at once) and the size of the checkpoint the engine rewrites per step.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import * as crypto from "node:crypto";
import { stringify } from "yaml";
import { ensureProject, ensureUser, grant, roleId } from "../packages/minicloud/src/identity";
import { endpoint } from "../packages/minicloud/src/layout";
import { authenticate, catalogUrl, request } from "../packages/minicloud/src/rest";
import { cloudAuth, cloudsYamlPath } from "../packages/minicloud/test/cloud-access";
import { EngineStack, REPO_ROOT, RUNS_DIR, engineBinDir } from "../test/engine/pulumi-engine";
import { EventLogFollower, summarizeSteps } from "./engine-step-profile";

const TARGET_RATIO = 1.5;
const PROFILE = process.argv.includes("--profile");

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function emit(figure: Record<string, unknown>): void {
  console.log(JSON.stringify(figure));
}

/** A Pulumi project folder under .engine-runs with this index.ts. */
function program(name: string, index: string): string {
  const dir = path.join(RUNS_DIR, `${name}-src`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`,
  );
  fs.writeFileSync(path.join(dir, "index.ts"), index);
  return dir;
}

function poolProgram(n: number): string {
  return `import { ThinClientDesktopPool } from "@openstack-blueprints/components";
const employees = Array.from({ length: ${n} }, (_, i) => ({ name: "e" + String(i + 1).padStart(4, "0") }));
const pool = new ThinClientDesktopPool("bench", {
  employees, flavor: "m1.tiny", imageName: "minicloud-tiny", networkCidr: "10.77.0.0/20",
  externalNetworkName: "public", dnsNameservers: ["172.24.4.1"], thinClientCidr: "172.24.4.0/24",
});
export const count = pool.desktops.apply((d) => Object.keys(d).length);
`;
}

function floorProgram(n: number): string {
  return `import * as openstack from "@pulumi/openstack";
const ext = openstack.networking.getNetworkOutput({ name: "public", external: true });
const net = new openstack.networking.Network("floor-net", { name: "floor" });
const subnet = new openstack.networking.Subnet("floor-subnet", { networkId: net.id, cidr: "10.78.0.0/20", dnsNameservers: ["172.24.4.1"] });
const router = new openstack.networking.Router("floor-router", { externalNetworkId: ext.id });
new openstack.networking.RouterInterface("floor-if", { routerId: router.id, subnetId: subnet.id });
const group = new openstack.networking.SecGroup("floor-sg", { name: "floor" });
for (const [p, proto] of [[3389, "tcp"], [0, "icmp"]] as const) {
  new openstack.networking.SecGroupRule("floor-rule-" + proto, { securityGroupId: group.id, direction: "ingress", ethertype: "IPv4", protocol: proto,
    ...(p ? { portRangeMin: p, portRangeMax: p } : {}), remoteIpPrefix: "172.24.4.0/24" });
}
for (let i = 1; i <= ${n}; i++) {
  const port = new openstack.networking.Port("floor-port-" + i, { networkId: net.id, fixedIps: [{ subnetId: subnet.id }], securityGroupIds: [group.id] });
  new openstack.compute.Instance("floor-server-" + i, { flavorName: "m1.tiny", imageName: "minicloud-tiny", networks: [{ port: port.id }] }, { deleteBeforeReplace: true });
}
`;
}

const BENCH_CLOUD = "minicloud-bench";
/** 200 servers on a busy 2-core machine outlast the tests' 15-minute default (seen: 150 made by then). */
const BENCH_TIMEOUT_MS = 90 * 60_000;

/**
 * The bench's own project and user (idempotent), and a clouds.yaml beside minicloud's with an
 * entry for it, which this process and the engine's provider then read (OS_CLIENT_CONFIG_FILE).
 * Returns the function that removes them.
 */
async function benchProject(): Promise<() => Promise<void>> {
  const admin = await authenticate(cloudAuth("minicloud-admin"));
  const source = cloudsYamlPath();
  if (!source) throw new Error("no clouds.yaml from minicloud (run `sudo npx minicloud up`)");
  const password = crypto.randomBytes(18).toString("base64url");
  const projectId = await ensureProject(admin, BENCH_CLOUD, "npm run bench:engine's own project");
  const userId = await ensureUser(admin, BENCH_CLOUD, password, projectId);
  await grant(admin, projectId, userId, await roleId(admin, "member"));
  const doc = parse(fs.readFileSync(source, "utf8")) as { clouds: Record<string, { auth: Record<string, string> }> };
  const a = doc.clouds["minicloud-a"];
  doc.clouds[BENCH_CLOUD] = { ...a, auth: { ...a.auth, username: BENCH_CLOUD, password, project_name: BENCH_CLOUD } };
  fs.mkdirSync(RUNS_DIR, { recursive: true });
  const file = path.join(RUNS_DIR, "bench-clouds.yaml");
  fs.writeFileSync(file, stringify(doc), { mode: 0o600 });
  process.env.OS_CLIENT_CONFIG_FILE = file;
  const ks = endpoint("keystone");
  return async () => {
    const again = await authenticate(cloudAuth("minicloud-admin"));
    // Neutron made the project's `default` security group on its first request: not left behind.
    const neutron = catalogUrl(again, "network");
    const groups = (await request(again, "GET", `${neutron}/v2.0/security-groups?project_id=${projectId}`)).body
      .security_groups as { id: string }[];
    for (const g of groups)
      await request(again, "DELETE", `${neutron}/v2.0/security-groups/${g.id}`, { expect: [204, 404] });
    await request(again, "DELETE", `${ks}/users/${userId}`, { expect: [204, 404] });
    await request(again, "DELETE", `${ks}/projects/${projectId}`, { expect: [204, 404] });
    fs.rmSync(file, { force: true });
  };
}

async function setQuotas(cloud: string, n: number): Promise<void> {
  const admin = await authenticate(cloudAuth("minicloud-admin"));
  const project = (await authenticate(cloudAuth(cloud))).projectId;
  const nova = catalogUrl(admin, "compute");
  const neutron = catalogUrl(admin, "network");
  const { TEST_QUOTAS } = await import("../packages/minicloud/src/cloud-resources");
  const compute = { instances: 2 * n + 10, cores: 2 * n + 20, ram: (2 * n + 10) * 512, key_pairs: 50 };
  const network = { ...TEST_QUOTAS.network, port: 2 * n + 50 };
  await request(admin, "PUT", `${nova}/os-quota-sets/${project}`, {
    headers: { "OpenStack-API-Version": "compute 2.57" },
    body: { quota_set: compute },
  });
  await request(admin, "PUT", `${neutron}/v2.0/quotas/${project}`, { body: { quota: network } });
}

/** The size of the stack's checkpoint in the local backend (what the engine rewrites after each step). */
function checkpointKiB(stack: EngineStack): number {
  const dir = path.join(stack.runDir, ".state", ".pulumi", "stacks");
  let bytes = 0;
  for (const file of fs.readdirSync(dir, { recursive: true, encoding: "utf8" }))
    if (file.endsWith(`${stack.stack}.json`)) bytes += fs.statSync(path.join(dir, file)).size;
  return Math.round(bytes / 1024);
}

async function measure(
  stack: EngineStack,
  what: Record<string, unknown>,
): Promise<{ previewMs: number; upMs: number; resources: number }> {
  await stack.init();
  try {
    const preview = await stack.preview();
    // --profile: the up's event log, followed while it runs, summarised per resource type.
    const follower = PROFILE ? new EventLogFollower(path.join(stack.runDir, "events.jsonl")) : undefined;
    // The CLI offers --event-log only with its debug commands on.
    if (follower) stack.env.PULUMI_DEBUG_COMMANDS = "true";
    follower?.start();
    const up = await stack.up(follower ? ["--event-log", follower.file] : []);
    const steps = follower?.stop();
    const resources = up.summary.create ?? 0;
    emit({
      ...what,
      previewMs: preview.ms,
      upMs: up.ms,
      resources,
      ...(steps ? { checkpointKiB: checkpointKiB(stack), upSteps: summarizeSteps(steps, up.ms) } : {}),
    });
    return { previewMs: preview.ms, upMs: up.ms, resources };
  } finally {
    // Not measured: more steps at once than the default (4 per core) keep the bench's own time down.
    const destroyed = await stack.run(["destroy", "--yes", "--skip-preview", "--parallel", "24"]);
    // A failed destroy keeps the state (and so what is still in the cloud) in the run folder;
    // the next run's init() destroys it first.
    if (destroyed.code === 0) await stack.remove();
    else console.error(`destroy of ${stack.stack} exited ${destroyed.code}; its state is kept in ${stack.runDir}`);
  }
}

async function main(): Promise<void> {
  const bin = engineBinDir();
  if (!bin) throw new Error("the engine is not built: npm run engine:build");
  const sizes = (arg("--sizes") ?? "48,200").split(",").map(Number);
  emit({
    bench: "engine",
    sizes,
    targetRatio: TARGET_RATIO,
    machine: { cpus: (await import("node:os")).cpus().length },
  });

  if (!process.argv.includes("--skip-local")) {
    const file = parse(fs.readFileSync(path.join(REPO_ROOT, "stacks/Pulumi.local.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const stack = new EngineStack(bin, {
      programDir: REPO_ROOT,
      inPlace: true,
      runName: "bench-local",
      cloud: "minicloud-a",
      stackFileConfig: file.config,
    });
    await stack.init();
    try {
      const preview = await stack.preview();
      const up = await stack.up();
      const again = await stack.up();
      const destroy = await stack.destroy();
      emit({
        program: "local stack",
        resources: up.summary.create,
        previewMs: preview.ms,
        upMs: up.ms,
        noChangeUpMs: again.ms,
        destroyMs: destroy.ms,
      });
    } finally {
      await stack.remove();
    }
  }

  const removeBenchProject = await benchProject();
  await poolsAgainstFloors(bin, sizes);
  // Only after every program was destroyed: a failed run leaves the project (and the stacks'
  // states) for the next run to destroy, rather than hiding what failed behind a cleanup error.
  await removeBenchProject();
}

async function poolsAgainstFloors(bin: string, sizes: number[]): Promise<void> {
  for (const n of sizes) {
    await setQuotas(BENCH_CLOUD, n);
    try {
      const pool = await measure(
        new EngineStack(bin, {
          programDir: program(`bench-pool-${n}`, poolProgram(n)),
          runName: `bench-pool-${n}`,
          timeoutMs: BENCH_TIMEOUT_MS,
          cloud: BENCH_CLOUD,
        }),
        { program: "pool", desktops: n },
      );
      const floor = await measure(
        new EngineStack(bin, {
          programDir: program(`bench-floor-${n}`, floorProgram(n)),
          runName: `bench-floor-${n}`,
          timeoutMs: BENCH_TIMEOUT_MS,
          cloud: BENCH_CLOUD,
        }),
        { program: "floor (bare resources)", desktops: n },
      );
      const ratio = (pool.previewMs + pool.upMs) / (floor.previewMs + floor.upMs);
      emit({
        desktops: n,
        poolOverFloor: {
          preview: +(pool.previewMs / floor.previewMs).toFixed(2),
          up: +(pool.upMs / floor.upMs).toFixed(2),
          total: +ratio.toFixed(2),
        },
        target: `<= ${TARGET_RATIO}`,
        met: ratio <= TARGET_RATIO,
      });
    } finally {
      for (const name of [`bench-pool-${n}-src`, `bench-floor-${n}-src`])
        fs.rmSync(path.join(RUNS_DIR, name), { recursive: true, force: true });
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
