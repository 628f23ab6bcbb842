/**
 * GPU workstations of a notebooks lab through the real Pulumi engine on minicloud: Nova's own
 * PCI passthrough code schedules and claims the devices. The lab (programs/gpu-workstations) has
 * two students; ada's Jupyter server is a GPU workstation: the pool makes a private flavor with
 * m1.small's size and `pci_passthrough:alias` = "gpu:<n>" and puts her server in zone `gpu`.
 *
 * minicloud's GPU host (`minicloud-gpu`, part of `up --guests`) runs nova-compute with Nova's
 * fake driver reporting two PCI devices (NVIDIA 10de:1eb8); Nova's API turns the flavor's alias
 * into PCI requests, the scheduler's PciPassthroughFilter picks a host with free devices, the
 * compute host's PCI tracker claims them. Nothing boots and no device is passed through: the
 * fake driver has no guest (real passthrough needs an IOMMU, vfio-pci and a GPU, none of which
 * this machine has).
 *
 * Nova Zed (Debian 12) has no API that shows PCI claims (Placement tracks PCI devices only from
 * 2023.1, with [pci] report_in_placement), so the claims are read from the cell database's
 * pci_devices table through MariaDB's root socket: the test runs as root on the minicloud host.
 *
 * Proved: with 1 GPU, ada's server is ACTIVE on minicloud-gpu with the alias in its flavor and
 * exactly one device allocated to it (ben's is on the plain fake host and holds none); destroy
 * frees the device and leaves nothing. With 3 GPUs per workstation (the host has 2), `pulumi up`
 * fails, Nova's fault says "No valid host was found", nothing is claimed; destroy leaves nothing.
 * API-only (fake hosts): run under the shared lock, `flock -s /tmp/minicloud.lock`.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { COMPUTE_HOST, GPU_AZ, GPU_HOST, defaultLayout, endpoint } from "../../packages/minicloud/src/layout";
import { NOVA_MICROVERSION, Session, request } from "../../packages/minicloud/src/rest";
import { session } from "../../packages/minicloud/test/cloud-access";
import { requireGuests } from "../../packages/minicloud/test/guest-scenario";
import { leftovers } from "./cloud-checks";
import { EngineStack, cloudResources, requireEngine } from "./pulumi-engine";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

/** Flavors are admin-only: the lab that makes its GPU flavor runs as the cloud's admin. */
const CLOUD = "minicloud-admin";
const NOVA = endpoint("nova");

interface PciDevice {
  address: string;
  status: string;
  instance: string;
}

/** The GPU host's PCI devices as Nova's PCI tracker recorded them (cell database). */
function gpuHostDevices(): PciDevice[] {
  const sql =
    "SELECT d.address, d.status, IFNULL(d.instance_uuid, '') FROM pci_devices d " +
    "JOIN compute_nodes c ON c.id = d.compute_node_id " +
    `WHERE d.deleted = 0 AND c.deleted = 0 AND c.host = '${GPU_HOST}' ORDER BY d.address`;
  const out = execFileSync(
    "mariadb",
    [
      "--no-defaults",
      `--socket=${path.join(defaultLayout().runDir, "mysqld.sock")}`,
      "-uroot",
      "--batch",
      "--skip-column-names",
      "nova",
      "-e",
      sql,
    ],
    { encoding: "utf8" },
  );
  return out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [address, status, instance] = line.split("\t");
      return { address: address!, status: status!, instance: instance ?? "" };
    });
}

/** Why the GPU host cannot be used, or undefined when it is up with its two devices. */
async function gpuHostUnavailable(admin: Session): Promise<string | undefined> {
  const hyps = (await request(admin, "GET", `${NOVA}/os-hypervisors/detail`, { headers: NOVA_MICROVERSION })).body
    .hypervisors as { service?: { host?: string }; state?: string }[];
  if (!hyps.some((h) => h.service?.host === GPU_HOST && h.state === "up"))
    return `no compute host ${GPU_HOST} is up (minicloud was started by code without the GPU host: run \`minicloud up --guests\` from this tree)`;
  let devices: PciDevice[];
  try {
    devices = gpuHostDevices();
  } catch (e) {
    return `cannot read Nova's pci_devices table through MariaDB's root socket (${(e as Error).message.split("\n")[0]}): run as root on the minicloud host`;
  }
  if (devices.length !== 2) return `${GPU_HOST} reports ${devices.length} PCI devices, not 2`;
  return undefined;
}

/** A server as the admin sees it (host, zone, fault, the flavor's extra specs). */
async function adminServer(admin: Session, id: string): Promise<Record<string, any>> {
  return (await request(admin, "GET", `${NOVA}/servers/${id}`, { headers: NOVA_MICROVERSION })).body.server;
}

describe("real engine: GPU workstations on minicloud's fake GPU host (Nova PCI passthrough scheduling and claims)", function () {
  this.timeout(15 * 60_000);
  let bin: string;
  let admin: Session;
  let client: OpenStackClient;

  before(async function () {
    bin = requireEngine(this);
    await requireGuests(this);
    admin = await session(CLOUD);
    const why = await gpuHostUnavailable(admin);
    if (why) unavailableHere(this, `the GPU host is not usable: ${why}`);
    client = await new OpenStackClient(loadCloud(CLOUD)).connect();
  });

  async function withLab<T>(gpus: number, run: (stack: EngineStack) => Promise<T>): Promise<T> {
    const stack = new EngineStack(bin, {
      programDir: path.join(__dirname, "programs/gpu-workstations"),
      runName: `gpu-workstations-${gpus}`,
      cloud: CLOUD,
      config: { "engine-test-gpu-workstations:gpusPerWorkstation": String(gpus) },
    });
    await stack.init();
    try {
      return await run(stack);
    } finally {
      // Whatever happened, nothing stays behind: destroy, then the cloud itself is asked.
      const state = await stack.exportState().catch(() => undefined);
      const made = state ? cloudResources(state) : [];
      const destroyed = await stack.destroy();
      expect(destroyed.code, destroyed.stdout + destroyed.stderr).to.equal(0);
      expect(await leftovers(client, made), "left in the cloud after destroy").to.deep.equal([]);
      await stack.remove();
    }
  }

  it("one GPU: ada's workstation is ACTIVE on the GPU host holding one claimed device; destroy frees it", async () => {
    expect(gpuHostDevices().map((d) => d.status)).to.deep.equal(["available", "available"]);
    await withLab(1, async (stack) => {
      const t0 = Date.now();
      const up = await stack.up();
      console.log(`    pulumi up: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(up.code, up.stdout + up.stderr).to.equal(0);
      const desktops = (await stack.outputs()).desktops as Record<string, { serverId: string; flavor: string }>;
      const ada = await adminServer(admin, desktops.ada!.serverId);
      const ben = await adminServer(admin, desktops.ben!.serverId);
      expect([ada.status, ada["OS-EXT-SRV-ATTR:host"], ada["OS-EXT-AZ:availability_zone"]]).to.deep.equal([
        "ACTIVE",
        GPU_HOST,
        GPU_AZ,
      ]);
      expect(ada.flavor.original_name).to.equal("lab-gpux1");
      expect(ada.flavor.extra_specs).to.deep.equal({ "pci_passthrough:alias": "gpu:1" });
      expect([ben.status, ben["OS-EXT-SRV-ATTR:host"]]).to.deep.equal(["ACTIVE", COMPUTE_HOST]);
      expect(ben.flavor.extra_specs ?? {}).to.deep.equal({});

      const devices = gpuHostDevices();
      console.log(
        `    ${GPU_HOST} devices: ${devices.map((d) => `${d.address} ${d.status} ${d.instance}`).join("; ")}`,
      );
      const claimed = devices.filter((d) => d.status === "allocated");
      expect(
        claimed.map((d) => d.instance),
        "devices allocated, by server",
      ).to.deep.equal([ada.id]);
      expect(devices.filter((d) => d.status === "available")).to.have.length(1);
    });
    // Destroyed (in withLab): Nova's tracker released the claim.
    expect(gpuHostDevices().map((d) => d.status)).to.deep.equal(["available", "available"]);
  });

  it("three GPUs where the host has two: `pulumi up` fails with Nova's NoValidHost, nothing is claimed", async () => {
    await withLab(3, async (stack) => {
      const up = await stack.run(["up", "--yes", "--skip-preview"]);
      const out = up.stdout + up.stderr;
      expect(up.code, out).to.not.equal(0);
      const [server] = await client.nova.listServers({ name: "^lab-ada$", all_tenants: true });
      expect(server, "ada's server as Nova has it").to.not.equal(undefined);
      const ada = await adminServer(admin, server!.id);
      expect(ada.status).to.equal("ERROR");
      expect(ada.fault?.message ?? "").to.contain("No valid host was found");
      console.log(`    Nova's fault: ${ada.fault?.message}`);
      expect(gpuHostDevices().filter((d) => d.status !== "available")).to.deep.equal([]);
    });
  });
});
