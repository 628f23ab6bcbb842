/**
 * A tenant's small network with one real guest on minicloud's guests profile, through the Nova
 * and Neutron REST APIs only, the way a user of a real cloud builds it: network + subnet (with a
 * DHCP host route) + router to `public`, a security group that lets ssh in from one address, a
 * key pair, a server in availability zone `guests`, a floating IP. Shared by the end-to-end test
 * (test/guests.test.ts) and `npm run bench:guests`. Everything it creates is recorded and
 * removed by cleanup(), also after a failure half-way.
 */
import { execFile, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { GUEST_IMAGE } from "../src/guests";
import { EXTERNAL_NETWORK, GUESTS_AZ, GUESTS_HOST, endpoint } from "../src/layout";
import { HttpError, NOVA_MICROVERSION, request, Session } from "../src/rest";
import { cloudsYamlPath, session } from "./cloud-access";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NOVA = endpoint("nova");
const NEUTRON = `${endpoint("neutron")}/v2.0`;
const GLANCE = `${endpoint("glance")}/v2`;
const CINDER = endpoint("cinder");
const H = { headers: NOVA_MICROVERSION };

/** The only address the scenario's security group lets ssh in from: this host on `public`. */
export const HOST_ON_PUBLIC = `${EXTERNAL_NETWORK.gateway}/32`;

/** Why the guests profile cannot be used, or undefined when it can. */
export async function guestsUnavailable(): Promise<string | undefined> {
  if (!cloudsYamlPath()) return "no clouds.yaml from minicloud (run `sudo npx minicloud up --guests`)";
  let s: Session;
  try {
    s = await session("minicloud-a");
  } catch (e) {
    return `minicloud does not answer: ${(e as Error).message} (run \`sudo npx minicloud up --guests\`)`;
  }
  const zones = (await request(s, "GET", `${NOVA}/os-availability-zone`, H)).body.availabilityZoneInfo as any[];
  if (!zones.some((z) => z.zoneName === GUESTS_AZ && z.zoneState?.available))
    return `minicloud has no available zone '${GUESTS_AZ}' (the guests profile is not up: run \`sudo npx minicloud up --guests\`)`;
  const imgs = (await request(s, "GET", `${GLANCE}/images?name=${GUEST_IMAGE.name}`)).body.images as any[];
  if (!imgs.some((i) => i.status === "active")) return `minicloud has no active image '${GUEST_IMAGE.name}'`;
  for (const tool of ["ssh", "ssh-keygen"])
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed (openssh-client)`;
  return undefined;
}

/** In before(): fails under CI (BLUEPRINTS_CI=1 or CI=true), skips with the reason elsewhere. */
export async function requireGuests(ctx: Mocha.Context): Promise<void> {
  const why = await guestsUnavailable();
  if (!why) return;
  unavailableHere(ctx, `minicloud's guests profile is not available: ${why}`);
}

/**
 * The hosts of the agents serving a network's DHCP and a router (admin view: Neutron's
 * dhcp-agents and l3-agents of the objects), polled until both include the guests host or the
 * time is up; then what Neutron says, for the caller to assert on.
 */
export async function waitGuestsAgents(
  admin: Session,
  networkId: string,
  routerId: string,
  timeoutS = 60,
): Promise<{ dhcp: string[]; l3: string[] }> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const dhcp = (
      (await request(admin, "GET", `${NEUTRON}/networks/${networkId}/dhcp-agents`)).body.agents as any[]
    ).map((a) => a.host as string);
    const l3 = ((await request(admin, "GET", `${NEUTRON}/routers/${routerId}/l3-agents`)).body.agents as any[]).map(
      (a) => a.host as string,
    );
    if ((dhcp.includes(GUESTS_HOST) && l3.includes(GUESTS_HOST)) || Date.now() > deadline) return { dhcp, l3 };
    await sleep(1000);
  }
}

/** Who logs in to a guest: a key file (no passphrase) and the guest's user. */
export interface GuestLogin {
  keyFile: string;
  user: string;
}

/**
 * ssh's argv for one command in a fresh guest: key only (BatchMode, never a password prompt), and
 * no host key kept (every guest is new, and a floating IP is handed to the next guest after it).
 */
export function guestSshArgs(login: GuestLogin, address: string, command: string, connectTimeout = 10): string[] {
  return [
    "-q",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    `ConnectTimeout=${connectTimeout}`,
    "-i",
    login.keyFile,
    `${login.user}@${address}`,
    command,
  ];
}

/** Runs one command in a guest over ssh (guestSshArgs); its stdout. */
export async function guestSsh(
  login: GuestLogin,
  address: string,
  command: string,
  timeoutMs = 60_000,
): Promise<string> {
  const { stdout } = await execFileP("ssh", guestSshArgs(login, address, command), { timeout: timeoutMs });
  return stdout;
}

/**
 * Polls `probe` every 3 s until it returns a value, for at most `timeoutS`; a probe that throws
 * counts as "not yet", and its last message goes into the timeout error.
 */
export async function waitUntil<T>(what: string, timeoutS: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutS * 1000;
  let last = "";
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message.split("\n")[0] ?? "";
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutS} s waiting for ${what} (last: ${last})`);
    await sleep(3000);
  }
}

/** The last `lines` lines of a server's console (for a failure message), or why there is none. */
export async function serverConsoleTail(cloud: string, serverId: string, lines = 40): Promise<string> {
  const s = await session(cloud);
  const out = await request<{ output?: string }>(s, "POST", `${NOVA}/servers/${serverId}/action`, {
    ...H,
    body: { "os-getConsoleOutput": { length: lines } },
  }).catch((e: Error) => ({ body: { output: `(no console: ${e.message})` } }));
  return String(out.body.output ?? "");
}

export type TcpOutcome = "connected" | "refused" | "timeout";

/** One TCP connection attempt: a security group's DROP is a timeout, a closed port a refusal. */
export function tcpProbe(host: string, port: number, timeoutMs = 5000): Promise<TcpOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (o: TcpOutcome) => {
      sock.destroy();
      resolve(o);
    };
    sock.setTimeout(timeoutMs, () => done("timeout"));
    sock.on("connect", () => done("connected"));
    sock.on("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNREFUSED" ? "refused" : "timeout"));
  });
}

export interface GuestOptions {
  /** Flavor name (default m1.small: 1 vCPU, 2 GB). */
  flavor?: string;
  /** Subnet of the tenant network. */
  cidr?: string;
  /** The project (clouds.yaml entry) the lab works in (default minicloud-a). */
  project?: string;
  /** User data for the server (a #cloud-config document), given to boot(). */
  userData?: string;
}

export class GuestLab {
  readonly prefix = `guests-e2e-${crypto.randomBytes(3).toString("hex")}`;
  readonly work = fs.mkdtempSync(path.join(os.tmpdir(), "minicloud-guests-"));
  readonly keyFile = path.join(this.work, "id_ed25519");
  readonly cidr: string;
  /** The DHCP host route the subnet hands out (a documentation network, via an unused address). */
  readonly hostRoute: { destination: string; nexthop: string };
  networkId?: string;
  subnetId?: string;
  routerId?: string;
  routerInterface = false;
  sgId?: string;
  sshRuleId?: string;
  keypair?: string;
  readonly servers: string[] = [];
  readonly fips: string[] = [];
  /** Cinder volumes made by createVolume(), deleted (after their servers) by cleanup(). */
  readonly volumes: string[] = [];

  private constructor(
    readonly user: Session,
    readonly admin: Session,
    opts: GuestOptions,
  ) {
    this.cidr = opts.cidr ?? "10.231.7.0/24";
    const base = this.cidr.split("/")[0]!.split(".").slice(0, 3).join(".");
    this.hostRoute = { destination: "192.0.2.0/24", nexthop: `${base}.254` };
  }

  static async create(opts: GuestOptions = {}): Promise<GuestLab> {
    return new GuestLab(await session(opts.project ?? "minicloud-a"), await session("minicloud-admin"), opts);
  }

  /** Network, subnet, router to `public`, security group (ssh from this host only), key pair. */
  async network(): Promise<void> {
    const s = this.user;
    this.networkId = (
      await request(s, "POST", `${NEUTRON}/networks`, {
        // The zone hint is what gives this network a DHCP server (see minicloud's schedulers).
        body: { network: { name: this.prefix, availability_zone_hints: [GUESTS_AZ] } },
      })
    ).body.network.id;
    this.subnetId = (
      await request(s, "POST", `${NEUTRON}/subnets`, {
        body: {
          subnet: {
            name: this.prefix,
            network_id: this.networkId,
            ip_version: 4,
            cidr: this.cidr,
            enable_dhcp: true,
            host_routes: [this.hostRoute],
          },
        },
      })
    ).body.subnet.id;
    const pub = (await request(s, "GET", `${NEUTRON}/networks?name=${EXTERNAL_NETWORK.name}`)).body.networks[0];
    this.routerId = (
      await request(s, "POST", `${NEUTRON}/routers`, {
        body: {
          router: {
            name: this.prefix,
            availability_zone_hints: [GUESTS_AZ],
            external_gateway_info: { network_id: pub.id },
          },
        },
      })
    ).body.router.id;
    await request(s, "PUT", `${NEUTRON}/routers/${this.routerId}/add_router_interface`, {
      body: { subnet_id: this.subnetId },
    });
    this.routerInterface = true;
    this.sgId = (
      await request(s, "POST", `${NEUTRON}/security-groups`, {
        body: { security_group: { name: this.prefix, description: "ssh from the host on public only" } },
      })
    ).body.security_group.id;
    this.sshRuleId = await this.allowTcp(22);
    fs.rmSync(this.keyFile, { force: true });
    await execFileP("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", this.prefix, "-f", this.keyFile]);
    const publicKey = fs.readFileSync(`${this.keyFile}.pub`, "utf8").trim();
    await request(s, "POST", `${NOVA}/os-keypairs`, {
      ...H,
      body: { keypair: { name: this.prefix, public_key: publicKey } },
    });
    this.keypair = this.prefix;
  }

  /**
   * Which agents host the network's DHCP and the router (admin view), polled until both are on
   * the guests host: a guest on a network nobody serves would only show up as an ssh timeout.
   */
  async waitAgents(timeoutS = 60): Promise<{ dhcp: string[]; l3: string[] }> {
    return waitGuestsAgents(this.admin, this.networkId!, this.routerId!, timeoutS);
  }

  /** An ingress rule for one TCP port from this host's address on `public` only. */
  async allowTcp(port: number): Promise<string> {
    return (
      await request(this.user, "POST", `${NEUTRON}/security-group-rules`, {
        body: {
          security_group_rule: {
            security_group_id: this.sgId,
            direction: "ingress",
            ethertype: "IPv4",
            protocol: "tcp",
            port_range_min: port,
            port_range_max: port,
            remote_ip_prefix: HOST_ON_PUBLIC,
          },
        },
      })
    ).body.security_group_rule.id;
  }

  async deleteRule(id: string): Promise<void> {
    await request(this.user, "DELETE", `${NEUTRON}/security-group-rules/${id}`, { expect: [204, 404] });
  }

  /** POST /servers in zone `guests`; returns the server id at once (the create call's time). */
  async boot(name: string, opts: GuestOptions = {}): Promise<string> {
    const s = this.user;
    const image = (await request(s, "GET", `${GLANCE}/images?name=${GUEST_IMAGE.name}`)).body.images.find(
      (i: any) => i.status === "active",
    );
    if (!image) throw new Error(`no active image ${GUEST_IMAGE.name}`);
    const flavorName = opts.flavor ?? "m1.small";
    const flavor = ((await request(s, "GET", `${NOVA}/flavors`, H)).body.flavors as any[]).find(
      (f) => f.name === flavorName,
    );
    if (!flavor) throw new Error(`no flavor ${flavorName}`);
    const id = (
      await request(s, "POST", `${NOVA}/servers`, {
        ...H,
        body: {
          server: {
            name: `${this.prefix}-${name}`,
            imageRef: image.id,
            flavorRef: flavor.id,
            networks: [{ uuid: this.networkId }],
            security_groups: [{ name: this.prefix }],
            key_name: this.keypair,
            availability_zone: GUESTS_AZ,
            ...(opts.userData ? { user_data: Buffer.from(opts.userData).toString("base64") } : {}),
          },
        },
      })
    ).body.server.id as string;
    this.servers.push(id);
    return id;
  }

  async server(id: string): Promise<any> {
    return (await request(this.admin, "GET", `${NOVA}/servers/${id}`, H)).body.server;
  }

  /** Waits for ACTIVE; an ERROR fails at once with Nova's fault message. */
  async waitActive(id: string, timeoutS = 600): Promise<any> {
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const sv = await this.server(id);
      if (sv.status === "ACTIVE") return sv;
      if (sv.status === "ERROR")
        throw new Error(`server ${id} went to ERROR: ${JSON.stringify(sv.fault ?? {}).slice(0, 1500)}`);
      if (Date.now() > deadline) throw new Error(`server ${id} not ACTIVE after ${timeoutS} s (status ${sv.status})`);
      await sleep(1000);
    }
  }

  /** A floating IP on `public` for the server's port; returns the address. */
  async floatingIp(serverId: string): Promise<string> {
    const s = this.user;
    const port = (await request(s, "GET", `${NEUTRON}/ports?device_id=${serverId}`)).body.ports[0];
    if (!port) throw new Error(`server ${serverId} has no port`);
    const pub = (await request(s, "GET", `${NEUTRON}/networks?name=${EXTERNAL_NETWORK.name}`)).body.networks[0];
    const fip = (
      await request(s, "POST", `${NEUTRON}/floatingips`, {
        body: { floatingip: { floating_network_id: pub.id, port_id: port.id } },
      })
    ).body.floatingip;
    this.fips.push(fip.id);
    return fip.floating_ip_address as string;
  }

  async consoleTail(serverId: string, lines = 60): Promise<string> {
    try {
      const out = await request(this.user, "POST", `${NOVA}/servers/${serverId}/action`, {
        ...H,
        body: { "os-getConsoleOutput": { length: lines } },
      });
      return String(out.body.output ?? "");
    } catch (e) {
      return `(no console output: ${(e as Error).message})`;
    }
  }

  sshArgs(address: string, command: string, connectTimeout = 10): string[] {
    return guestSshArgs({ keyFile: this.keyFile, user: GUEST_IMAGE.user }, address, command, connectTimeout);
  }

  async ssh(address: string, command: string, timeoutMs = 60_000): Promise<string> {
    return guestSsh({ keyFile: this.keyFile, user: GUEST_IMAGE.user }, address, command, timeoutMs);
  }

  /** Retries ssh until a login works; on timeout the error carries the console's tail. */
  async waitSsh(serverId: string, address: string, timeoutS = 900): Promise<void> {
    const deadline = Date.now() + timeoutS * 1000;
    let last: string;
    for (;;) {
      try {
        await this.ssh(address, "true", 20_000);
        return;
      } catch (e) {
        last = (e as Error).message.split("\n")[0] ?? "";
      }
      const sv = await this.server(serverId);
      if (sv.status !== "ACTIVE")
        throw new Error(`server left ACTIVE (${sv.status}) before ssh answered:\n${await this.consoleTail(serverId)}`);
      if (Date.now() > deadline)
        throw new Error(
          `no ssh login on ${address} after ${timeoutS} s (last: ${last}); console:\n${await this.consoleTail(serverId)}`,
        );
      await sleep(3000);
    }
  }

  /**
   * `cloud-init status --wait`; cloud-init's config stage restarts sshd, so a login that lands in
   * that moment is refused and asked again a few times.
   */
  async waitCloudInit(address: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ssh(address, "cloud-init status --wait --long", 15 * 60_000);
      } catch (e) {
        if (attempt >= 5) throw e;
        await sleep(5000);
      }
    }
  }

  /** Resident memory of the guest's QEMU process (MiB), read through libvirt's pid file. */
  async qemuRssMiB(serverId: string): Promise<number | undefined> {
    const sv = await this.server(serverId);
    const name = sv["OS-EXT-SRV-ATTR:instance_name"];
    if (sv["OS-EXT-SRV-ATTR:host"] !== GUESTS_HOST || !name) return undefined;
    try {
      const pid = fs.readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
      return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Deletes one server and the floating IPs made so far (between bench rounds), waiting until it is gone. */
  async removeServer(id: string): Promise<void> {
    for (const f of this.fips.splice(0))
      await request(this.user, "DELETE", `${NEUTRON}/floatingips/${f}`, { expect: [204, 404] });
    await request(this.user, "DELETE", `${NOVA}/servers/${id}`, { ...H, expect: [204, 404] });
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      try {
        await request(this.user, "GET", `${NOVA}/servers/${id}`, H);
      } catch (e) {
        if (e instanceof HttpError && e.status === 404) {
          this.servers.splice(this.servers.indexOf(id), 1);
          return;
        }
        throw e;
      }
      await sleep(1000);
    }
    throw new Error(`server ${id} still there 180 s after its deletion`);
  }

  /** Cinder volume URL of the lab's project. */
  volumeUrl(id = ""): string {
    return `${CINDER}/${this.user.projectId}/volumes${id ? `/${id}` : ""}`;
  }

  /** A new empty volume (GiB) in Cinder; returns its id at once (see waitVolume). */
  async createVolume(name: string, sizeGiB = 1): Promise<string> {
    const id = (
      await request(this.user, "POST", this.volumeUrl(), {
        body: { volume: { name: `${this.prefix}-${name}`, size: sizeGiB } },
        expect: [202],
      })
    ).body.volume.id as string;
    this.volumes.push(id);
    return id;
  }

  async volume(id: string): Promise<any> {
    return (await request(this.user, "GET", this.volumeUrl(id))).body.volume;
  }

  /** Waits for a volume status; `error*` fails at once. */
  async waitVolume(id: string, status: string, timeoutS = 180): Promise<any> {
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const v = await this.volume(id);
      if (v.status === status) return v;
      if (String(v.status).startsWith("error"))
        throw new Error(`volume ${id} went to ${v.status} while waiting for ${status} (see cinder-volume.log)`);
      if (Date.now() > deadline) throw new Error(`volume ${id} not ${status} after ${timeoutS} s (status ${v.status})`);
      await sleep(1000);
    }
  }

  /**
   * Attaches a volume to a server through Nova and waits until Cinder says in-use. A failed
   * attachment (the volume falls back to available) fails at once with Nova's error for it.
   */
  async attachVolume(serverId: string, volumeId: string, timeoutS = 180): Promise<any> {
    const att = (
      await request(this.user, "POST", `${NOVA}/servers/${serverId}/os-volume_attachments`, {
        ...H,
        body: { volumeAttachment: { volumeId } },
      })
    ).body.volumeAttachment;
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const v = await this.volume(volumeId);
      if (v.status === "in-use") return att;
      const actions = (await request(this.admin, "GET", `${NOVA}/servers/${serverId}/os-instance-actions`, H)).body
        .instanceActions as any[];
      const attach = actions.find((a) => a.action === "attach_volume");
      if (attach?.message === "Error") {
        const detail = (
          await request(this.admin, "GET", `${NOVA}/servers/${serverId}/os-instance-actions/${attach.request_id}`, H)
        ).body.instanceAction;
        const tb = (detail.events ?? []).map((e: any) => e.traceback ?? "").join("\n");
        throw new Error(`Nova failed to attach volume ${volumeId}:\n${tb.split("\n").slice(-6).join("\n")}`);
      }
      if (Date.now() > deadline) throw new Error(`volume ${volumeId} not in-use after ${timeoutS} s (${v.status})`);
      await sleep(1000);
    }
  }

  /** Detaches through Nova and waits until Cinder says available. */
  async detachVolume(serverId: string, volumeId: string): Promise<void> {
    await request(this.user, "DELETE", `${NOVA}/servers/${serverId}/os-volume_attachments/${volumeId}`, {
      ...H,
      expect: [202],
    });
    await this.waitVolume(volumeId, "available");
  }

  /** Removes everything this lab made, in dependency order; returns what could not be removed. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    const s = this.user;
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        problems.push(`${what}: ${(e as Error).message.slice(0, 300)}`);
      }
    };
    for (const id of this.fips)
      await attempt(`floating IP ${id}`, () =>
        request(s, "DELETE", `${NEUTRON}/floatingips/${id}`, { expect: [204, 404] }),
      );
    for (const id of this.servers)
      await attempt(`server ${id}`, () => request(s, "DELETE", `${NOVA}/servers/${id}`, { ...H, expect: [204, 404] }));
    for (const id of this.servers)
      await attempt(`server ${id} gone`, async () => {
        const deadline = Date.now() + 180_000;
        for (;;) {
          try {
            await request(s, "GET", `${NOVA}/servers/${id}`, H);
          } catch (e) {
            if (e instanceof HttpError && e.status === 404) return;
            throw e;
          }
          if (Date.now() > deadline) throw new Error("still there after 180 s");
          await sleep(1000);
        }
      });
    // Volumes once their servers are gone (deleting a server detaches its volumes).
    for (const id of this.volumes)
      await attempt(`volume ${id}`, async () => {
        const deadline = Date.now() + 180_000;
        for (;;) {
          let v: any;
          try {
            v = await this.volume(id);
          } catch (e) {
            if (e instanceof HttpError && e.status === 404) return;
            throw e;
          }
          if (v.status !== "deleting" && !String(v.status).endsWith("ing")) {
            await request(s, "DELETE", this.volumeUrl(id), { expect: [202, 404, 400] });
          } else if (v.status !== "deleting" && Date.now() > deadline - 150_000) {
            // Stuck half-way (a failed attach leaves it `attaching`): as admin, mark it detached.
            await request(this.admin, "POST", `${CINDER}/${this.admin.projectId}/volumes/${id}/action`, {
              body: { "os-reset_status": { status: "available", attach_status: "detached" } },
              expect: [202],
            });
          }
          if (Date.now() > deadline) throw new Error(`still there after 180 s (status ${v.status})`);
          await sleep(2000);
        }
      });
    if (this.routerId && this.routerInterface)
      await attempt("router interface", () =>
        request(s, "PUT", `${NEUTRON}/routers/${this.routerId}/remove_router_interface`, {
          body: { subnet_id: this.subnetId },
          expect: [200, 404],
        }),
      );
    if (this.routerId)
      await attempt("router", () =>
        request(s, "DELETE", `${NEUTRON}/routers/${this.routerId}`, { expect: [204, 404] }),
      );
    if (this.networkId)
      await attempt("network", () =>
        request(s, "DELETE", `${NEUTRON}/networks/${this.networkId}`, { expect: [204, 404] }),
      );
    if (this.sgId)
      await attempt("security group", () =>
        request(s, "DELETE", `${NEUTRON}/security-groups/${this.sgId}`, { expect: [204, 404] }),
      );
    if (this.keypair)
      await attempt("key pair", () =>
        request(s, "DELETE", `${NOVA}/os-keypairs/${this.keypair}`, { ...H, expect: [202, 204, 404] }),
      );
    fs.rmSync(this.work, { recursive: true, force: true });
    return problems;
  }
}
