/** Nova (compute) API: servers and their actions, flavors, keypairs, simple tenant usage. */
import { OpenStackError } from "./errors";
import { Session } from "./session";
import { WaitOptions, waitFor } from "./wait";

/** Microversion sent by default: 2.47 embeds flavors in servers, 2.45 returns createImage's id, 2.40 pages usage. */
export const DEFAULT_COMPUTE_MICROVERSION = "2.79";

/** Compares two "X.Y" microversions numerically ("2.9" < "2.10"). */
export function compareMicroversions(a: string, b: string): number {
  const [amaj, amin] = a.split(".").map(Number);
  const [bmaj, bmin] = b.split(".").map(Number);
  return amaj - bmaj || amin - bmin;
}

/** The compute API's version document as Nova serves it at its versioned endpoint (or the root list). */
export interface ComputeVersion {
  id: string;
  status?: string;
  /** Highest microversion ("" when the API has no microversions, i.e. legacy v2). */
  version: string;
  min_version: string;
}

export interface EmbeddedFlavor {
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  swap: number;
  original_name: string;
  extra_specs?: Record<string, string>;
}

export interface Server {
  id: string;
  name: string;
  status: string;
  tenant_id: string;
  user_id?: string;
  key_name?: string | null;
  /** "" for boot-from-volume servers. */
  image: "" | { id: string };
  flavor: EmbeddedFlavor | { id: string };
  addresses: Record<
    string,
    { addr: string; version: number; "OS-EXT-IPS:type"?: string; "OS-EXT-IPS-MAC:mac_addr"?: string }[]
  >;
  security_groups?: { name: string }[];
  metadata?: Record<string, string>;
  "OS-EXT-STS:task_state"?: string | null;
  "OS-EXT-STS:vm_state"?: string;
  "os-extended-volumes:volumes_attached"?: { id: string; delete_on_termination?: boolean }[];
  fault?: { code: number; message: string; details?: string };
  created?: string;
}

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  "OS-FLV-EXT-DATA:ephemeral"?: number;
  swap: number | "";
  "os-flavor-access:is_public"?: boolean;
  extra_specs?: Record<string, string>;
}

export interface Keypair {
  name: string;
  public_key: string;
  fingerprint: string;
  type?: string;
  /** Only when Nova generated the key (create without public_key, microversion < 2.92). */
  private_key?: string;
}

export interface CreateServerRequest {
  name: string;
  flavorRef: string;
  imageRef?: string;
  key_name?: string;
  networks: ({ uuid: string } | { port: string } | { uuid: string; fixed_ip: string })[] | "auto" | "none";
  security_groups?: { name: string }[];
  metadata?: Record<string, string>;
  user_data?: string;
  availability_zone?: string;
  block_device_mapping_v2?: Record<string, unknown>[];
}

export interface ServerUsage {
  instance_id: string;
  name: string;
  hours: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  flavor: string;
  started_at: string;
  ended_at: string | null;
  state: string;
  uptime: number;
  tenant_id: string;
}

export interface TenantUsage {
  tenant_id: string;
  start: string;
  stop: string;
  total_hours: number;
  total_vcpus_usage: number;
  total_memory_mb_usage: number;
  total_local_gb_usage: number;
  server_usages: ServerUsage[];
}

type Link = { rel: string; href: string };

/** Formats a Date the way os-simple-tenant-usage wants it: no timezone, UTC. */
export function usageTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace(/Z$/, "")
    .replace(/\.000$/, "");
}

export class Nova {
  private negotiated?: Promise<string>;

  /** The microversion sent with every call; `negotiateMicroversion` lowers it to what the cloud offers. */
  constructor(
    private readonly session: Session,
    public microversion = DEFAULT_COMPUTE_MICROVERSION,
  ) {}

  /** Reads the compute version document (GET on the versioned endpoint, `{"version": …}`). */
  async versionDocument(): Promise<ComputeVersion> {
    const { body } = await this.session.json<{ version?: ComputeVersion; versions?: ComputeVersion[] }>("compute", {
      method: "GET",
      path: "",
    });
    if (body?.version) return body.version;
    // An endpoint without a version in its path answers the list of versions.
    const current = body?.versions?.find((v) => v.id === "v2.1") ?? body?.versions?.find((v) => v.status === "CURRENT");
    if (current) return current;
    throw new Error('the compute endpoint answered no version document (expected {"version": {…}})');
  }

  /**
   * Sets the microversion to min(wanted, the cloud's maximum) instead of sending a fixed one
   * that an older Nova answers with 406. Refuses when the cloud's maximum is below `minimum`
   * (what the caller's features need). Done once per client; later calls reuse the answer.
   */
  negotiateMicroversion(wanted = this.microversion, minimum = "2.1"): Promise<string> {
    if (!this.negotiated) {
      this.negotiated = (async () => {
        const doc = await this.versionDocument();
        const max = doc.version || "2.0";
        if (compareMicroversions(max, minimum) < 0) {
          throw new Error(
            `the compute API offers microversions up to ${doc.version || "none (legacy v2)"}, but ${minimum} or later is needed; upgrade Nova or use a cloud that offers ${minimum}`,
          );
        }
        this.microversion = compareMicroversions(max, wanted) < 0 ? max : wanted;
        return this.microversion;
      })();
      this.negotiated.catch(() => (this.negotiated = undefined)); // a failed probe may be tried again
    }
    return this.negotiated;
  }

  private headers(): Record<string, string> {
    return {
      "OpenStack-API-Version": `compute ${this.microversion}`,
      "X-OpenStack-Nova-API-Version": this.microversion,
    };
  }

  private async call<T>(
    method: string,
    path: string,
    extra: {
      body?: unknown;
      query?: Record<string, string | number | boolean | undefined>;
      okStatuses?: number[];
      retryConflict?: boolean;
    } = {},
  ): Promise<T> {
    const { body } = await this.session.json<T>("compute", { method, path, headers: this.headers(), ...extra });
    return body;
  }

  // ---- servers ----
  async getServer(id: string): Promise<Server> {
    return (await this.call<{ server: Server }>("GET", `/servers/${enc(id)}`)).server;
  }

  /** Returns undefined when the server does not exist (404). */
  async findServer(id: string): Promise<Server | undefined> {
    try {
      return await this.getServer(id);
    } catch (e) {
      if (e instanceof OpenStackError && e.status === 404) return undefined;
      throw e;
    }
  }

  async listServers(query: Record<string, string | number | boolean | undefined> = {}): Promise<Server[]> {
    return this.paged<Server>("/servers/detail", "servers", query);
  }

  async createServer(req: CreateServerRequest): Promise<{ id: string; adminPass?: string }> {
    return (
      await this.call<{ server: { id: string; adminPass?: string } }>("POST", "/servers", { body: { server: req } })
    ).server;
  }

  async deleteServer(id: string): Promise<void> {
    await this.call("DELETE", `/servers/${enc(id)}`, { okStatuses: [404] });
  }

  async updateServer(id: string, changes: { name?: string; description?: string }): Promise<Server> {
    return (await this.call<{ server: Server }>("PUT", `/servers/${enc(id)}`, { body: { server: changes } })).server;
  }

  /** Sends a server action. 409 (another task in progress) is retried with backoff: Nova refused, nothing ran. */
  async action<T = unknown>(id: string, action: Record<string, unknown>): Promise<T> {
    return this.call<T>("POST", `/servers/${enc(id)}/action`, { body: action, retryConflict: true });
  }

  /** Snapshots a server; returns the new image id (microversion ≥ 2.45). */
  async createImage(id: string, name: string, metadata: Record<string, string> = {}): Promise<string> {
    const r = await this.action<{ image_id?: string }>(id, { createImage: { name, metadata } });
    if (!r?.image_id)
      throw new Error(`createImage on server ${id} returned no image_id (microversion ${this.microversion} < 2.45?)`);
    return r.image_id;
  }

  stop(id: string): Promise<unknown> {
    return this.action(id, { "os-stop": null });
  }
  start(id: string): Promise<unknown> {
    return this.action(id, { "os-start": null });
  }
  shelve(id: string): Promise<unknown> {
    return this.action(id, { shelve: null });
  }
  unshelve(id: string): Promise<unknown> {
    return this.action(id, { unshelve: null });
  }
  reboot(id: string, type: "SOFT" | "HARD" = "SOFT"): Promise<unknown> {
    return this.action(id, { reboot: { type } });
  }

  /** Console log of the server (last `length` lines, or all). */
  async consoleOutput(id: string, length?: number): Promise<string> {
    const r = await this.action<{ output: string }>(id, {
      "os-getConsoleOutput": length === undefined ? {} : { length },
    });
    return r.output;
  }

  /** Security groups of a server as Nova reports them (names + ids). */
  async serverSecurityGroups(id: string): Promise<{ id: string; name: string }[]> {
    return (
      await this.call<{ security_groups: { id: string; name: string }[] }>(
        "GET",
        `/servers/${enc(id)}/os-security-groups`,
      )
    ).security_groups;
  }

  /** Waits for a server status; fails fast on ERROR with Nova's fault message. */
  async waitForServer(id: string, statuses: string[], opts: WaitOptions = {}): Promise<Server> {
    return waitFor(
      `server ${id} → ${statuses.join("|")}`,
      () => this.getServer(id),
      (s) => statuses.includes(s.status) && !s["OS-EXT-STS:task_state"],
      (s) =>
        s.status === "ERROR" && !statuses.includes("ERROR")
          ? `server is ERROR: ${s.fault?.message ?? "no fault recorded"}`
          : undefined,
      opts,
    );
  }

  /** Waits until a server is gone (404). */
  async waitForServerDeleted(id: string, opts: WaitOptions = {}): Promise<void> {
    await waitFor(
      `server ${id} deleted`,
      () => this.findServer(id),
      (s) => s === undefined,
      () => undefined,
      opts,
    );
  }

  /** The volumes attached to a server, in Nova's order, with their device names. */
  async listVolumeAttachments(id: string): Promise<{ volumeId: string; device?: string; id?: string }[]> {
    return (
      await this.call<{ volumeAttachments: { volumeId: string; device?: string; id?: string }[] }>(
        "GET",
        `/servers/${enc(id)}/os-volume_attachments`,
      )
    ).volumeAttachments;
  }

  /** Attaches a volume (the device name is a hint: libvirt picks the next free one). */
  async attachVolume(id: string, volumeId: string, device?: string): Promise<void> {
    await this.call("POST", `/servers/${enc(id)}/os-volume_attachments`, {
      body: { volumeAttachment: { volumeId, ...(device ? { device } : {}) } },
      retryConflict: true,
    });
  }

  async detachVolume(id: string, volumeId: string): Promise<void> {
    await this.call("DELETE", `/servers/${enc(id)}/os-volume_attachments/${enc(volumeId)}`, {
      okStatuses: [404],
      retryConflict: true,
    });
  }

  /** The availability zones a user may boot into, with whether each is available (os-availability-zone). */
  async listAvailabilityZones(): Promise<{ zoneName: string; zoneState: { available: boolean } }[]> {
    return (
      await this.call<{ availabilityZoneInfo: { zoneName: string; zoneState: { available: boolean } }[] }>(
        "GET",
        "/os-availability-zone",
      )
    ).availabilityZoneInfo;
  }

  // ---- flavors ----
  async listFlavors(): Promise<Flavor[]> {
    return this.paged<Flavor>("/flavors/detail", "flavors", { is_public: "None" });
  }

  async getFlavor(id: string): Promise<Flavor> {
    return (await this.call<{ flavor: Flavor }>("GET", `/flavors/${enc(id)}`)).flavor;
  }

  async flavorExtraSpecs(id: string): Promise<Record<string, string>> {
    return (await this.call<{ extra_specs: Record<string, string> }>("GET", `/flavors/${enc(id)}/os-extra_specs`))
      .extra_specs;
  }

  /** Creates a flavor (admin only by default policy). */
  async createFlavor(f: {
    name: string;
    vcpus: number;
    ram: number;
    disk: number;
    id?: string;
    "OS-FLV-EXT-DATA:ephemeral"?: number;
    swap?: number;
    "os-flavor-access:is_public"?: boolean;
  }): Promise<Flavor> {
    return (await this.call<{ flavor: Flavor }>("POST", "/flavors", { body: { flavor: f } })).flavor;
  }

  async setFlavorExtraSpecs(id: string, specs: Record<string, string>): Promise<void> {
    await this.call("POST", `/flavors/${enc(id)}/os-extra_specs`, { body: { extra_specs: specs } });
  }

  async deleteFlavor(id: string): Promise<void> {
    await this.call("DELETE", `/flavors/${enc(id)}`, { okStatuses: [404] });
  }

  // ---- keypairs ----
  async listKeypairs(): Promise<Keypair[]> {
    const r = await this.call<{ keypairs: { keypair: Keypair }[] }>("GET", "/os-keypairs");
    return r.keypairs.map((k) => k.keypair);
  }

  async findKeypair(name: string): Promise<Keypair | undefined> {
    try {
      return (await this.call<{ keypair: Keypair }>("GET", `/os-keypairs/${enc(name)}`)).keypair;
    } catch (e) {
      if (e instanceof OpenStackError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Imports a public key. 409 means the name exists (check the fingerprint yourself). */
  async importKeypair(name: string, publicKey: string, type = "ssh"): Promise<Keypair> {
    return (
      await this.call<{ keypair: Keypair }>("POST", "/os-keypairs", {
        body: { keypair: { name, public_key: publicKey, type } },
      })
    ).keypair;
  }

  async deleteKeypair(name: string): Promise<void> {
    await this.call("DELETE", `/os-keypairs/${enc(name)}`, { okStatuses: [404] });
  }

  // ---- quotas ----
  /** Compute quotas of a project (limits only). */
  async getQuotas(projectId: string): Promise<Record<string, number>> {
    return (await this.call<{ quota_set: Record<string, number> }>("GET", `/os-quota-sets/${enc(projectId)}`))
      .quota_set;
  }

  /** Sets compute quotas of a project (admin by default policy). */
  async setQuotas(projectId: string, quotas: Record<string, number>): Promise<Record<string, number>> {
    return (
      await this.call<{ quota_set: Record<string, number> }>("PUT", `/os-quota-sets/${enc(projectId)}`, {
        body: { quota_set: quotas },
      })
    ).quota_set;
  }

  /** Absolute compute limits and usage of the token's project (GET /limits; no admin needed). */
  async absoluteLimits(): Promise<Record<string, number>> {
    return (await this.call<{ limits: { absolute: Record<string, number> } }>("GET", "/limits")).limits.absolute;
  }

  // ---- usage ----
  /**
   * Usage of one project between two instants, all pages merged (follows tenant_usage_links,
   * microversion ≥ 2.40). Nova computes it from the latest flavor and ignores stops.
   */
  async projectUsage(projectId: string, start: Date, end: Date, pageSize = 1000): Promise<TenantUsage> {
    let path = `/os-simple-tenant-usage/${enc(projectId)}`;
    let query: Record<string, string | number> | undefined = {
      start: usageTimestamp(start),
      end: usageTimestamp(end),
      limit: pageSize,
    };
    let merged: TenantUsage | undefined;
    const seen = new Set<string>();
    for (;;) {
      const r: { tenant_usage: Partial<TenantUsage>; tenant_usage_links?: Link[] } = await this.call("GET", path, {
        query,
      });
      const page = r.tenant_usage ?? {};
      if (!merged) {
        merged = {
          tenant_id: page.tenant_id ?? projectId,
          start: page.start ?? usageTimestamp(start),
          stop: page.stop ?? usageTimestamp(end),
          total_hours: 0,
          total_vcpus_usage: 0,
          total_memory_mb_usage: 0,
          total_local_gb_usage: 0,
          server_usages: [],
        };
      }
      merged.total_hours += page.total_hours ?? 0;
      merged.total_vcpus_usage += page.total_vcpus_usage ?? 0;
      merged.total_memory_mb_usage += page.total_memory_mb_usage ?? 0;
      merged.total_local_gb_usage += page.total_local_gb_usage ?? 0;
      merged.server_usages.push(...(page.server_usages ?? []));
      const next = r.tenant_usage_links?.find((l) => l.rel === "next")?.href;
      if (!next || seen.has(next) || (page.server_usages ?? []).length === 0) break;
      seen.add(next);
      path = next;
      query = undefined;
    }
    return merged!;
  }

  /** Lists a collection, following `<key>_links` rel=next until exhausted. */
  private async paged<T>(
    path: string,
    key: string,
    query: Record<string, string | number | boolean | undefined>,
  ): Promise<T[]> {
    const out: T[] = [];
    let p = path;
    let q: typeof query | undefined = query;
    const seen = new Set<string>();
    for (;;) {
      const r = await this.call<Record<string, unknown>>("GET", p, { query: q });
      const items = (r[key] as T[]) ?? [];
      out.push(...items);
      const next = (r[`${key}_links`] as Link[] | undefined)?.find((l) => l.rel === "next")?.href;
      if (!next || seen.has(next) || items.length === 0) return out;
      seen.add(next);
      p = next;
      q = undefined;
    }
  }
}

export const enc = encodeURIComponent;
