/**
 * The migration engine: the seed's nine steps, each recorded in the journal so a crash or
 * Ctrl-C can be resumed without repeating finished steps or duplicating anything in B, and
 * with B cleaned up on failure unless asked to keep it.
 */
import { randomUUID } from "node:crypto";
import type { Transform } from "node:stream";
import {
  EmbeddedFlavor,
  Image,
  ImageHasNoDataError,
  OpenStackClient,
  OpenStackError,
  SecurityGroupRule,
  Server,
} from "@openstack-blueprints/openstack-rest";
import { chooseFlavor } from "./flavor";
import { CreatedResource, Journal } from "./journal";
import { planImageProperties } from "./properties";
import { RuleShape, planRuleCopy } from "./rules";
import type { MigrationSpec, ServerSpec } from "./spec";
import { ChecksumMismatchError, CopyProgress, CopyResult, streamImage } from "./stream-copy";

export type EngineEvent =
  | { type: "step"; server: string; step: string; status: "start" | "done" | "skipped"; detail?: string }
  | { type: "progress"; server: string; progress: CopyProgress }
  | { type: "warning"; server: string; message: string }
  | { type: "snapshot-created"; server: string; imageId: string }
  | { type: "cleanup"; server: string; resource: CreatedResource; ok: boolean; error?: string }
  | { type: "result"; server: string; result: MigrationResult }
  | { type: "error"; server: string; error: string };

export interface EngineOptions {
  journal: Journal;
  /** Keep what was created in B when a migration fails. */
  keep?: boolean;
  onEvent?: (e: EngineEvent) => void;
  /** Limit of the image stream in bytes/s (per server). */
  maxBytesPerSecond?: number;
  /** How long to wait for a snapshot to become active (default 30 min). */
  snapshotTimeoutMs?: number;
  /** Inserted between Glance A and the hashing meter (fault-injection in tests). */
  tapFactory?: () => Transform;
}

export interface MigrationResult {
  source: string;
  targetServerId: string;
  targetServerName: string;
  targetServerStatus: string;
  targetImageId: string;
  sourceImageId: string;
  floatingIp?: string;
  flavor: string;
  keypair?: string;
  securityGroup: string;
  addresses: Record<string, string[]>;
  checksums: { md5: string; hashAlgo: string; hashValue: string };
  bytes: number;
  streamSeconds: number;
}

export class MigrationError extends Error {
  constructor(readonly server: string, readonly step: string, readonly cause: Error, readonly cleanedUp: boolean) {
    super(`server ${server}: ${step} failed: ${cause.message}${cleanedUp ? " (what was created in the target cloud was removed)" : ""}`);
    this.name = "MigrationError";
  }
}

interface Captured {
  serverId: string;
  name: string;
  status: string;
  flavor: EmbeddedFlavor;
  keyName: string | null;
  publicKey?: string;
  groupIds: string[];
  groupNames: string[];
  rules: RuleShape[];
  fixedIps: string[];
  floatingIps: string[];
}

const META_KEY = "s2d_migration";

export class MigrationEngine {
  /** Serialises work on one named thing in B (a shared security group or keypair) across concurrent servers. */
  private readonly locks = new Map<string, Promise<unknown>>();

  private async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    this.locks.set(name, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(name) === run) this.locks.delete(name);
    }
  }

  constructor(private readonly a: OpenStackClient, private readonly b: OpenStackClient, private readonly opts: EngineOptions) {}

  private emit(e: EngineEvent): void {
    this.opts.onEvent?.(e);
  }

  /** Migrates every server of the spec, at most `spec.concurrency` at a time. */
  async runAll(spec: MigrationSpec): Promise<{ results: MigrationResult[]; errors: MigrationError[] }> {
    const results: MigrationResult[] = [];
    const errors: MigrationError[] = [];
    const queue = [...spec.servers];
    const worker = async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        try {
          results.push(await this.migrate(s));
        } catch (e) {
          errors.push(e instanceof MigrationError ? e : new MigrationError(s.source, "migration", e as Error, false));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.servers.length) }, worker));
    return { results, errors };
  }

  /** Migrates one server, resuming from the journal. */
  async migrate(spec: ServerSpec): Promise<MigrationResult> {
    const j = this.opts.journal;
    const key = spec.source;
    const state = j.stateOf(key);
    if (state.done) {
      const result = state.steps.get("overview") as unknown as MigrationResult;
      this.emit({ type: "step", server: key, step: "all", status: "skipped", detail: "already migrated (journal)" });
      return result;
    }
    if (!state.steps.size) j.append({ server: key, kind: "start" });
    let current = "capture";
    const step = async <T extends Record<string, unknown>>(name: string, run: () => Promise<T>): Promise<T> => {
      current = name;
      const prev = j.stateOf(key).steps.get(name);
      if (prev) {
        this.emit({ type: "step", server: key, step: name, status: "skipped", detail: "done before (journal)" });
        return prev as T;
      }
      this.emit({ type: "step", server: key, step: name, status: "start" });
      const out = await run();
      j.append({ server: key, kind: "step", step: name, data: out });
      this.emit({ type: "step", server: key, step: name, status: "done" });
      return out;
    };
    const created = (resource: CreatedResource) => j.append({ server: key, kind: "created", resource });
    const createdOf = (type: CreatedResource["type"]) => j.stateOf(key).created.filter((c) => c.type === type);

    try {
      const cap = (await step("capture", async () => ({ ...(await this.capture(spec)) }))) as unknown as Captured;

      // Optional stop for a consistent disk; started again right after the snapshot.
      if (spec.stopSource) {
        await step("stop-source", async () => {
          const s = await this.a.nova.getServer(cap.serverId);
          if (s.status === "ACTIVE") {
            await this.a.nova.stop(cap.serverId);
            created({ type: "source_stopped", id: cap.serverId, cloud: "A" });
            await this.a.nova.waitForServer(cap.serverId, ["SHUTOFF"], { timeoutMs: 300_000 });
            return { stopped: true };
          }
          return { stopped: false };
        });
      }

      const snap = await step("snapshot", async () => {
        let imageId: string | undefined = createdOf("source_snapshot")[0]?.id;
        if (imageId && !(await this.a.glance.findImage(imageId))) imageId = undefined;
        if (!imageId) {
          imageId = await this.a.nova.createImage(cap.serverId, spec.snapshotName ?? `${cap.name}-s2d-${Date.now()}`, { s2d_source: cap.serverId });
          created({ type: "source_snapshot", id: imageId, cloud: "A" });
        }
        this.emit({ type: "snapshot-created", server: key, imageId });
        const img = await this.a.glance.waitForImage(imageId, ["active"], { timeoutMs: this.opts.snapshotTimeoutMs ?? 1_800_000 });
        if (!img.size) throw new ImageHasNoDataError(imageId);
        return { sourceImageId: imageId as string };
      });

      if (spec.stopSource && createdOf("source_stopped").length) {
        await step("start-source", async () => {
          await this.a.nova.start(cap.serverId);
          j.append({ server: key, kind: "deleted", resource: { type: "source_stopped", id: cap.serverId, cloud: "A" } });
          return { started: true };
        });
      }

      const source = await this.a.glance.getImage(snap.sourceImageId);
      if (source.status !== "active") throw new Error(`source snapshot ${source.id} is ${source.status}, not active`);

      const img = await step("image-create", async () => {
        const props = planImageProperties(source, { s2d_source_image: source.id });
        if (props.dropped.length) this.emit({ type: "warning", server: key, message: `image properties not copied (read-only or cloud-A specific): ${props.dropped.join(", ")}` });
        let id = createdOf("image")[0]?.id;
        if (!id) {
          id = randomUUID();
          created({ type: "image", id, cloud: "B" }); // recorded before the call: a resend hits 409, never a duplicate
        }
        try {
          await this.b.glance.createImage({
            ...props.copy,
            id,
            name: spec.image.name ?? source.name ?? `${cap.name}-s2d`,
            disk_format: spec.image.diskFormat ?? source.disk_format ?? "raw",
            container_format: source.container_format ?? "bare",
            min_disk: source.min_disk,
            min_ram: source.min_ram,
            visibility: spec.image.visibility,
          });
        } catch (e) {
          if (!(e instanceof OpenStackError && e.status === 409)) throw e;
        }
        return { targetImageId: id };
      });

      const data = await step("image-data", async () => ({ ...(await this.copyData(key, source, img.targetImageId)) }));

      const kp = await step("keypair", () => this.withLock(`keypair:${spec.keypair.name ?? cap.keyName}`, async () => ({ keyName: (await this.keypair(spec, cap, created)) ?? null })));
      const sg = await step("security-group", () => this.withLock(`sg:${spec.securityGroup}`, async () => ({ ...(await this.securityGroup(key, spec, cap, created)) })));
      const fl = await step("flavor", async () => {
        const flavors = await this.b.nova.listFlavors();
        const choice = chooseFlavor(cap.flavor, flavors, spec.flavor.name, spec.flavor.matchSpecs);
        for (const w of choice.warnings) this.emit({ type: "warning", server: key, message: w });
        return { flavorId: choice.flavor.id, flavorName: choice.flavor.name, how: choice.how };
      });
      const net = await step("network", async () => ({ networkId: await this.targetNetwork(spec) }));

      const srv = await step("boot", async () => {
        const tag = `${key}@${img.targetImageId}`;
        let id: string | undefined = createdOf("server")[0]?.id;
        if (id && !(await this.b.nova.findServer(id))) id = undefined;
        if (!id) {
          // A crash between Nova's answer and the journal write: find the server by its tag.
          const name = spec.name ?? cap.name;
          const existing = (await this.b.nova.listServers({ name: `^${escapeRegex(name)}$` })).find((s) => s.metadata?.[META_KEY] === tag);
          id = existing?.id;
          if (id) created({ type: "server", id, cloud: "B" });
        }
        if (!id) {
          const r = await this.b.nova.createServer({
            name: spec.name ?? cap.name,
            flavorRef: fl.flavorId,
            imageRef: img.targetImageId,
            ...(kp.keyName ? { key_name: kp.keyName } : {}),
            networks: [{ uuid: net.networkId }],
            security_groups: [{ name: String(sg.groupId) }],
            metadata: { [META_KEY]: tag },
          });
          id = r.id;
          created({ type: "server", id, cloud: "B" });
        }
        await this.b.nova.waitForServer(id, ["ACTIVE"], { timeoutMs: 600_000 });
        return { serverId: id as string };
      });

      const fip = await step("floating-ip", async () => ({ address: (await this.floatingIp(spec, srv.serverId, created)) ?? null }));

      const result = await step("overview", async () => {
        // Read back from cloud B, not from saved data (the seed's step 9).
        const s = await this.b.nova.getServer(srv.serverId);
        const image = await this.b.glance.getImage(img.targetImageId);
        const addresses: Record<string, string[]> = {};
        for (const [netName, list] of Object.entries(s.addresses ?? {})) addresses[netName] = list.map((x) => x.addr);
        const fips = (await this.b.neutron.listFloatingIps({})).filter((f) => f.port_id && Object.values(addresses).flat().includes(f.fixed_ip_address ?? ""));
        const r: MigrationResult = {
          source: key,
          targetServerId: s.id,
          targetServerName: s.name,
          targetServerStatus: s.status,
          targetImageId: image.id,
          sourceImageId: snap.sourceImageId,
          floatingIp: fips[0]?.floating_ip_address ?? (fip.address as string | undefined) ?? undefined,
          flavor: "original_name" in s.flavor ? s.flavor.original_name : s.flavor.id,
          keypair: s.key_name ?? undefined,
          securityGroup: String(sg.groupName),
          addresses,
          checksums: { md5: String(image.checksum), hashAlgo: String(image.os_hash_algo), hashValue: String(image.os_hash_value) },
          bytes: Number(data.bytes),
          streamSeconds: Number(data.elapsedMs) / 1000,
        };
        if (r.checksums.md5 !== data.md5 || r.checksums.hashValue !== data.hashValue) {
          throw new ChecksumMismatchError("B's image checksums at overview vs the verified stream", String(data.md5), r.checksums.md5);
        }
        return { ...r };
      });
      j.append({ server: key, kind: "done" });
      this.emit({ type: "result", server: key, result: result as unknown as MigrationResult });
      return result as unknown as MigrationResult;
    } catch (e) {
      const err = e as Error;
      j.append({ server: key, kind: "failed", step: current, data: { error: err.message } });
      this.emit({ type: "error", server: key, error: `${current}: ${err.message}` });
      let cleaned = false;
      if (!this.opts.keep) {
        await this.cleanup(key);
        cleaned = true;
      }
      throw new MigrationError(key, current, err, cleaned);
    }
  }

  /** Removes what this migration created in B (newest first) and restarts a source it stopped. */
  async cleanup(key: string): Promise<void> {
    const j = this.opts.journal;
    const items = [...j.stateOf(key).created].reverse();
    for (const r of items) {
      if (r.type === "source_snapshot") continue; // kept in A: resume reuses it; the user may delete it
      try {
        switch (r.type) {
          case "floating_ip": await this.b.neutron.deleteFloatingIp(r.id); break;
          case "floating_ip_association": await this.b.neutron.associateFloatingIp(r.id, null).catch((e) => { if (!(e instanceof OpenStackError && e.status === 404)) throw e; }); break;
          case "server": await this.b.nova.deleteServer(r.id); await this.b.nova.waitForServerDeleted(r.id, { timeoutMs: 300_000 }); break;
          case "security_group_rule": await this.b.neutron.deleteSecurityGroupRule(r.id); break;
          case "security_group": await this.b.neutron.deleteSecurityGroup(r.id); break;
          case "keypair": await this.b.nova.deleteKeypair(r.id); break;
          case "image": await this.b.glance.deleteImage(r.id); break;
          case "source_stopped": await this.a.nova.start(r.id); break;
        }
        j.append({ server: key, kind: "deleted", resource: r });
        this.emit({ type: "cleanup", server: key, resource: r, ok: true });
      } catch (e) {
        this.emit({ type: "cleanup", server: key, resource: r, ok: false, error: (e as Error).message });
      }
    }
    j.append({ server: key, kind: "cleaned" });
  }

  private async findSourceServer(ref: string): Promise<Server> {
    const byId = await this.a.nova.findServer(ref);
    if (byId) return byId;
    const named = await this.a.nova.listServers({ name: `^${escapeRegex(ref)}$` });
    if (named.length === 1) return this.a.nova.getServer(named[0].id);
    if (named.length > 1) throw new Error(`source "${ref}" matches ${named.length} servers in A; use the server id`);
    throw new Error(`source server "${ref}" not found in cloud A`);
  }

  private async capture(spec: ServerSpec): Promise<Captured> {
    const s = await this.findSourceServer(spec.source);
    if (s.image === "" || !s.image) {
      throw new Error(
        `server ${s.name} (${s.id}) boots from a volume: its snapshot holds no disk data (only Cinder snapshot references in cloud A). ` +
          "Boot-from-volume migration is not supported: upload the volume to an image in A (cinder upload-to-image) and migrate a server booted from that image",
      );
    }
    if (!("vcpus" in s.flavor)) throw new Error(`Nova returned no embedded flavor for ${s.id}; compute microversion 2.47+ is required`);
    const ports = await this.a.neutron.listPorts({ device_id: s.id });
    const groupIds = [...new Set(ports.flatMap((p) => p.security_groups))];
    const groups = await Promise.all(groupIds.map((g) => this.a.neutron.getSecurityGroup(g)));
    const rules: SecurityGroupRule[] = groups.flatMap((g) => g?.security_group_rules ?? []);
    const floating = (await Promise.all(ports.map((p) => this.a.neutron.listFloatingIps({ port_id: p.id })))).flat();
    let publicKey: string | undefined;
    if (s.key_name) publicKey = (await this.a.nova.findKeypair(s.key_name))?.public_key;
    return {
      serverId: s.id,
      name: s.name,
      status: s.status,
      flavor: s.flavor,
      keyName: s.key_name ?? null,
      publicKey,
      groupIds,
      groupNames: groups.map((g) => g?.name ?? "?"),
      rules: rules.map((r) => ({ direction: r.direction, ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix, remote_group_id: r.remote_group_id, description: r.description })),
      fixedIps: ports.flatMap((p) => p.fixed_ips.map((f) => f.ip_address)),
      floatingIps: floating.map((f) => f.floating_ip_address),
    };
  }

  /** Streams the data (or finds it already there after a resume) and verifies both hashes. */
  private async copyData(key: string, source: Image, targetImageId: string): Promise<CopyResult & Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      let target = await this.b.glance.findImage(targetImageId);
      if (!target) throw new Error(`target image ${targetImageId} vanished from cloud B`);
      if (target.status === "saving" || target.status === "uploading") {
        // An interrupted upload: Glance returns the image to queued once it notices.
        target = await this.b.glance.waitForImage(targetImageId, ["queued", "active"], { timeoutMs: 60_000 }).catch(() => target!);
        if (target.status === "saving" || target.status === "uploading") {
          throw new Error(`target image ${targetImageId} is stuck in ${target.status} after an interrupted upload; delete it in cloud B and run resume again`);
        }
      }
      if (target.status === "active") {
        if (target.checksum === source.checksum && target.os_hash_value === source.os_hash_value) {
          return { bytes: Number(target.size), md5: String(target.checksum), hashAlgo: String(target.os_hash_algo), hashValue: String(target.os_hash_value), elapsedMs: 0 };
        }
        throw new ChecksumMismatchError("B's existing image vs A's", String(source.checksum), String(target.checksum));
      }
      if (target.status !== "queued") throw new Error(`target image ${targetImageId} is ${target.status}; expected queued`);
      // A long transfer must start with fresh tokens on both sides; later calls re-authenticate by themselves.
      await Promise.all([this.a.session.ensureToken(), this.b.session.ensureToken()]);
      try {
        return {
          ...(await streamImage(this.a.glance, source, this.b.glance, targetImageId, {
            onProgress: (p) => this.emit({ type: "progress", server: key, progress: p }),
            maxBytesPerSecond: this.opts.maxBytesPerSecond,
            tap: this.opts.tapFactory?.(),
          })),
        };
      } catch (e) {
        if (e instanceof ChecksumMismatchError) throw e;
        const retryable = (e instanceof OpenStackError && (e.status === 401 || e.status >= 500)) || (e as Error).name === "OpenStackConnectionError";
        if (!retryable || attempt >= 3) throw e;
        this.emit({ type: "warning", server: key, message: `image stream attempt ${attempt} failed (${(e as Error).message}); retrying from the start` });
        if (e instanceof OpenStackError && e.status === 401) await this.b.session.authenticate();
      }
    }
  }

  private async keypair(spec: ServerSpec, cap: Captured, created: (r: CreatedResource) => void): Promise<string | undefined> {
    const mode = spec.keypair.mode;
    if (mode === "none") return undefined;
    const name = spec.keypair.name ?? cap.keyName ?? undefined;
    if (!name) return undefined; // source had no key and none was asked for
    const existing = await this.b.nova.findKeypair(name);
    if (mode === "existing") {
      if (!existing) throw new Error(`keypair "${name}" does not exist in cloud B (keypair.mode is existing); create it there or use mode copy/import`);
      return name;
    }
    const publicKey = mode === "import" ? spec.keypair.publicKey : cap.publicKey;
    if (!publicKey) throw new Error(`keypair "${cap.keyName}" of the source server could not be read in cloud A (keypairs belong to users); give keypair.publicKey with mode import`);
    if (existing) {
      if (sameKey(existing.public_key, publicKey)) return name;
      throw new Error(`keypair "${name}" already exists in cloud B with a different public key; choose another keypair.name`);
    }
    try {
      await this.b.nova.importKeypair(name, publicKey.trim());
      created({ type: "keypair", id: name, cloud: "B" });
    } catch (e) {
      if (!(e instanceof OpenStackError && e.status === 409)) throw e;
    }
    return name;
  }

  private async securityGroup(key: string, spec: ServerSpec, cap: Captured, created: (r: CreatedResource) => void): Promise<Record<string, unknown>> {
    const projectId = (await this.b.session.ensureToken(), this.b.session.projectId);
    const wanted = spec.securityGroup;
    let group = (await this.b.neutron.listSecurityGroups({ name: wanted, project_id: projectId }))[0];
    if (!group) {
      const mine = j(this.opts.journal, key).find((c) => c.type === "security_group");
      group = mine ? (await this.b.neutron.getSecurityGroup(mine.id))! : undefined!;
    }
    if (!group) {
      if (wanted === "default") throw new Error("the default security group of project B was not found");
      group = await this.b.neutron.createSecurityGroup({ name: wanted, description: `migrated from ${cap.groupNames.join(", ")} by s2d` });
      created({ type: "security_group", id: group.id, cloud: "B" });
    }
    const existing = await this.b.neutron.listSecurityGroupRules({ security_group_id: group.id });
    const plan = planRuleCopy(cap.rules, cap.groupIds, group.id, existing);
    for (const u of plan.unmapped) this.emit({ type: "warning", server: key, message: `rule not copied: ${u.reason}` });
    let added = 0;
    for (const r of plan.create) {
      try {
        const rule = await this.b.neutron.createSecurityGroupRule({ ...r, security_group_id: group.id, description: r.description || undefined });
        created({ type: "security_group_rule", id: rule.id, cloud: "B" });
        added++;
      } catch (e) {
        if (!(e instanceof OpenStackError && e.status === 409)) throw e; // exists: a concurrent migration added it
      }
    }
    return { groupId: group.id, groupName: group.name, rulesAdded: added, duplicatesSkipped: plan.skippedDuplicates, unmapped: plan.unmapped.length };
  }

  private async targetNetwork(spec: ServerSpec): Promise<string> {
    const nets = await this.b.neutron.listNetworks({});
    if (spec.network) {
      const n = nets.find((x) => x.id === spec.network) ?? nets.filter((x) => x.name === spec.network);
      if (Array.isArray(n)) {
        if (n.length === 1) return n[0].id;
        throw new Error(`network "${spec.network}" ${n.length ? "is ambiguous" : "not found"} in cloud B (have: ${nets.map((x) => x.name).join(", ")}); set network to an id`);
      }
      return n.id;
    }
    const internal = nets.filter((x) => !x["router:external"]);
    if (internal.length === 1) return internal[0].id;
    throw new Error(`cloud B has ${internal.length} non-external networks (${internal.map((x) => x.name).join(", ")}); set network in the spec`);
  }

  private async floatingIp(spec: ServerSpec, serverId: string, created: (r: CreatedResource) => void): Promise<string | undefined> {
    if (spec.floatingIp === "none") return undefined;
    const ports = await this.b.neutron.listPorts({ device_id: serverId });
    const port = ports[0];
    if (!port) throw new Error(`server ${serverId} has no port in cloud B`);
    const attached = await this.b.neutron.listFloatingIps({ port_id: port.id });
    if (attached.length) return attached[0].floating_ip_address;
    if (spec.floatingIp === "new") {
      const nets = await this.b.neutron.listNetworks({ "router:external": true });
      const ext = spec.floatingNetwork ? nets.find((n) => n.id === spec.floatingNetwork || n.name === spec.floatingNetwork) : nets.length === 1 ? nets[0] : undefined;
      if (!ext) throw new Error(spec.floatingNetwork ? `external network "${spec.floatingNetwork}" not found in cloud B` : `cloud B has ${nets.length} external networks; set floatingNetwork`);
      const f = await this.b.neutron.createFloatingIp({ floating_network_id: ext.id, port_id: port.id, description: "s2d migration" });
      created({ type: "floating_ip", id: f.id, cloud: "B" });
      return f.floating_ip_address;
    }
    const f = (await this.b.neutron.listFloatingIps({ floating_ip_address: spec.floatingIp }))[0];
    if (!f) throw new Error(`floating IP ${spec.floatingIp} is not allocated to project B; allocate it or use "new"`);
    if (f.port_id && f.port_id !== port.id) throw new Error(`floating IP ${spec.floatingIp} is already associated with port ${f.port_id} in cloud B`);
    await this.b.neutron.associateFloatingIp(f.id, port.id);
    created({ type: "floating_ip_association", id: f.id, cloud: "B" });
    return f.floating_ip_address;
  }
}

function j(journal: Journal, key: string): CreatedResource[] {
  return journal.stateOf(key).created;
}

function sameKey(a: string, b: string): boolean {
  const body = (k: string) => k.trim().split(/\s+/).slice(0, 2).join(" ");
  return body(a) === body(b);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
