/**
 * The guests profile (`minicloud up --guests`): a second compute host, `minicloud-guests`, whose
 * nova-compute runs the libvirt driver (QEMU TCG) in availability zone `guests`, and Neutron's
 * DHCP, L3 and metadata agents with an L2 agent that enforces security groups, all bound to that
 * host. Servers and networks that do not ask for the zone stay on the fake host as before.
 *
 * Also what `down` needs to leave nothing behind: the libvirt domains Nova defined, the dnsmasq
 * and haproxy processes the agents started (they daemonize into their own sessions, outside the
 * agents' process groups), the agents' namespaces and the security-group chains.
 */
import { Readable } from "stream";
import * as fs from "fs";
import * as path from "path";
import { commandSucceeds, run } from "./exec";
import { GPU_AZ, GPU_HOST, GUESTS_AZ, GUESTS_HOST, HOST, Layout, PORTS } from "./layout";
import { runningPid } from "./processes";
import { GlanceImage, NeutronAgent, NovaAggregate, NovaHypervisor, NovaService } from "./openstack-bodies";
import { HttpError, NOVA_MICROVERSION, request, Session } from "./rest";
import { LIBVIRT_SOCKET, ServiceSpec } from "./services";

/** Debian packages the guests profile adds (QEMU and libvirt, dnsmasq for DHCP, haproxy for metadata). */
export const GUEST_PACKAGES = [
  "qemu-system-x86",
  "qemu-utils",
  "libvirt-daemon-system",
  "libvirt-daemon-driver-qemu",
  "libvirt-clients",
  "python3-libvirt",
  "dnsmasq-base",
  "dnsmasq-utils",
  "haproxy",
  "iputils-arping",
] as const;

/** The real guest image in Glance; `debian-12` stays the 1 MiB placeholder the API-only tests use. */
export const GUEST_IMAGE = {
  name: "debian-12-guest",
  kernelName: "debian-12-guest-kernel",
  ramdiskName: "debian-12-guest-ramdisk",
  /** The user cloud-init creates from the image's configuration. */
  user: "debian",
} as const;

/**
 * The desktop variant of the guest image (build-guest-image.sh --variant desktop: xrdp, xorgxrdp,
 * xfce and Debian's Jupyter Notebook baked, as the guests cannot install them at first boot). Not uploaded by `up --guests`
 * (a cold build takes minutes): the desktop tests ensure it with ensureGuestImage(…, DESKTOP_GUEST_IMAGE).
 */
export const DESKTOP_GUEST_IMAGE = {
  name: "debian-12-desktop",
  kernelName: "debian-12-desktop-kernel",
  ramdiskName: "debian-12-desktop-ramdisk",
  user: "debian",
  variant: "desktop",
} as const;

/** One of the guest images: its Glance names and the build script's variant (none: the base image). */
export interface GuestImageSpec {
  name: string;
  kernelName: string;
  ramdiskName: string;
  variant?: string;
}

/** Names Nova's libvirt driver gives its domains (`instance_name_template`). */
export const NOVA_DOMAIN = /^instance-[0-9a-f]{8}$/;

const NOVA = `http://${HOST}:${PORTS.nova}/v2.1`;
const NEUTRON = `http://${HOST}:${PORTS.neutron}/v2.0`;
const GLANCE = `http://${HOST}:${PORTS.glance}/v2`;

export interface Profile {
  guests: boolean;
}

function profileFile(layout: Layout): string {
  return path.join(layout.stateDir, "profile.json");
}

export function readProfile(layout: Layout): Profile {
  try {
    const p = JSON.parse(fs.readFileSync(profileFile(layout), "utf8")) as Partial<Profile>;
    return { guests: p.guests === true };
  } catch {
    return { guests: false };
  }
}

export function writeProfile(layout: Layout, profile: Profile): void {
  fs.mkdirSync(layout.stateDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(profileFile(layout), JSON.stringify(profile) + "\n", { mode: 0o600 });
}

/**
 * libvirt autostarts its `default` network (virbr0 with its own dnsmasq) and autostart domains
 * once per boot, unless its drivers' "autostarted" markers exist. Nova starts its guests itself
 * and Neutron makes the networks, so mark both as done before libvirtd starts.
 */
export function prepareLibvirtRuntime(): void {
  for (const driver of ["network", "qemu"]) {
    const dir = path.join("/run/libvirt", driver);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const marker = path.join(dir, "autostarted");
    if (!fs.existsSync(marker)) fs.writeFileSync(marker, "");
  }
}

export interface GuestsContext {
  layout: Layout;
  admin: Session;
  spec: (name: string) => ServiceSpec;
  log: (m: string) => void;
  phase: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  manage: (argv: string[]) => Promise<string>;
}

/** Starts the guests profile's processes and registers the host, zone, agents and image. */
export async function ensureGuests(ctx: GuestsContext): Promise<void> {
  const { layout, admin, log } = ctx;
  // Loaded here: up.ts imports this module, and these helpers live there.
  const { ensureRunning, waitFor, FatalError } = await import("./up");
  const alive = (name: string) => {
    if (runningPid(layout.runDir, name) === undefined)
      throw new FatalError(`${name} exited; see ${path.join(layout.logDir, name + ".log")}`);
  };

  await ctx.phase("libvirt", async () => {
    await ensureRunning(layout, ctx.spec("virtlogd"), log);
    await ensureRunning(layout, ctx.spec("libvirtd"), log);
  });

  await ctx.phase("guests host and agents", async () => {
    const names = [
      "neutron-linuxbridge-agent-guests",
      "neutron-dhcp-agent",
      "neutron-l3-agent",
      "neutron-metadata-agent",
      "nova-api-metadata",
      "nova-compute-guests",
      "neutron-linuxbridge-agent-gpu",
      "nova-compute-gpu",
    ];
    await Promise.all(names.map((n) => ensureRunning(layout, ctx.spec(n), log)));
    const computeHosts: [string, string][] = [
      [GUESTS_HOST, "nova-compute-guests"],
      [GPU_HOST, "nova-compute-gpu"],
    ];
    for (const [host, proc] of computeHosts) {
      await waitFor(`nova-compute on ${host} to report as up`, 180, async () => {
        alive(proc);
        const svcs = (
          await request<{ services: NovaService[] }>(
            admin,
            "GET",
            `${NOVA}/os-services?binary=nova-compute&host=${host}`,
            { headers: NOVA_MICROVERSION },
          )
        ).body.services;
        return svcs.some((s) => s.state === "up") ? true : undefined;
      });
    }
    const mapped = async () => {
      const hyps = (
        await request<{ hypervisors: NovaHypervisor[] }>(admin, "GET", `${NOVA}/os-hypervisors/detail`, {
          headers: NOVA_MICROVERSION,
        })
      ).body.hypervisors;
      return computeHosts.every(([host]) => hyps.some((h) => h.service?.host === host));
    };
    if (!(await mapped())) {
      await ctx.manage([
        "nova-manage",
        "--config-file",
        path.join(layout.configDir, "nova", "nova.conf"),
        "cell_v2",
        "discover_hosts",
      ]);
      await waitFor(`${computeHosts.map(([h]) => h).join(" and ")} in cell1`, 90, async () =>
        (await mapped()) ? true : undefined,
      );
    }
    await ensureGuestsAggregate(admin);
    await ensureZoneAggregate(admin, GPU_AZ, GPU_HOST);
    const want: [string, string, string][] = [
      [GUESTS_HOST, "neutron-linuxbridge-agent", "neutron-linuxbridge-agent-guests"],
      [GUESTS_HOST, "neutron-dhcp-agent", "neutron-dhcp-agent"],
      [GUESTS_HOST, "neutron-l3-agent", "neutron-l3-agent"],
      [GUESTS_HOST, "neutron-metadata-agent", "neutron-metadata-agent"],
      [GPU_HOST, "neutron-linuxbridge-agent", "neutron-linuxbridge-agent-gpu"],
    ];
    await waitFor("the guests and GPU hosts' Neutron agents to be alive", 120, async () => {
      for (const [, , proc] of want) alive(proc);
      const agents = (await request<{ agents: NeutronAgent[] }>(admin, "GET", `${NEUTRON}/agents`)).body.agents;
      return want.every(([host, binary]) => agents.some((a) => a.host === host && a.binary === binary && a.alive))
        ? true
        : undefined;
    });
  });

  await ctx.phase("guest image", () => ensureGuestImage(admin, log));
}

/** Host aggregate `guests` with availability zone `guests`, holding the guests host. */
export function ensureGuestsAggregate(admin: Session): Promise<string> {
  return ensureZoneAggregate(admin, GUESTS_AZ, GUESTS_HOST);
}

/** A host aggregate named like its availability zone, holding `host`. */
export async function ensureZoneAggregate(admin: Session, zone: string, host: string): Promise<string> {
  const h = { headers: NOVA_MICROVERSION };
  const aggs = (await request<{ aggregates: NovaAggregate[] }>(admin, "GET", `${NOVA}/os-aggregates`, h)).body
    .aggregates;
  let agg = aggs.find((a) => a.name === zone);
  if (!agg) {
    agg = (
      await request<{ aggregate: NovaAggregate }>(admin, "POST", `${NOVA}/os-aggregates`, {
        ...h,
        body: { aggregate: { name: zone, availability_zone: zone } },
      })
    ).body.aggregate;
  }
  if (!(agg.hosts ?? []).includes(host)) {
    await request(admin, "POST", `${NOVA}/os-aggregates/${agg.id}/action`, {
      ...h,
      body: { add_host: { host } },
    });
  }
  return String(agg.id);
}

/** The guest image's build script (packages/minicloud/guest-image), from src/ or dist/. */
export function guestImageScript(): string {
  return path.join(__dirname, "..", "guest-image", "build-guest-image.sh");
}

interface Manifest {
  key: string;
  root: { file: string; sha256: string };
  kernel: { file: string; sha256: string };
  ramdisk: { file: string; sha256: string };
  glance: {
    kernel: { disk_format: string; container_format: string };
    ramdisk: { disk_format: string; container_format: string };
    root: { disk_format: string; container_format: string; properties: Record<string, string> };
  };
}

/** The built image's folder: the cached one, or built now (cold: minutes; see the script). */
export function guestImageDir(log: (m: string) => void, variant?: string): string {
  const script = guestImageScript();
  const variantArgs = variant ? ["--variant", variant] : [];
  const cached = commandSucceeds(["bash", script, ...variantArgs, "--print-dir"]);
  if (!cached)
    log(`guest image${variant ? ` (${variant})` : ""} not built yet: building it (debootstrap; several minutes)`);
  const out = run(["bash", script, ...variantArgs, ...(cached ? ["--print-dir"] : [])]);
  const dir = out.trim().split("\n").pop() ?? "";
  if (!fs.existsSync(path.join(dir, "manifest.json")))
    throw new Error(`guest image: ${script} printed '${dir}', which has no manifest.json`);
  return dir;
}

const KEY_PROPERTY = "minicloud_guest_image_key";

async function uploadImage(
  admin: Session,
  name: string,
  file: string,
  fields: Record<string, unknown>,
  key: string,
): Promise<string> {
  const existing = (
    await request<{ images: GlanceImage[] }>(
      admin,
      "GET",
      `${GLANCE}/images?name=${encodeURIComponent(name)}&visibility=public`,
    )
  ).body.images;
  const current = existing.find((i) => i.status === "active" && i[KEY_PROPERTY] === key);
  if (current) return current.id;
  // An older recipe's image (or a broken upload) goes; servers booted from it keep running.
  for (const old of existing) await request(admin, "DELETE", `${GLANCE}/images/${old.id}`, { expect: [204, 404] });
  const img = (
    await request<GlanceImage>(admin, "POST", `${GLANCE}/images`, {
      body: { name, visibility: "public", ...fields, [KEY_PROPERTY]: key },
      expect: [201],
    })
  ).body;
  const res = await fetch(`${GLANCE}/images/${img.id}/file`, {
    method: "PUT",
    headers: { "X-Auth-Token": admin.token, "Content-Type": "application/octet-stream" },
    body: Readable.toWeb(fs.createReadStream(file)) as unknown as RequestInit["body"],
    duplex: "half",
  } as RequestInit);
  if (res.status !== 204) throw new HttpError("PUT", `${GLANCE}/images/${img.id}/file`, res.status, await res.text());
  return img.id as string;
}

/**
 * Uploads the built guest image as `debian-12-guest` (or `image`'s names, e.g. the desktop
 * variant's) + its kernel as `aki` and initrd as `ari`, which Nova's libvirt driver boots
 * directly (the image has no bootloader), unless the same build is already there. Public, with
 * the properties a user's cloud image has.
 */
export async function ensureGuestImage(
  admin: Session,
  log: (m: string) => void,
  image: GuestImageSpec = GUEST_IMAGE,
): Promise<string> {
  const dir = guestImageDir(log, image.variant);
  const m = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
  const kernelId = await uploadImage(
    admin,
    image.kernelName,
    path.join(dir, m.kernel.file),
    { ...m.glance.kernel },
    m.key,
  );
  const ramdiskId = await uploadImage(
    admin,
    image.ramdiskName,
    path.join(dir, m.ramdisk.file),
    { ...m.glance.ramdisk },
    m.key,
  );
  const rootId = await uploadImage(
    admin,
    image.name,
    path.join(dir, m.root.file),
    {
      disk_format: m.glance.root.disk_format,
      container_format: m.glance.root.container_format,
      min_disk: 1,
      min_ram: 256,
      ...m.glance.root.properties,
      kernel_id: kernelId,
      ramdisk_id: ramdiskId,
    },
    m.key,
  );
  log(`guest image: ${image.name} (${rootId}), build ${m.key}`);
  return rootId;
}

// ---- down ----

function virsh(args: string[], okCodes: number[] = []): string {
  return run(["virsh", "-c", "qemu:///system", ...args], { okCodes });
}

/**
 * Stops (and with `purge` undefines) the domains Nova defined in our libvirtd. Call while
 * libvirtd still runs; Nova sees them as SHUTOFF after the next `up`.
 */
export function stopGuestDomains(purge: boolean, log: (m: string) => void): string[] {
  if (!fs.existsSync(LIBVIRT_SOCKET) || !commandSucceeds(["virsh", "-c", "qemu:///system", "version"])) return [];
  const names = virsh(["list", "--all", "--name"])
    .split("\n")
    .map((l) => l.trim())
    .filter((n) => NOVA_DOMAIN.test(n));
  for (const name of names) {
    const state = virsh(["domstate", name], [1]).trim();
    if (state !== "shut off") virsh(["destroy", name], [1]);
    if (purge) virsh(["undefine", "--managed-save", "--snapshots-metadata", name], [1]);
    log(`libvirt domain ${name}: ${purge ? "destroyed and undefined" : "destroyed"}`);
  }
  return names;
}

function pidCmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return undefined;
  }
}

function pidFilesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...pidFilesUnder(p));
    else if (entry.name === "pid" || entry.name.endsWith(".pid")) out.push(p);
  }
  return out;
}

/**
 * dnsmasq (DHCP agent) and haproxy (metadata proxy of the L3 agent) daemonize into sessions of
 * their own: stopping the agents leaves them running. Each has a pid file under Neutron's state
 * directory and our state directory on its command line; exactly those are stopped.
 */
export function stopNeutronChildren(layout: Layout, log: (m: string) => void): number {
  const neutronState = path.join(layout.stateDir, "neutron");
  let stopped = 0;
  for (const file of pidFilesUnder(neutronState)) {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 1) continue;
    const cmd = pidCmdline(pid);
    if (!cmd || !cmd.includes(neutronState) || !/(dnsmasq|haproxy)/.test(cmd)) continue;
    try {
      process.kill(pid, "SIGTERM");
      stopped++;
    } catch {
      /* gone meanwhile */
    }
  }
  if (stopped) log(`stopped ${stopped} dnsmasq/haproxy process(es) of the Neutron agents`);
  return stopped;
}

/**
 * The namespaces our DHCP and L3 agents made: `qdhcp-<network>` with a DHCP directory in our
 * state, `qrouter-<router>` with a metadata-proxy file in our state. Anything still running
 * inside one is stopped, then it is deleted. Namespaces of another Neutron are left alone.
 */
export function deleteAgentNamespaces(layout: Layout, log: (m: string) => void): string[] {
  if (!commandSucceeds(["ip", "netns", "list"])) return [];
  const neutronState = path.join(layout.stateDir, "neutron");
  const ours = (ns: string): boolean => {
    const m = /^(qdhcp|qrouter)-([0-9a-f-]{36})$/.exec(ns);
    if (!m) return false;
    const id = m[2] as string;
    if (m[1] === "qdhcp") return fs.existsSync(path.join(neutronState, "dhcp", id));
    return [
      path.join(neutronState, "ns-metadata-proxy", `${id}.conf`),
      path.join(neutronState, "external", "pids", `${id}.pid`),
      path.join(neutronState, "ha_confs", id),
    ].some((p) => fs.existsSync(p));
  };
  const deleted: string[] = [];
  for (const line of run(["ip", "netns", "list"]).split("\n")) {
    const ns = line.split(" ")[0]?.trim();
    if (!ns || !ours(ns)) continue;
    for (const pid of run(["ip", "netns", "pids", ns], { okCodes: [1] })
      .split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isInteger(n) && n > 1)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    if (commandSucceeds(["ip", "netns", "del", ns])) deleted.push(ns);
  }
  if (deleted.length) log(`deleted ${deleted.length} Neutron namespace(s): ${deleted.join(" ")}`);
  return deleted;
}

/** Splits one `iptables-save` rule line into arguments (its comments are double-quoted). */
export function splitIptablesRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] as string));
  return out;
}

/** Chains the guests host's L2 agent (iptables firewall) adds in the host's own tables. */
export const NEUTRON_CHAIN = /^neutron-(linuxbri-|filter-top$)/;

/**
 * Removes the security-group chains (`neutron-linuxbri-*`, `neutron-filter-top`) and the jumps
 * to them from the host's iptables, table by table; nothing else is touched.
 */
export function removeNeutronIptables(log: (m: string) => void): number {
  if (!commandSucceeds(["iptables-save", "-t", "filter"])) return 0;
  let removed = 0;
  for (const table of ["filter", "raw", "mangle", "nat"]) {
    const dump = run(["iptables-save", "-t", table], { okCodes: [1] });
    const chains = dump
      .split("\n")
      .filter((l) => l.startsWith(":"))
      .map((l) => l.slice(1).split(" ")[0] as string)
      .filter((c) => NEUTRON_CHAIN.test(c));
    if (chains.length === 0) continue;
    for (const line of dump.split("\n")) {
      if (!line.startsWith("-A ")) continue;
      const args = splitIptablesRule(line);
      const chain = args[1] ?? "";
      const j = args.indexOf("-j");
      const target = j >= 0 ? (args[j + 1] ?? "") : "";
      if (!NEUTRON_CHAIN.test(chain) && NEUTRON_CHAIN.test(target))
        commandSucceeds(["iptables", "-t", table, "-D", ...args.slice(1)]);
    }
    for (const chain of chains) commandSucceeds(["iptables", "-t", table, "-F", chain]);
    for (const chain of chains) if (commandSucceeds(["iptables", "-t", table, "-X", chain])) removed++;
  }
  if (removed) log(`removed ${removed} Neutron security-group chain(s) from iptables`);
  return removed;
}
