/**
 * The migration engine: the TU Crete S2D service's nine steps, each recorded in the journal so a crash or
 * Ctrl-C can be resumed without repeating finished steps or duplicating anything in B, and
 * with B cleaned up on failure unless asked to keep it.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Transform } from "node:stream";
import {
  DEFAULT_COMPUTE_MICROVERSION,
  EmbeddedFlavor,
  Image,
  ImageHasNoDataError,
  OpenStackClient,
  OpenStackError,
  SecurityGroupRule,
  Network,
  Server,
  Subnet,
} from "@openstack-blueprints/openstack-rest";
import { BOOT_IMAGE_PROPERTIES, mapBootImages } from "./boot-images";
import { chooseFlavor } from "./flavor";
import { SourcePort, TargetNic, planNics } from "./nics";
import { CreatedResource, Journal } from "./journal";
import { planImageProperties } from "./properties";
import { MIGRATED_KEYPAIR_META, MIGRATED_SERVER_META, removeCreated } from "./removal";
import { RuleShape, describeRule, planRuleCopy } from "./rules";
import type { CloudRef, MigrationSpec, ServerSpec } from "./spec";
import { ChecksumMismatchError, CopyProgress, CopyResult, checkTargetHash, streamImage } from "./stream-copy";

export type EngineEvent =
  | { type: "step"; server: string; step: string; status: "start" | "done" | "skipped"; detail?: string }
  | { type: "progress"; server: string; progress: CopyProgress }
  | { type: "warning"; server: string; message: string }
  /** Worth telling, nothing wrong (zero-copy). */
  | { type: "info"; server: string; message: string }
  | { type: "snapshot-created"; server: string; imageId: string }
  | {
      type: "cleanup";
      server: string;
      resource: CreatedResource;
      ok: boolean;
      error?: string;
      /** Not removed: another migrated server still uses it (who). */
      kept?: string;
    }
  | { type: "result"; server: string; result: MigrationResult }
  | { type: "error"; server: string; error: string };

export interface EngineOptions {
  journal: Journal;
  /** Keep what was created in B when a migration fails. */
  keep?: boolean;
  onEvent?: (e: EngineEvent) => void;
  /** Limit of the image stream in bytes/s (per server). */
  maxBytesPerSecond?: number;
  /** How long to wait for a snapshot to become active (default: scaled with the disk, at least 30 min). */
  snapshotTimeoutMs?: number;
  /** Waits that override the size-scaled defaults (see scaledTimeouts). */
  timeouts?: Partial<EngineTimeouts>;
  /** Keep A's snapshot after success for every server (a server's spec can ask for it too). */
  keepSourceSnapshot?: boolean;
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
  /** B's image: MD5, B's os_hash_algo and value; `hashCheck` says how B's value was verified. */
  checksums: { md5: string; hashAlgo: string; hashValue: string; hashCheck?: CopyResult["targetHashCheck"] };
  /** Whether A's snapshot was deleted after the verified copy. */
  sourceSnapshotRemoved?: boolean;
  /** Bytes streamed from A to B (0 with zero-copy). */
  bytes: number;
  streamSeconds: number;
  /** B already held an image with the same content (size, MD5 and A's os_hash_value): nothing was copied. */
  zeroCopy: boolean;
  /** The data volumes moved with the server, in attachment order (empty when it had none). */
  volumes?: MovedVolume[];
}

/** How long the engine waits for each slow thing; the defaults grow with the image size. */
export interface EngineTimeouts {
  /** A's snapshot to become active (Nova uploads the whole disk to Glance A). */
  snapshotMs: number;
  /** A's server to stop. */
  stopMs: number;
  /** B's image to become active after the upload (B hashes and stores it). */
  imageActiveMs: number;
  /** B's server to become ACTIVE (the compute host fetches the image first). */
  bootMs: number;
}

const MB = 1e6;
/**
 * Waits scaled with the bytes involved: a floor (the old fixed values) or the time at a slow
 * but working rate, whichever is longer, so a 200 GB disk does not time out where a 2 GB one
 * would not. Explicit values win.
 */
export function scaledTimeouts(bytes: number, overrides: Partial<EngineTimeouts> = {}): EngineTimeouts {
  const atRate = (floorMs: number, bytesPerSecond: number) =>
    Math.max(floorMs, Math.ceil((bytes / bytesPerSecond) * 1000));
  return {
    snapshotMs: overrides.snapshotMs ?? atRate(30 * 60_000, 20 * MB),
    stopMs: overrides.stopMs ?? 5 * 60_000,
    imageActiveMs: overrides.imageActiveMs ?? atRate(5 * 60_000, 50 * MB),
    bootMs: overrides.bootMs ?? atRate(10 * 60_000, 20 * MB),
  };
}

/** One thing in cloud B (or the spec against it) that stops a migration before anything moves. */
export interface PreflightProblem {
  server: string;
  /** The spec field (or quota) concerned. */
  field: string;
  value?: string;
  /** What is wrong and how to fix it. */
  message: string;
}

export class PreflightError extends Error {
  constructor(readonly problems: PreflightProblem[]) {
    super(
      `cloud B cannot take this migration (${problems.length} problem${problems.length === 1 ? "" : "s"} found before any image data moved; nothing was started):\n` +
        problems
          .map(
            (p) =>
              `  - ${p.server}: ${p.field}: ${p.message}${p.value !== undefined ? ` (got ${JSON.stringify(p.value)})` : ""}`,
          )
          .join("\n"),
    );
    this.name = "PreflightError";
  }
}

/** What the destination check found: problems (which stop the migration), warnings and the choices made. */
export interface PreflightReport {
  problems: PreflightProblem[];
  warnings: { server: string; message: string }[];
  servers: {
    server: string;
    flavor?: string;
    networkId?: string;
    keypair?: string | null;
    securityGroup: string;
    floatingNetworkId?: string;
    /** The new server's interfaces (network, kept fixed IP), in the source's order. */
    nics?: TargetNic[];
    /** The data volumes that move with the server (size in GiB). */
    volumes?: { id: string; name: string | null; size: number; volumeType: string | null }[];
  }[];
}

/** The spec changed since the journal of an unfinished migration was written. */
export class SpecChangedError extends Error {
  constructor(
    readonly server: string,
    readonly changed: string[],
  ) {
    super(
      `server ${server}: the spec changed since its migration was started (changed: ${changed.join(", ") || "the clouds"}); ` +
        "resume with the spec it was started with, or remove what it created in cloud B and the journal to start over with the new spec",
    );
    this.name = "SpecChangedError";
  }
}

/** A fingerprint of what a server's migration was asked to do (no passwords). */
export function specFingerprint(spec: ServerSpec, clouds?: { source: CloudRef; target: CloudRef }): string {
  const redact = (c: CloudRef) => ({ ...c, password: undefined });
  return createHash("sha256")
    .update(
      canonicalJson({
        spec,
        clouds: clouds ? { source: redact(clouds.source), target: redact(clouds.target) } : undefined,
      }),
    )
    .digest("hex");
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export class MigrationError extends Error {
  constructor(
    readonly server: string,
    readonly step: string,
    readonly cause: Error,
    readonly cleanedUp: boolean,
  ) {
    super(
      `server ${server}: ${step} failed: ${cause.message}${cleanedUp ? " (what was created in the target cloud was removed)" : ""}`,
    );
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
  /** Address groups the rules use as remotes, read from A (missing when A would not show one). */
  addressGroups: Record<string, { name: string; addresses: string[] }>;
  fixedIps: string[];
  floatingIps: string[];
  /** Cinder volumes attached to the source (not its boot disk): their data is not in the snapshot. */
  volumes?: string[];
  /** The same volumes as Cinder and Nova describe them, in Nova's attachment order (moved to B). */
  volumeDetails?: SourceVolume[];
  /** Ports beyond the first: network id and fixed IPs (recreated where networkMap maps them). */
  extraPorts?: { networkId: string; ips: string[] }[];
  /** Every port, in Neutron's order, with its network's name (for networkMap). */
  ports?: SourcePort[];
  /**
   * kernel_id/ramdisk_id of the image the server was booted from (A's ids): its snapshot boots
   * with them, so B must hold the same kernel and initrd (see boot-images.ts).
   */
  bootImages?: Record<string, string>;
}

/** A data volume of the source server, as captured. */
export interface SourceVolume {
  id: string;
  name: string | null;
  description: string | null;
  /** GiB. */
  size: number;
  volumeType: string | null;
  /** The device Nova reported in A (a hint for B: libvirt names devices in attachment order). */
  device?: string;
}

/** What the result says about each moved volume. */
export interface MovedVolume {
  sourceVolumeId: string;
  targetVolumeId: string;
  name: string | null;
  size: number;
  volumeType: string | null;
  /** The device Nova reports in B. */
  device?: string;
  /** The verified stream of its data (A's upload image → B's image the volume was made from). */
  md5: string;
  hashAlgo: string;
  hashValue: string;
}

/** Metadata key of a volume s2d made in B: `<migration key>:<source volume id>` (found again on resume). */
export const MIGRATED_VOLUME_META = "s2d_source_volume";

const META_KEY = MIGRATED_SERVER_META;
/** The description s2d gives the groups it makes in B (" by s2d" at the end). */
const S2D_MADE = / by s2d$/;
/** Microversions the engine needs: 2.47 embeds the flavor in A's server, 2.45 returns createImage's id. */
const SOURCE_MIN_MICROVERSION = "2.47";

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

  /** Captures taken by the destination check, reused by the capture step (not journalled before the check passes). */
  private readonly captured = new Map<string, Captured>();
  /** Servers being migrated right now by this engine (their shared things are not removed under them). */
  private readonly inFlight = new Set<string>();
  /** Servers whose destination check passed in this run. */
  private readonly checked = new Set<string>();
  /** The clouds of the spec being run (part of the journal fingerprint). */
  private clouds?: { source: CloudRef; target: CloudRef };

  constructor(
    private readonly a: OpenStackClient,
    private readonly b: OpenStackClient,
    private readonly opts: EngineOptions,
  ) {}

  /**
   * Refuses to continue a journalled migration whose spec changed (a different network or
   * flavor half-way would leave B with a mix of both); returns the spec's fingerprint.
   */
  private assertSameSpec(spec: ServerSpec): string {
    const fingerprint = specFingerprint(spec, this.clouds);
    const state = this.opts.journal.stateOf(spec.source);
    const started = this.opts.journal.startOf(spec.source);
    const inB = state.created.some((c) => c.cloud === "B");
    if (!state.done && started?.fingerprint && started.fingerprint !== fingerprint && (state.steps.size || inB)) {
      throw new SpecChangedError(
        spec.source,
        changedFields(started.spec ?? {}, spec as unknown as Record<string, unknown>),
      );
    }
    return fingerprint;
  }

  /** Negotiates the compute microversion with both clouds (once per client). */
  async negotiate(): Promise<void> {
    await Promise.all([
      this.a.nova.negotiateMicroversion(DEFAULT_COMPUTE_MICROVERSION, SOURCE_MIN_MICROVERSION).catch((e: Error) => {
        throw new Error(`cloud A: ${e.message}`);
      }),
      this.b.nova.negotiateMicroversion(DEFAULT_COMPUTE_MICROVERSION).catch((e: Error) => {
        throw new Error(`cloud B: ${e.message}`);
      }),
    ]);
  }

  private emit(e: EngineEvent): void {
    this.opts.onEvent?.(e);
  }

  /** Migrates every server of the spec, at most `spec.concurrency` at a time. */
  async runAll(spec: MigrationSpec): Promise<{ results: MigrationResult[]; errors: MigrationError[] }> {
    this.clouds = { source: spec.source, target: spec.target };
    for (const s of spec.servers) this.assertSameSpec(s);
    // Every server is checked against B before the first byte of any of them moves.
    const report = await this.plan(spec.servers);
    for (const w of report.warnings) this.emit({ type: "warning", server: w.server, message: w.message });
    if (report.problems.length) throw new PreflightError(report.problems);
    for (const s of spec.servers) this.checked.add(s.source);
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
    this.inFlight.add(key);
    try {
      return await this.migrateOne(spec);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async migrateOne(spec: ServerSpec): Promise<MigrationResult> {
    const j = this.opts.journal;
    const key = spec.source;
    const state = j.stateOf(key);
    const fingerprint = this.assertSameSpec(spec);
    if (!this.checked.has(key)) {
      const report = await this.plan([spec]);
      for (const w of report.warnings) this.emit({ type: "warning", server: w.server, message: w.message });
      if (report.problems.length) throw new PreflightError(report.problems);
      this.checked.add(key);
    }
    if (!state.steps.size) j.append({ server: key, kind: "start", data: { fingerprint, spec: { ...spec } } });
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
      const cap = (await step("capture", async () => ({
        ...(this.captured.get(key) ?? (await this.capture(spec))),
      }))) as unknown as Captured;
      // The snapshot's size is not known before it exists: the flavor's disk bounds it.
      let timeouts = scaledTimeouts(cap.flavor.disk * 2 ** 30, {
        snapshotMs: this.opts.snapshotTimeoutMs,
        ...this.opts.timeouts,
      });

      // Stop for a consistent disk (asked for, or needed to move data volumes: every disk is then
      // copied from one instant); started again right after the snapshot and the volume uploads.
      const vols = cap.volumeDetails ?? [];
      const stopSource = spec.stopSource || vols.length > 0;
      if (stopSource) {
        await step("stop-source", async () => {
          const s = await this.a.nova.getServer(cap.serverId);
          if (s.status === "ACTIVE") {
            await this.a.nova.stop(cap.serverId);
            created({ type: "source_stopped", id: cap.serverId, cloud: "A" });
            await this.a.nova.waitForServer(cap.serverId, ["SHUTOFF"], { timeoutMs: timeouts.stopMs });
            return { stopped: true };
          }
          return { stopped: false };
        });
      }

      const snap = await step("snapshot", async () => {
        let imageId: string | undefined = createdOf("source_snapshot")[0]?.id;
        if (imageId && !(await this.a.glance.findImage(imageId))) imageId = undefined;
        if (!imageId) {
          imageId = await this.a.nova.createImage(cap.serverId, spec.snapshotName ?? `${cap.name}-s2d-${Date.now()}`, {
            s2d_source: cap.serverId,
          });
          created({ type: "source_snapshot", id: imageId, cloud: "A" });
        }
        this.emit({ type: "snapshot-created", server: key, imageId });
        const img = await this.a.glance.waitForImage(imageId, ["active"], { timeoutMs: timeouts.snapshotMs });
        if (!img.size) throw new ImageHasNoDataError(imageId);
        return { sourceImageId: imageId as string };
      });

      const srcVols = vols.length
        ? ((await step("source-volumes", async () => ({
            volumes: await this.uploadSourceVolumes(key, cap, created),
          }))) as { volumes: { volumeId: string; imageId: string }[] })
        : { volumes: [] };
      if (createdOf("source_volume_detached").length) {
        await step("source-volumes-reattach", async () => ({ reattached: await this.reattachSource(key) }));
      }

      if (stopSource && createdOf("source_stopped").length) {
        await step("start-source", async () => {
          await this.a.nova.start(cap.serverId);
          j.append({
            server: key,
            kind: "deleted",
            resource: { type: "source_stopped", id: cap.serverId, cloud: "A" },
          });
          return { started: true };
        });
      }

      const source = await this.a.glance.getImage(snap.sourceImageId);
      if (source.status !== "active") throw new Error(`source snapshot ${source.id} is ${source.status}, not active`);
      timeouts = scaledTimeouts(Math.max(Number(source.size ?? 0), Number(source.virtual_size ?? 0)), {
        snapshotMs: this.opts.snapshotTimeoutMs,
        ...this.opts.timeouts,
      });

      const img = await step("image-create", async () => {
        const props = planImageProperties(source, { s2d_source_image: source.id });
        // A's kernel and initrd ids, replaced by B's images with the same bytes (or refused before any byte moves).
        const boot = await mapBootImages(this.a, this.b, props.copy, this.b.session.projectId);
        if (boot.problems.length)
          throw new Error(
            `the snapshot boots with images cloud B does not hold: ${boot.problems.map((p) => `${p.property}: ${p.message}`).join("; ")}`,
          );
        Object.assign(props.copy, boot.map);
        for (const note of boot.notes) this.emit({ type: "info", server: key, message: note });
        if (props.dropped.length)
          this.emit({
            type: "warning",
            server: key,
            message: `image properties not copied (read-only or cloud-A specific): ${props.dropped.join(", ")}`,
          });
        let id = createdOf("image")[0]?.id;
        if (!id) {
          // Zero-copy: B already holds these very bytes (a second server of the same base image).
          const same = await this.sameContentInB(
            source,
            spec.image.diskFormat ?? source.disk_format ?? "raw",
            props.copy,
          );
          if (same) {
            // Made by s2d for another migration: whichever of the two goes last removes it.
            if (same.s2d_source_image) created({ type: "image", id: same.id, cloud: "B", shared: true });
            return { targetImageId: same.id, zeroCopy: true };
          }
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

      const data = await step("image-data", async () =>
        img.zeroCopy
          ? { ...(await this.reuseData(key, source, String(img.targetImageId))) }
          : { ...(await this.copyData(key, source, img.targetImageId, timeouts.imageActiveMs)) },
      );

      // Each data volume: A's upload image streamed to B with the root image's checks, a volume made from it.
      const volImages: Record<string, Record<string, unknown>> = {};
      const volTypesInB = vols.some((v) => v.volumeType)
        ? (await this.b.cinder.listVolumeTypes()).map((t) => t.name)
        : [];
      for (const v of vols) {
        const srcImageId = srcVols.volumes.find((x) => x.volumeId === v.id)?.imageId;
        if (!srcImageId) throw new Error(`no image of volume ${v.id} was recorded in cloud A`);
        const vimg = await step(`volume-image:${v.id}`, async () => {
          let id = createdOf("volume_image").find((c) => c.ref === v.id)?.id;
          if (!id) {
            id = randomUUID();
            created({ type: "volume_image", id, cloud: "B", ref: v.id }); // before the call: a resend hits 409
          }
          const a = await this.a.glance.getImage(srcImageId);
          try {
            await this.b.glance.createImage({
              id,
              name: `${v.name || v.id}-s2d-volume`,
              disk_format: a.disk_format ?? "raw",
              container_format: a.container_format ?? "bare",
              visibility: "private",
              s2d_source_volume: v.id,
            });
          } catch (e) {
            if (!(e instanceof OpenStackError && e.status === 409)) throw e;
          }
          return { targetImageId: id };
        });
        const srcImage = await this.a.glance.getImage(srcImageId);
        const vTimeouts = scaledTimeouts(v.size * 2 ** 30, this.opts.timeouts);
        volImages[v.id] = await step(`volume-image-data:${v.id}`, async () => ({
          ...(await this.copyData(key, srcImage, String(vimg.targetImageId), vTimeouts.imageActiveMs)),
        }));
        await step(`volume:${v.id}`, async () => {
          const tag = `${key}:${v.id}`;
          let id = createdOf("volume").find((c) => c.ref === v.id)?.id;
          if (id && !(await this.b.cinder.findVolume(id))) id = undefined;
          if (!id) {
            // A crash between Cinder's answer and the journal write: find the volume by its tag.
            id = (await this.b.cinder.listVolumes({ metadata: { [MIGRATED_VOLUME_META]: tag } })).find(
              (x) => x.metadata?.[MIGRATED_VOLUME_META] === tag && !/^(error|deleting)/.test(x.status),
            )?.id;
            if (id) created({ type: "volume", id, cloud: "B", ref: v.id });
          }
          if (!id) {
            const keepType = v.volumeType && volTypesInB.includes(v.volumeType);
            if (v.volumeType && !keepType)
              this.emit({
                type: "warning",
                server: key,
                message: `volume ${v.name || v.id}: type "${v.volumeType}" does not exist in cloud B; created with B's default type`,
              });
            const made = await this.b.cinder.createVolume({
              size: v.size,
              imageRef: String(vimg.targetImageId),
              ...(v.name ? { name: v.name } : {}),
              ...(v.description ? { description: v.description } : {}),
              ...(keepType ? { volume_type: String(v.volumeType) } : {}),
              ...(spec.availabilityZone ? { availability_zone: spec.availabilityZone } : {}),
              metadata: { [MIGRATED_VOLUME_META]: tag },
            });
            id = made.id;
            created({ type: "volume", id, cloud: "B", ref: v.id });
          }
          await this.b.cinder.waitForVolume(id, ["available", "in-use"], { timeoutMs: vTimeouts.imageActiveMs });
          return { volumeId: id };
        });
      }

      const kp = await step("keypair", () =>
        this.withLock(`keypair:${spec.keypair.name ?? cap.keyName}`, async () => ({
          keyName: (await this.keypair(key, spec, cap, created)) ?? null,
        })),
      );
      const sg = await step("security-group", () =>
        this.withLock(`sg:${spec.securityGroup}`, async () => ({
          ...(await this.securityGroup(key, spec, cap, created)),
        })),
      );
      const fl = await step("flavor", async () => {
        const flavors = await this.b.nova.listFlavors();
        const choice = chooseFlavor(cap.flavor, flavors, spec.flavor.name, spec.flavor.matchSpecs);
        for (const w of choice.warnings) this.emit({ type: "warning", server: key, message: w });
        return { flavorId: choice.flavor.id, flavorName: choice.flavor.name, how: choice.how };
      });
      const net = await step("network", async () => {
        const nets = await this.b.neutron.listNetworks({});
        if (!cap.ports) return { networkId: resolveNetwork(nets, spec) };
        // Checked by the destination check just before; planned again here for the journal.
        const nicPlan = planNics({
          ports: cap.ports,
          spec,
          networks: nets,
          subnets: await this.b.neutron.listSubnets({}),
          usedIps: new Map(),
          defaultNetwork: () => resolveNetwork(nets, spec),
        });
        if (nicPlan.problems.length)
          throw new Error(nicPlan.problems.map((p) => `${p.field}: ${p.message}`).join("; "));
        return { networkId: nicPlan.nics[0].uuid, nics: nicPlan.nics };
      });
      const nics = (net.nics as TargetNic[] | undefined) ?? [{ uuid: String(net.networkId) }];

      const srv = await step("boot", async () => {
        const tag = `${key}@${img.targetImageId}`;
        let id: string | undefined = createdOf("server")[0]?.id;
        if (id && !(await this.b.nova.findServer(id))) id = undefined;
        if (!id) {
          // A crash between Nova's answer and the journal write: find the server by its tag.
          const name = spec.name ?? cap.name;
          const existing = (await this.b.nova.listServers({ name: `^${escapeRegex(name)}$` })).find(
            (s) => s.metadata?.[META_KEY] === tag,
          );
          id = existing?.id;
          if (id) created({ type: "server", id, cloud: "B" });
        }
        if (!id) {
          const r = await this.b.nova.createServer({
            name: spec.name ?? cap.name,
            flavorRef: fl.flavorId,
            imageRef: img.targetImageId,
            ...(kp.keyName ? { key_name: kp.keyName } : {}),
            networks: nics.map((n) => (n.fixed_ip ? { uuid: n.uuid, fixed_ip: n.fixed_ip } : { uuid: n.uuid })),
            security_groups: [{ name: String(sg.groupId) }],
            metadata: {
              [META_KEY]: tag,
              // s2d's keypair (made by this migration or adopted from another): marked for the next one.
              ...(kp.keyName && createdOf("keypair").some((c) => c.id === kp.keyName)
                ? { [MIGRATED_KEYPAIR_META]: String(kp.keyName) }
                : {}),
            },
            ...(spec.availabilityZone ? { availability_zone: spec.availabilityZone } : {}),
          });
          id = r.id;
          created({ type: "server", id, cloud: "B" });
        }
        await this.b.nova.waitForServer(id, ["ACTIVE"], { timeoutMs: timeouts.bootMs });
        return { serverId: id as string };
      });

      if (vols.length) {
        await step("volume-attach", async () => {
          // In A's order, one at a time: the guest names the disks in the order they are attached.
          for (const v of vols) {
            const volumeId = String(j.stateOf(key).steps.get(`volume:${v.id}`)?.volumeId);
            const vol = await this.b.cinder.getVolume(volumeId);
            if (!vol.attachments?.some((x) => x.server_id === srv.serverId)) {
              await this.b.nova.attachVolume(srv.serverId, volumeId, v.device);
            }
            await this.b.cinder.waitForVolume(volumeId, ["in-use"], { timeoutMs: 300_000 });
          }
          return { attached: vols.length };
        });
      }

      const fip = await step("floating-ip", async () => ({
        address: (await this.floatingIp(spec, srv.serverId, created, nics[0]?.uuid)) ?? null,
      }));

      const result = await step("overview", async () => {
        // Read back from cloud B, not from saved data (the TU Crete S2D service's step 9).
        const s = await this.b.nova.getServer(srv.serverId);
        const image = await this.b.glance.getImage(img.targetImageId);
        const addresses: Record<string, string[]> = {};
        for (const [netName, list] of Object.entries(s.addresses ?? {})) addresses[netName] = list.map((x) => x.addr);
        // Nova's view of the addresses lags behind Neutron (its cache is refreshed by events):
        // the server's ports and their floating IPs are read from Neutron and merged in.
        const ports = await this.b.neutron.listPorts({ device_id: s.id });
        const fips = (await Promise.all(ports.map((p) => this.b.neutron.listFloatingIps({ port_id: p.id })))).flat();
        for (const p of ports) {
          const ips = p.fixed_ips.map((f) => f.ip_address);
          const known = Object.keys(addresses).find((n) => ips.some((ip) => addresses[n].includes(ip)));
          const netKey = known ?? p.network_id;
          addresses[netKey] = [...new Set([...(addresses[netKey] ?? []), ...ips])];
          for (const f of fips.filter((x) => x.port_id === p.id))
            if (!addresses[netKey].includes(f.floating_ip_address)) addresses[netKey].push(f.floating_ip_address);
        }
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
          checksums: {
            md5: String(image.checksum),
            hashAlgo: String(image.os_hash_algo),
            hashValue: String(image.os_hash_value),
            ...(data.targetHashCheck ? { hashCheck: data.targetHashCheck as CopyResult["targetHashCheck"] } : {}),
          },
          bytes: Number(data.bytes),
          streamSeconds: Number(data.elapsedMs) / 1000,
          zeroCopy: data.zeroCopy === true,
        };
        if (vols.length) {
          // Read back from B too: every volume exists, is attached to the new server, in A's order.
          const attachments = await this.b.nova.listVolumeAttachments(s.id);
          r.volumes = [];
          for (const v of vols) {
            const volumeId = String(j.stateOf(key).steps.get(`volume:${v.id}`)?.volumeId);
            const at = attachments.find((x) => x.volumeId === volumeId);
            if (!at)
              throw new Error(`volume ${volumeId} (copy of ${v.id}) is not attached to server ${s.id} in cloud B`);
            const d = volImages[v.id];
            r.volumes.push({
              sourceVolumeId: v.id,
              targetVolumeId: volumeId,
              name: v.name,
              size: v.size,
              volumeType: (await this.b.cinder.getVolume(volumeId)).volume_type ?? null,
              ...(at.device ? { device: at.device } : {}),
              md5: String(d.md5),
              hashAlgo: String(d.hashAlgo),
              hashValue: String(d.hashValue),
            });
          }
        }
        // Like with like: B's value against the value of B's algorithm verified during the copy.
        const verifiedValue =
          data.targetHashValue ?? (image.os_hash_algo === data.hashAlgo ? data.hashValue : undefined);
        if (r.checksums.md5 !== data.md5)
          throw new ChecksumMismatchError(
            "B's image MD5 at overview vs the verified stream",
            String(data.md5),
            r.checksums.md5,
          );
        if (verifiedValue !== undefined && r.checksums.hashValue !== verifiedValue)
          throw new ChecksumMismatchError(
            `B's image ${r.checksums.hashAlgo} at overview vs the verified stream`,
            String(verifiedValue),
            r.checksums.hashValue,
          );
        return { ...r };
      });
      // A's snapshot has served its purpose once B's copy is verified; keeping it costs A's storage forever.
      if (!spec.keepSourceSnapshot && !this.opts.keepSourceSnapshot) {
        const removed = await step("remove-source-snapshot", async () => {
          try {
            await this.a.glance.deleteImage(snap.sourceImageId);
            j.append({
              server: key,
              kind: "deleted",
              resource: { type: "source_snapshot", id: snap.sourceImageId, cloud: "A" },
            });
            return { removed: true };
          } catch (e) {
            this.emit({
              type: "warning",
              server: key,
              message: `the migration succeeded but A's snapshot ${snap.sourceImageId} could not be deleted (${(e as Error).message}); delete it in cloud A`,
            });
            return { removed: false };
          }
        });
        (result as Record<string, unknown>).sourceSnapshotRemoved = removed.removed === true;
      } else (result as Record<string, unknown>).sourceSnapshotRemoved = false;
      if (vols.length) {
        // The upload images in A and their copies in B only carried the data: B's volumes hold it now.
        await step("remove-volume-images", async () => {
          const leftovers: string[] = [];
          for (const c of [...createdOf("source_volume_image"), ...createdOf("volume_image")]) {
            try {
              await (c.cloud === "A" ? this.a : this.b).glance.deleteImage(c.id);
              j.append({ server: key, kind: "deleted", resource: c });
            } catch (e) {
              leftovers.push(`${c.cloud}:${c.id}`);
              this.emit({
                type: "warning",
                server: key,
                message: `the migration succeeded but volume image ${c.id} in cloud ${c.cloud} could not be deleted (${(e as Error).message}); delete it there`,
              });
            }
          }
          return { leftovers };
        });
      }
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

  /**
   * Removes what this migration created in B (newest first) and restarts a source it stopped;
   * what another migrated server still uses is kept (removal.ts) and reported.
   */
  async cleanup(key: string): Promise<void> {
    const j = this.opts.journal;
    // Migrations of this run still going use what their finished steps chose, before B shows it.
    const inUseElsewhere = (kind: "security_group" | "keypair" | "image", id: string) => {
      const [stepName, field] = {
        security_group: ["security-group", "groupId"],
        keypair: ["keypair", "keyName"],
        image: ["image-create", "targetImageId"],
      }[kind];
      const users = [...this.inFlight].filter((k) => k !== key && j.stateOf(k).steps.get(stepName)?.[field] === id);
      return users.length ? `the running migration(s) of ${users.join(", ")}` : undefined;
    };
    await removeCreated(
      { a: this.a, b: this.b },
      [...j.stateOf(key).created].reverse(),
      (o) => {
        if (o.removed) j.append({ server: key, kind: "deleted", resource: o.resource });
        this.emit({
          type: "cleanup",
          server: key,
          resource: o.resource,
          ok: !o.error,
          ...(o.error ? { error: o.error } : {}),
          ...(o.keptFor ? { kept: o.keptFor } : {}),
        });
      },
      inUseElsewhere,
    );
    j.append({ server: key, kind: "cleaned" });
  }

  /**
   * Uploads each data volume of the (stopped) source to an image in A. Cinder uploads only a volume
   * that is not in use (an in-use one needs `force` and `enable_force_upload` in A's cinder.conf,
   * which a user cannot see or set), and a clone of an in-use volume is refused by several drivers
   * (NFS among them); so each volume is detached from the stopped server, uploaded, and reattached
   * afterwards (source-volumes-reattach, or cleanup after a failure). Resumable: a volume whose
   * image is recorded is not uploaded again.
   */
  private async uploadSourceVolumes(
    key: string,
    cap: Captured,
    created: (r: CreatedResource) => void,
  ): Promise<{ volumeId: string; imageId: string }[]> {
    const j = this.opts.journal;
    const out: { volumeId: string; imageId: string }[] = [];
    for (const v of cap.volumeDetails ?? []) {
      const timeouts = scaledTimeouts(v.size * 2 ** 30, this.opts.timeouts);
      const recorded = j.stateOf(key).created.find((c) => c.type === "source_volume_image" && c.ref === v.id);
      let imageId = recorded && (await this.a.glance.findImage(recorded.id)) ? recorded.id : undefined;
      if (!imageId) {
        const vol = await this.a.cinder.getVolume(v.id);
        if (vol.attachments?.some((x) => x.server_id === cap.serverId)) {
          await this.a.nova.detachVolume(cap.serverId, v.id);
          created({
            type: "source_volume_detached",
            id: v.id,
            cloud: "A",
            ref: `${cap.serverId} ${v.device ?? ""}`.trim(),
          });
        }
        await this.a.cinder.waitForVolume(v.id, ["available"], { timeoutMs: timeouts.stopMs });
        imageId = await this.a.cinder.uploadToImage(v.id, {
          image_name: `${v.name || v.id}-s2d-${Date.now()}`,
          disk_format: "raw",
          container_format: "bare",
        });
        created({ type: "source_volume_image", id: imageId, cloud: "A", ref: v.id });
      }
      // Cinder returns the volume to available when Glance holds the whole image.
      await this.a.cinder.waitForVolume(v.id, ["available", "in-use"], { timeoutMs: timeouts.snapshotMs });
      const img = await this.a.glance.waitForImage(imageId, ["active"], { timeoutMs: timeouts.snapshotMs });
      if (!img.size) throw new ImageHasNoDataError(imageId);
      out.push({ volumeId: v.id, imageId });
    }
    return out;
  }

  /** Attaches the volumes s2d detached from the source again, in their original order. */
  private async reattachSource(key: string): Promise<number> {
    const j = this.opts.journal;
    const detached = j.stateOf(key).created.filter((c) => c.type === "source_volume_detached");
    for (const c of detached) {
      const [serverId, device] = (c.ref ?? "").split(" ");
      const v = await this.a.cinder.getVolume(c.id);
      if (!v.attachments?.some((x) => x.server_id === serverId)) {
        await this.a.cinder.waitForVolume(c.id, ["available"], { timeoutMs: 600_000 });
        await this.a.nova.attachVolume(serverId, c.id, device || undefined);
      }
      await this.a.cinder.waitForVolume(c.id, ["in-use"], { timeoutMs: 300_000 });
      j.append({ server: key, kind: "deleted", resource: c });
    }
    return detached.length;
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
    if (!("vcpus" in s.flavor))
      throw new Error(`Nova returned no embedded flavor for ${s.id}; compute microversion 2.47+ is required`);
    const ports = await this.a.neutron.listPorts({ device_id: s.id });
    const groupIds = [...new Set(ports.flatMap((p) => p.security_groups))];
    const groups = await Promise.all(groupIds.map((g) => this.a.neutron.getSecurityGroup(g)));
    const rules: SecurityGroupRule[] = groups.flatMap((g) => g?.security_group_rules ?? []);
    const floating = (await Promise.all(ports.map((p) => this.a.neutron.listFloatingIps({ port_id: p.id })))).flat();
    let publicKey: string | undefined;
    if (s.key_name) publicKey = (await this.a.nova.findKeypair(s.key_name))?.public_key;
    // The snapshot will name the same kernel and initrd as the image the server was booted from.
    const baseImageId = typeof s.image === "object" ? s.image.id : undefined;
    const baseImage = baseImageId ? await this.a.glance.findImage(baseImageId).catch(() => undefined) : undefined;
    const bootImages: Record<string, string> = {};
    for (const p of BOOT_IMAGE_PROPERTIES) {
      const v = (baseImage as Record<string, unknown> | undefined)?.[p];
      if (typeof v === "string" && v) bootImages[p] = v;
    }
    // Data volumes, in Nova's attachment order (the order they are attached in B).
    const volumeDetails: SourceVolume[] = [];
    if ((s["os-extended-volumes:volumes_attached"] ?? []).length) {
      const attachments = await this.a.nova.listVolumeAttachments(s.id);
      for (const at of attachments) {
        const v = await this.a.cinder.getVolume(at.volumeId);
        volumeDetails.push({
          id: v.id,
          name: v.name ?? null,
          description: v.description ?? null,
          size: v.size,
          volumeType: v.volume_type ?? null,
          ...(at.device ? { device: at.device } : {}),
        });
      }
    }
    const addressGroups: Captured["addressGroups"] = {};
    for (const id of new Set(rules.map((r) => r.remote_address_group_id).filter((x): x is string => !!x))) {
      // An address group A will not show (another project's, or no permission) stays missing: the check reports it.
      const g = await this.a.neutron.getAddressGroup(id).catch(() => undefined);
      if (g) addressGroups[id] = { name: g.name, addresses: [...g.addresses] };
    }
    return {
      serverId: s.id,
      name: s.name,
      status: s.status,
      flavor: s.flavor,
      keyName: s.key_name ?? null,
      publicKey,
      groupIds,
      groupNames: groups.map((g) => g?.name ?? "?"),
      rules: rules.map((r) => ({
        direction: r.direction,
        ethertype: r.ethertype,
        protocol: r.protocol,
        port_range_min: r.port_range_min,
        port_range_max: r.port_range_max,
        remote_ip_prefix: r.remote_ip_prefix,
        remote_group_id: r.remote_group_id,
        remote_address_group_id: r.remote_address_group_id ?? null,
        description: r.description,
      })),
      addressGroups,
      fixedIps: ports.flatMap((p) => p.fixed_ips.map((f) => f.ip_address)),
      floatingIps: floating.map((f) => f.floating_ip_address),
      volumes: volumeDetails.map((v) => v.id),
      volumeDetails,
      extraPorts: ports.slice(1).map((p) => ({ networkId: p.network_id, ips: p.fixed_ips.map((f) => f.ip_address) })),
      ports: await Promise.all(
        ports.map(async (p) => ({
          networkId: p.network_id,
          networkName: (await this.a.neutron.getNetwork(p.network_id).catch(() => undefined))?.name,
          ips: p.fixed_ips.map((f) => f.ip_address),
        })),
      ),
      bootImages,
    };
  }

  /**
   * An active image in B with exactly the bytes of A's snapshot: same size, same MD5 and the same
   * os_hash_value in the same algorithm (like with like; a Glance hashing with another algorithm
   * cannot be matched without reading the bytes, so it gets a copy). Its disk format and hw_*
   * properties must be those the copy would get, so the server boots the same. Undefined when
   * there is none or B's Glance cannot filter by hash (before Rocky).
   */
  private async sameContentInB(
    source: Image,
    diskFormat: string,
    props: Record<string, unknown>,
  ): Promise<Image | undefined> {
    if (!source.os_hash_value || !source.checksum || !source.size) return undefined;
    const candidates = await this.b.glance
      .listImages({ os_hash_value: String(source.os_hash_value), status: "active" })
      .catch(() => [] as Image[]);
    const hw = (o: Record<string, unknown>) =>
      canonicalJson(Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith("hw_"))));
    const projectId = this.b.session.projectId;
    return candidates
      .filter(
        (i) =>
          i.status === "active" &&
          i.os_hash_algo === source.os_hash_algo &&
          i.os_hash_value === source.os_hash_value &&
          i.checksum === source.checksum &&
          i.size === source.size &&
          i.disk_format === diskFormat &&
          hw(i as Record<string, unknown>) === hw(props),
      )
      .sort((x, y) => Number(y.owner === projectId) - Number(x.owner === projectId))[0];
  }

  /** The zero-copy "transfer": B's image is checked again (it may have changed since) and nothing moves. */
  private async reuseData(key: string, source: Image, targetImageId: string): Promise<Record<string, unknown>> {
    const t = await this.b.glance.getImage(targetImageId);
    if (
      t.status !== "active" ||
      t.checksum !== source.checksum ||
      t.size !== source.size ||
      t.os_hash_value !== source.os_hash_value
    )
      throw new Error(
        `B's image ${targetImageId}, chosen for zero-copy, changed (now ${t.status}, md5 ${t.checksum}); run resume to copy the image instead`,
      );
    this.emit({
      type: "info",
      server: key,
      message: `zero-copy: cloud B already holds image ${t.id} (${t.name}) with the same ${t.os_hash_algo} and MD5 as A's snapshot; no bytes were copied`,
    });
    return {
      bytes: 0,
      md5: String(t.checksum),
      hashAlgo: String(source.os_hash_algo),
      hashValue: String(source.os_hash_value),
      targetHashAlgo: String(t.os_hash_algo),
      targetHashValue: String(t.os_hash_value),
      targetHashCheck: "same-algorithm",
      elapsedMs: 0,
      zeroCopy: true,
    };
  }

  /** Streams the data (or finds it already there after a resume) and verifies both hashes. */
  private async copyData(
    key: string,
    source: Image,
    targetImageId: string,
    activeTimeoutMs: number,
  ): Promise<CopyResult & Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      let target = await this.b.glance.findImage(targetImageId);
      if (!target) throw new Error(`target image ${targetImageId} vanished from cloud B`);
      if (target.status === "saving" || target.status === "uploading") {
        // An interrupted upload: Glance returns the image to queued once it notices.
        target = await this.b.glance
          .waitForImage(targetImageId, ["queued", "active"], { timeoutMs: 60_000 })
          .catch(() => target!);
        if (target.status === "saving" || target.status === "uploading") {
          throw new Error(
            `target image ${targetImageId} is stuck in ${target.status} after an interrupted upload; delete it in cloud B and run resume again`,
          );
        }
      }
      if (target.status === "active") {
        // Uploaded before an interruption: B's MD5 and size against A's, B's os_hash_value only when both use one algorithm.
        if (target.checksum !== source.checksum)
          throw new ChecksumMismatchError(
            "B's existing image MD5 vs A's",
            String(source.checksum),
            String(target.checksum),
          );
        if (target.size !== source.size)
          throw new ChecksumMismatchError("B's existing image size vs A's", String(source.size), String(target.size));
        const algo = source.os_hash_algo ?? "sha512";
        const check = checkTargetHash(target, algo, new Map([[algo, String(source.os_hash_value)]]));
        return {
          bytes: Number(target.size),
          md5: String(target.checksum),
          hashAlgo: algo,
          hashValue: String(source.os_hash_value),
          targetHashAlgo: String(target.os_hash_algo),
          targetHashValue: String(target.os_hash_value),
          targetHashCheck: check,
          elapsedMs: 0,
        };
      }
      if (target.status !== "queued")
        throw new Error(`target image ${targetImageId} is ${target.status}; expected queued`);
      // A long transfer must start with fresh tokens on both sides; later calls re-authenticate by themselves.
      await Promise.all([this.a.session.ensureToken(), this.b.session.ensureToken()]);
      try {
        return {
          ...(await streamImage(this.a.glance, source, this.b.glance, targetImageId, {
            onProgress: (p) => this.emit({ type: "progress", server: key, progress: p }),
            maxBytesPerSecond: this.opts.maxBytesPerSecond,
            tap: this.opts.tapFactory?.(),
            activeTimeoutMs,
            onWarning: (message) => this.emit({ type: "warning", server: key, message }),
          })),
        };
      } catch (e) {
        if (e instanceof ChecksumMismatchError) throw e;
        const retryable =
          (e instanceof OpenStackError && (e.status === 401 || e.status >= 500)) ||
          (e as Error).name === "OpenStackConnectionError";
        if (!retryable || attempt >= 3) throw e;
        this.emit({
          type: "warning",
          server: key,
          message: `image stream attempt ${attempt} failed (${(e as Error).message}); retrying from the start`,
        });
        if (e instanceof OpenStackError && e.status === 401) await this.b.session.authenticate();
      }
    }
  }

  private async keypair(
    key: string,
    spec: ServerSpec,
    cap: Captured,
    created: (r: CreatedResource) => void,
  ): Promise<string | undefined> {
    const mode = spec.keypair.mode;
    if (mode === "none") return undefined;
    const name = spec.keypair.name ?? cap.keyName ?? undefined;
    if (!name) return undefined; // source had no key and none was asked for
    const existing = await this.b.nova.findKeypair(name);
    if (mode === "existing") {
      if (!existing)
        throw new Error(
          `keypair "${name}" does not exist in cloud B (keypair.mode is existing); create it there or use mode copy/import`,
        );
      return name;
    }
    const publicKey = mode === "import" ? spec.keypair.publicKey : cap.publicKey;
    if (!publicKey)
      throw new Error(
        `keypair "${cap.keyName}" of the source server could not be read in cloud A (keypairs belong to users); give keypair.publicKey with mode import`,
      );
    if (existing) {
      if (sameKey(existing.public_key, publicKey)) {
        // Made by s2d for another migration: whichever of the two goes last removes it.
        const mine = j(this.opts.journal, key).some((c) => c.type === "keypair" && c.id === name);
        if (!mine && (await this.keypairMadeByS2d(key, name)))
          created({ type: "keypair", id: name, cloud: "B", shared: true });
        return name;
      }
      throw new Error(
        `keypair "${name}" already exists in cloud B with a different public key; choose another keypair.name`,
      );
    }
    try {
      await this.b.nova.importKeypair(name, publicKey.trim());
      created({ type: "keypair", id: name, cloud: "B" });
    } catch (e) {
      if (!(e instanceof OpenStackError && e.status === 409)) throw e;
    }
    return name;
  }

  /**
   * Whether B's keypair `name` is s2d's: recorded by a migration running next to this one, or
   * marked on a migrated server in B (MIGRATED_KEYPAIR_META). A keypair the user made is not.
   */
  private async keypairMadeByS2d(key: string, name: string): Promise<boolean> {
    const j = this.opts.journal;
    const running = [...this.inFlight].some(
      (k) => k !== key && j.stateOf(k).created.some((c) => c.type === "keypair" && c.id === name),
    );
    if (running) return true;
    const servers = await this.b.nova.listServers({});
    return servers.some((s) => s.metadata?.[MIGRATED_SERVER_META] && s.metadata?.[MIGRATED_KEYPAIR_META] === name);
  }

  private async securityGroup(
    key: string,
    spec: ServerSpec,
    cap: Captured,
    created: (r: CreatedResource) => void,
  ): Promise<Record<string, unknown>> {
    const projectId = (await this.b.session.ensureToken(), this.b.session.projectId);
    const wanted = spec.securityGroup;
    let group = (await this.b.neutron.listSecurityGroups({ name: wanted, project_id: projectId }))[0];
    if (!group) {
      const mine = j(this.opts.journal, key).find((c) => c.type === "security_group");
      group = mine ? (await this.b.neutron.getSecurityGroup(mine.id))! : undefined!;
    } else if (
      S2D_MADE.test(group.description ?? "") &&
      !j(this.opts.journal, key).some((c) => c.type === "security_group" && c.id === group.id)
    ) {
      // Made by s2d for another migration: whichever of the two goes last removes it (with its rules).
      created({ type: "security_group", id: group.id, cloud: "B", shared: true });
    }
    if (!group) {
      if (wanted === "default") throw new Error("the default security group of project B was not found");
      group = await this.b.neutron.createSecurityGroup({
        name: wanted,
        description: `migrated from ${cap.groupNames.join(", ")} by s2d`,
      });
      created({ type: "security_group", id: group.id, cloud: "B" });
    }
    const existing = await this.b.neutron.listSecurityGroupRules({ security_group_id: group.id });
    const addressGroupMap = await this.addressGroupsInB(cap, created);
    const plan = planRuleCopy(cap.rules, cap.groupIds, group.id, existing, addressGroupMap);
    if (plan.refused.length)
      throw new Error(
        `security-group rules that would be opened to every source: ${plan.refused.map((r) => r.reason).join("; ")}`,
      );
    for (const u of plan.unmapped) this.emit({ type: "warning", server: key, message: `rule not copied: ${u.reason}` });
    let added = 0;
    for (const r of plan.create) {
      try {
        const rule = await this.b.neutron.createSecurityGroupRule({
          ...r,
          security_group_id: group.id,
          description: r.description || undefined,
        });
        created({ type: "security_group_rule", id: rule.id, cloud: "B" });
        added++;
      } catch (e) {
        if (!(e instanceof OpenStackError && e.status === 409)) throw e; // exists: a concurrent migration added it
      }
    }
    return {
      groupId: group.id,
      groupName: group.name,
      rulesAdded: added,
      duplicatesSkipped: plan.skippedDuplicates,
      unmapped: plan.unmapped.length,
    };
  }

  /**
   * The address groups the copied rules need, in B: one with the same name and addresses is
   * reused, otherwise one is created (and removed again by cleanup).
   */
  private async addressGroupsInB(
    cap: Captured,
    created: (r: CreatedResource) => void,
  ): Promise<Record<string, string>> {
    const map: Record<string, string> = {};
    const used = new Set(cap.rules.map((r) => r.remote_address_group_id).filter((x): x is string => !!x));
    for (const id of used) {
      const src = cap.addressGroups?.[id];
      if (!src) continue; // refused by planRuleCopy
      const same = (await this.b.neutron.listAddressGroups({ name: src.name })).find((g) =>
        sameSet(g.addresses, src.addresses),
      );
      if (same) {
        map[id] = same.id;
        if (S2D_MADE.test(same.description ?? ""))
          created({ type: "address_group", id: same.id, cloud: "B", shared: true });
        continue;
      }
      const g = await this.b.neutron.createAddressGroup({
        name: src.name,
        addresses: src.addresses,
        description: `copied from cloud A's address group ${id} by s2d`,
      });
      created({ type: "address_group", id: g.id, cloud: "B" });
      map[id] = g.id;
    }
    return map;
  }

  /**
   * Checks everything in B that can be checked before a byte moves — keypair, flavor, network,
   * security group and its address-group rules, floating network or address, and quotas for
   * instances, cores, RAM, floating IPs and images — and returns every problem at once.
   * Reads only: nothing is created in either cloud, and the journal is not written.
   */
  async plan(servers: ServerSpec[]): Promise<PreflightReport> {
    const report: PreflightReport = { problems: [], warnings: [], servers: [] };
    const problem = (server: string, field: string, message: string, value?: unknown) =>
      report.problems.push({
        server,
        field,
        message,
        ...(value !== undefined && value !== null ? { value: String(value) } : {}),
      });
    try {
      await this.negotiate();
    } catch (e) {
      problem("(all)", "compute microversion", (e as Error).message);
      return report;
    }
    await this.b.session.ensureToken();
    const projectId = this.b.session.projectId;
    const [flavors, nets] = await Promise.all([this.b.nova.listFlavors(), this.b.neutron.listNetworks({})]);
    // Zones are read only when a server asks for one (a user may not list them in every cloud).
    const zones = servers.some((s) => s.availabilityZone) ? await this.b.nova.listAvailabilityZones() : [];
    let addressGroupsInB: "yes" | "no" | undefined;
    let volumeTypesInB: string[] | Error | undefined;
    let subnetsB: Subnet[] | undefined;
    let usedIpsB: Map<string, string> | undefined;
    const ipsClaimed = new Map<string, string>();
    const need = { instances: 0, cores: 0, ram: 0, floatingIps: 0, images: 0, volumes: 0, gigabytes: 0 };

    for (const spec of servers) {
      const key = spec.source;
      const state = this.opts.journal.stateOf(key);
      if (state.done) continue;
      const createdB = (t: CreatedResource["type"]) => state.created.some((c) => c.type === t && c.cloud === "B");
      let cap = (state.steps.get("capture") as unknown as Captured | undefined) ?? this.captured.get(key);
      if (!cap) {
        try {
          cap = await this.capture(spec);
          this.captured.set(key, cap);
        } catch (e) {
          problem(key, "source", (e as Error).message, spec.source);
          continue;
        }
      }
      const plan: PreflightReport["servers"][number] = { server: key, securityGroup: spec.securityGroup };
      report.servers.push(plan);

      // Data volumes move with the server: B must take them (types, quota), counted before any byte moves.
      const vols = cap.volumeDetails ?? [];
      if (cap.volumes?.length && !cap.volumeDetails)
        problem(
          key,
          "source",
          `the journal's capture of this server predates volume moves and lists ${cap.volumes.length} attached volume(s) without their details: ${cap.volumes.join(", ")}; remove what this migration made in cloud B and its journal entries, then start it again`,
          spec.source,
        );
      if (vols.length) {
        plan.volumes = vols.map((v) => ({ id: v.id, name: v.name, size: v.size, volumeType: v.volumeType }));
        if (volumeTypesInB === undefined) {
          volumeTypesInB = await this.b.cinder.listVolumeTypes().then(
            (t) => t.map((x) => x.name),
            (e: Error) => e,
          );
        }
        if (volumeTypesInB instanceof Error) {
          problem(
            key,
            "source",
            `the server has ${vols.length} attached volume(s) (${vols.map((v) => v.name || v.id).join(", ")}) but cloud B's block storage (Cinder) cannot be used: ${volumeTypesInB.message}; enable Cinder in B, or detach the volumes in A`,
            spec.source,
          );
        } else {
          for (const v of vols) {
            if (v.volumeType && !volumeTypesInB.includes(v.volumeType))
              report.warnings.push({
                server: key,
                message: `volume ${v.name || v.id}: type "${v.volumeType}" does not exist in cloud B; its copy gets B's default type`,
              });
          }
        }
        if (!spec.stopSource && !state.steps.has("source-volumes"))
          report.warnings.push({
            server: key,
            message: `the source is stopped while its ${vols.length} volume(s) and root disk are copied (one consistent instant for all disks) and started again afterwards`,
          });
        for (const v of vols) {
          if (!state.created.some((c) => c.type === "volume" && c.ref === v.id)) {
            need.volumes++;
            need.gigabytes += v.size;
          }
          if (!state.created.some((c) => c.type === "volume_image" && c.ref === v.id)) need.images++;
        }
      }
      if (cap.flavor.ephemeral > 0)
        problem(
          key,
          "source",
          `the server's flavor ${cap.flavor.original_name} has a ${cap.flavor.ephemeral} GB ephemeral disk whose data would be left behind (a snapshot holds only the root disk); move that data onto the root disk, or resize the server in A to a flavor without an ephemeral disk`,
          spec.source,
        );
      // keypair
      if (spec.keypair.mode !== "none") {
        const name = spec.keypair.name ?? cap.keyName ?? undefined;
        plan.keypair = name ?? null;
        if (name) {
          const existing = await this.b.nova.findKeypair(name);
          const publicKey = spec.keypair.mode === "import" ? spec.keypair.publicKey : cap.publicKey;
          if (spec.keypair.mode === "existing") {
            if (!existing)
              problem(
                key,
                "keypair.name",
                `keypair does not exist in cloud B (keypair.mode is existing); create it there or use mode copy or import`,
                name,
              );
          } else if (!publicKey) {
            problem(
              key,
              "keypair.mode",
              `the public key of the source server's keypair "${cap.keyName}" cannot be read in cloud A (keypairs belong to users); use mode import with keypair.publicKey, existing with keypair.name, or none`,
              spec.keypair.mode,
            );
          } else if (existing && !sameKey(existing.public_key, publicKey)) {
            problem(
              key,
              "keypair.name",
              `a keypair of that name already exists in cloud B with a different public key; choose another keypair.name`,
              name,
            );
          }
        }
      }

      // flavor
      let flavor: { vcpus: number; ram: number } | undefined;
      try {
        const choice = chooseFlavor(cap.flavor, flavors, spec.flavor.name, spec.flavor.matchSpecs);
        flavor = choice.flavor;
        plan.flavor = choice.flavor.name;
        for (const w of choice.warnings) report.warnings.push({ server: key, message: w });
      } catch (e) {
        problem(key, spec.flavor.name ? "flavor.name" : "flavor", (e as Error).message, spec.flavor.name);
      }

      // availability zone
      if (spec.availabilityZone && !createdB("server") && !state.steps.has("boot")) {
        const zone = zones.find((z) => z.zoneName === spec.availabilityZone);
        const names = zones.map((z) => z.zoneName).join(", ") || "none";
        if (!zone)
          problem(
            key,
            "availabilityZone",
            `no such availability zone in cloud B (zones: ${names}); set availabilityZone to one of them, or leave it out to let B's scheduler choose`,
            spec.availabilityZone,
          );
        else if (!zone.zoneState?.available)
          problem(
            key,
            "availabilityZone",
            `the availability zone is not available in cloud B (its compute hosts are down or disabled); choose another (zones: ${names}) or wait until it is back`,
            spec.availabilityZone,
          );
      }

      // kernel and initrd of a directly booted server
      if (cap.bootImages && Object.keys(cap.bootImages).length && !state.steps.has("image-create")) {
        const boot = await mapBootImages(this.a, this.b, cap.bootImages, projectId);
        for (const p of boot.problems) problem(key, `image.${p.property}`, p.message, p.value);
      }

      // network, and every interface with its fixed IP where networkMap maps it
      let defaultProblem: string | undefined;
      const defaultNetwork = () => {
        try {
          return resolveNetwork(nets, spec);
        } catch (e) {
          defaultProblem = (e as Error).message;
          throw e;
        }
      };
      const firstMapped = (spec.networkMap ?? []).some(
        (m) => cap.ports?.[0] && (m.source === cap.ports[0].networkId || m.source === cap.ports[0].networkName),
      );
      if (!firstMapped || !cap.ports) {
        try {
          plan.networkId = defaultNetwork();
        } catch {
          problem(key, "network", String(defaultProblem), spec.network);
        }
      }
      if (!cap.ports && cap.extraPorts?.length) {
        problem(
          key,
          "source",
          `the journal's capture of this server predates interface moves and lists ${cap.extraPorts.length} extra interface(s) without their networks; remove what this migration made in cloud B and its journal entries, then start it again`,
          spec.source,
        );
      } else if (cap.ports && !createdB("server") && !state.steps.has("boot")) {
        if (spec.networkMap?.length || cap.ports.length > 1) {
          subnetsB ??= await this.b.neutron.listSubnets({});
          usedIpsB ??= new Map(
            (await this.b.neutron.listPorts({})).flatMap((p) => p.fixed_ips.map((f) => [f.ip_address, p.id] as const)),
          );
        }
        const nicPlan = planNics({
          ports: cap.ports,
          spec,
          networks: nets,
          subnets: subnetsB ?? [],
          usedIps: usedIpsB ?? new Map(),
          defaultNetwork: () => resolveNetwork(nets, spec),
        });
        for (const p of nicPlan.problems) problem(key, p.field, p.message, p.value);
        for (const w of nicPlan.warnings) report.warnings.push({ server: key, message: w });
        // Two servers of one batch keeping the same address in B.
        for (const n of nicPlan.nics) {
          if (!n.fixed_ip) continue;
          const other = ipsClaimed.get(n.fixed_ip);
          if (other && other !== key)
            problem(
              key,
              "networkMap",
              `fixed IP is also kept by server ${other} of this spec; only one can have it`,
              n.fixed_ip,
            );
          ipsClaimed.set(n.fixed_ip, key);
        }
        plan.nics = nicPlan.nics;
        if (nicPlan.nics[0]) plan.networkId = nicPlan.nics[0].uuid;
      }

      // security group and rules that must not widen
      if (spec.securityGroup === "default" && !state.steps.has("security-group")) {
        const def = await this.b.neutron.listSecurityGroups({ name: "default", project_id: projectId });
        if (!def.length)
          problem(
            key,
            "securityGroup",
            "the default security group of project B was not found; name a group to create instead",
            spec.securityGroup,
          );
      }
      for (const r of cap.rules.filter((x) => x.remote_address_group_id)) {
        const id = String(r.remote_address_group_id);
        if (!cap.addressGroups?.[id]) {
          problem(
            key,
            "securityGroup",
            `rule ${describeRule(r)} allows only address group ${id}, which cloud A does not show to this user; recreated without it the rule would allow every source. Give the user access to the address group in A, or replace the rule in A by remote_ip_prefix rules`,
          );
          continue;
        }
        if (addressGroupsInB === undefined) {
          addressGroupsInB = await this.b.neutron.listAddressGroups({ name: "s2d-probe-none" }).then(
            () => "yes" as const,
            (e) =>
              e instanceof OpenStackError && (e.status === 404 || e.status === 400)
                ? ("no" as const)
                : Promise.reject(e),
          );
        }
        if (addressGroupsInB === "no") {
          problem(
            key,
            "securityGroup",
            `rule ${describeRule(r)} allows only address group "${cap.addressGroups[id].name}" (${cap.addressGroups[id].addresses.join(", ")}), but cloud B's Neutron has no address-group extension; recreated without it the rule would allow every source. Enable address groups in B, or replace the rule in A by remote_ip_prefix rules`,
          );
        }
      }

      // floating IP
      if (spec.floatingIp === "new" && !state.steps.has("floating-ip")) {
        const ext = nets.filter((n) => n["router:external"]);
        const f = spec.floatingNetwork
          ? ext.find((n) => n.id === spec.floatingNetwork || n.name === spec.floatingNetwork)
          : ext.length === 1
            ? ext[0]
            : undefined;
        if (!f) {
          if (spec.floatingNetwork)
            problem(
              key,
              "floatingNetwork",
              `external network not found in cloud B (external networks: ${ext.map((n) => n.name).join(", ") || "none"}); set floatingNetwork to one of them`,
              spec.floatingNetwork,
            );
          else
            problem(
              key,
              "floatingNetwork",
              `cloud B has ${ext.length} external networks (${ext.map((n) => n.name).join(", ") || "none"}); set floatingNetwork to the one to allocate from, or floatingIp: none`,
            );
        } else plan.floatingNetworkId = f.id;
        if (!createdB("floating_ip")) need.floatingIps++;
      } else if (
        spec.floatingIp !== "none" &&
        !state.steps.has("floating-ip") &&
        !createdB("floating_ip_association")
      ) {
        const f = (await this.b.neutron.listFloatingIps({ floating_ip_address: spec.floatingIp }))[0];
        if (!f)
          problem(
            key,
            "floatingIp",
            `address is not allocated to project B; allocate it there or use "new"`,
            spec.floatingIp,
          );
        else if (f.port_id)
          problem(
            key,
            "floatingIp",
            `address is already associated with port ${f.port_id} in cloud B; release it there or use "new"`,
            spec.floatingIp,
          );
      }

      // what the quotas must still hold
      if (!createdB("server") && !state.steps.has("boot")) {
        need.instances++;
        need.cores += flavor?.vcpus ?? 0;
        need.ram += flavor?.ram ?? 0;
      }
      if (!createdB("image")) need.images++;
    }
    await this.checkQuotas(projectId, need, report);
    return report;
  }

  /** Quotas of B against what the migration will add; a quota that cannot be read is a warning, not a stop. */
  private async checkQuotas(
    projectId: string,
    need: {
      instances: number;
      cores: number;
      ram: number;
      floatingIps: number;
      images: number;
      volumes: number;
      gigabytes: number;
    },
    report: PreflightReport,
  ): Promise<void> {
    const over = (field: string, what: string, limit: number, used: number, wanted: number) => {
      if (limit >= 0 && wanted > 0 && used + wanted > limit) {
        report.problems.push({
          server: "(all)",
          field,
          value: `${used}/${limit}`,
          message: `project B uses ${used} of ${limit} ${what} and this migration needs ${wanted} more; raise the quota in B or migrate fewer servers at once`,
        });
      }
    };
    try {
      if (need.instances) {
        const l = await this.b.nova.absoluteLimits();
        over("quota.instances", "instances", l.maxTotalInstances ?? -1, l.totalInstancesUsed ?? 0, need.instances);
        over("quota.cores", "cores", l.maxTotalCores ?? -1, l.totalCoresUsed ?? 0, need.cores);
        over("quota.ram", "MB of RAM", l.maxTotalRAMSize ?? -1, l.totalRAMUsed ?? 0, need.ram);
      }
    } catch (e) {
      report.warnings.push({ server: "(all)", message: `compute quotas of B not checked: ${(e as Error).message}` });
    }
    try {
      if (need.floatingIps) {
        const q = (await this.b.neutron.quotaDetails(projectId)).floatingip;
        if (q) over("quota.floatingip", "floating IPs", q.limit, q.used + (q.reserved ?? 0), need.floatingIps);
      }
    } catch (e) {
      report.warnings.push({ server: "(all)", message: `floating-IP quota of B not checked: ${(e as Error).message}` });
    }
    try {
      if (need.volumes) {
        const q = await this.b.cinder.quotaUsage(projectId);
        const used = (u?: { in_use: number; reserved?: number }) => (u ? u.in_use + (u.reserved ?? 0) : 0);
        if (q.volumes) over("quota.volumes", "volumes", q.volumes.limit, used(q.volumes), need.volumes);
        if (q.gigabytes)
          over("quota.gigabytes", "GB of volume storage", q.gigabytes.limit, used(q.gigabytes), need.gigabytes);
      }
    } catch (e) {
      report.warnings.push({ server: "(all)", message: `volume quotas of B not checked: ${(e as Error).message}` });
    }
    try {
      if (need.images) {
        const u = await this.b.glance.usage();
        const count = u?.image_count_total;
        if (count) over("quota.image_count_total", "images", count.limit, count.usage, need.images);
      }
    } catch (e) {
      report.warnings.push({ server: "(all)", message: `image quota of B not checked: ${(e as Error).message}` });
    }
  }

  private async floatingIp(
    spec: ServerSpec,
    serverId: string,
    created: (r: CreatedResource) => void,
    /** The first interface's network: the floating IP goes to that port. */
    firstNetworkId?: string,
  ): Promise<string | undefined> {
    if (spec.floatingIp === "none") return undefined;
    const ports = await this.b.neutron.listPorts({ device_id: serverId });
    const port = ports.find((p) => p.network_id === firstNetworkId) ?? ports[0];
    if (!port) throw new Error(`server ${serverId} has no port in cloud B`);
    const attached = await this.b.neutron.listFloatingIps({ port_id: port.id });
    if (attached.length) return attached[0].floating_ip_address;
    if (spec.floatingIp === "new") {
      const nets = await this.b.neutron.listNetworks({ "router:external": true });
      const ext = spec.floatingNetwork
        ? nets.find((n) => n.id === spec.floatingNetwork || n.name === spec.floatingNetwork)
        : nets.length === 1
          ? nets[0]
          : undefined;
      if (!ext)
        throw new Error(
          spec.floatingNetwork
            ? `external network "${spec.floatingNetwork}" not found in cloud B`
            : `cloud B has ${nets.length} external networks; set floatingNetwork`,
        );
      const f = await this.b.neutron.createFloatingIp({
        floating_network_id: ext.id,
        port_id: port.id,
        description: "s2d migration",
      });
      created({ type: "floating_ip", id: f.id, cloud: "B" });
      return f.floating_ip_address;
    }
    const f = (await this.b.neutron.listFloatingIps({ floating_ip_address: spec.floatingIp }))[0];
    if (!f) throw new Error(`floating IP ${spec.floatingIp} is not allocated to project B; allocate it or use "new"`);
    if (f.port_id && f.port_id !== port.id)
      throw new Error(`floating IP ${spec.floatingIp} is already associated with port ${f.port_id} in cloud B`);
    await this.b.neutron.associateFloatingIp(f.id, port.id);
    created({ type: "floating_ip_association", id: f.id, cloud: "B" });
    return f.floating_ip_address;
  }
}

/** B's network for a server: the named one (or id), else B's only non-external network. */
export function resolveNetwork(nets: Network[], spec: Pick<ServerSpec, "network">): string {
  if (spec.network) {
    const n = nets.find((x) => x.id === spec.network) ?? nets.filter((x) => x.name === spec.network);
    if (Array.isArray(n)) {
      if (n.length === 1) return n[0].id;
      throw new Error(
        `network ${n.length ? "name is ambiguous" : "not found"} in cloud B (have: ${nets.map((x) => x.name).join(", ") || "none"}); set network to ${n.length ? "the id of one of them" : "one of these names or an id"}`,
      );
    }
    return n.id;
  }
  const internal = nets.filter((x) => !x["router:external"]);
  if (internal.length === 1) return internal[0].id;
  throw new Error(
    `cloud B has ${internal.length} non-external networks (${internal.map((x) => x.name).join(", ") || "none"}); set network in the spec`,
  );
}

/** Top-level spec fields whose values differ (for the "spec changed" message). */
function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort();
}

function sameSet(a: string[], b: string[]): boolean {
  const norm = (x: string[]) =>
    [...new Set(x.map((v) => (v.includes("/") ? v : v.includes(":") ? `${v}/128` : `${v}/32`)))].sort().join(",");
  return norm(a) === norm(b);
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
