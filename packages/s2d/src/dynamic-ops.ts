/**
 * The three operations behind the S2DMigration Pulumi dynamic resource, as plain async
 * functions (testable directly against a real cloud): create runs the engine for one server,
 * read refreshes the target server from cloud B, delete removes what create made in B.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Server } from "@openstack-blueprints/openstack-rest";
import { clientOf } from "./clouds";
import { EngineEvent, MigrationEngine, MigrationResult, SpecChangedError } from "./engine";
import { CreatedResource, Journal } from "./journal";
import { removeCreated } from "./removal";
import { CloudRef, CloudRefSchema, ServerSpec, ServerSpecSchema } from "./spec";

export interface MigrationInputs {
  source: CloudRef;
  target: CloudRef;
  /** One server spec (same fields as a YAML spec's servers[] entry). */
  server: Record<string, unknown>;
  /** Keep what was created in B when the resource is deleted. */
  retain?: boolean;
  /** Where the resume journal lives (default: the OS temp dir). */
  journalDir?: string;
  /**
   * Which resource this is (project/stack/name): its journal is its own, so two S2DMigration
   * resources of one source server never read each other's steps.
   */
  journalKey?: string;
}

export interface MigrationOutputs extends MigrationInputs {
  targetServerId: string;
  targetServerName: string;
  targetServerStatus: string;
  /** B's addresses of the new server by network name (fixed and floating), read back from Nova. */
  addresses: Record<string, string[]>;
  targetImageId: string;
  floatingIp: string;
  /** B's image checksums, each verified against the streamed bytes (`hashCheck` says how). */
  checksums: MigrationResult["checksums"];
  /** The data volumes moved with the server (B's volume ids, devices, verified checksums). */
  volumes?: NonNullable<MigrationResult["volumes"]>;
  /** What create made in cloud B (deleted in reverse order by delete unless retained). */
  createdInTarget: CreatedResource[];
  journalFile: string;
}

function parseInputs(inputs: MigrationInputs): { source: CloudRef; target: CloudRef; server: ServerSpec } {
  return {
    source: CloudRefSchema.parse(inputs.source),
    target: CloudRefSchema.parse(inputs.target),
    server: ServerSpecSchema.parse(inputs.server),
  };
}

/**
 * One journal per resource (per target and source server for callers that name no resource): a
 * failed or interrupted create resumes on the next `up`; the journal's spec fingerprint refuses
 * a resume after the spec changed (SpecChangedError names the fields and this file).
 */
export function journalFileFor(inputs: MigrationInputs): string {
  const key = crypto
    .createHash("sha256")
    .update(
      JSON.stringify([
        inputs.target.cloud ?? inputs.target.authUrl,
        inputs.target.project,
        inputs.source.cloud ?? inputs.source.authUrl,
        inputs.server.source,
        ...(inputs.journalKey ? [inputs.journalKey] : []),
      ]),
    )
    .digest("hex")
    .slice(0, 16);
  const dir = inputs.journalDir ?? path.join(os.tmpdir(), "s2d-journals");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return path.join(dir, `${key}.journal`);
}

export async function createMigration(
  inputs: MigrationInputs,
  onEvent?: (e: EngineEvent) => void,
): Promise<{ id: string; outs: MigrationOutputs }> {
  const p = parseInputs(inputs);
  const journalFile = journalFileFor(inputs);
  const journal = new Journal(journalFile);
  const a = clientOf(p.source, "source");
  const b = clientOf(p.target, "target");
  try {
    const engine = new MigrationEngine(a, b, { journal, onEvent });
    const r: MigrationResult = await engine.migrate(p.server).catch((e: Error) => {
      if (e instanceof SpecChangedError)
        throw new Error(
          `${e.message}. Its journal is ${journalFile}: restore the previous arguments and run up again, or remove what it created in cloud B and that file`,
        );
      throw e;
    });
    const createdInTarget = journal.stateOf(p.server.source).created.filter((c) => c.cloud === "B");
    return {
      id: r.targetServerId,
      outs: {
        ...inputs,
        targetServerId: r.targetServerId,
        targetServerName: r.targetServerName,
        targetServerStatus: r.targetServerStatus,
        addresses: r.addresses,
        targetImageId: r.targetImageId,
        floatingIp: r.floatingIp ?? "",
        checksums: r.checksums,
        volumes: r.volumes ?? [],
        createdInTarget,
        journalFile,
      },
    };
  } finally {
    journal.close();
    a.close();
    b.close();
  }
}

/** Refreshes from cloud B; a server that is gone reports status "DELETED". */
export async function readMigration(
  id: string,
  props: MigrationOutputs,
): Promise<{ id: string; props: MigrationOutputs }> {
  const b = clientOf(CloudRefSchema.parse(props.target), "target");
  try {
    const s = await b.nova.findServer(id);
    const fips = s ? await b.neutron.listFloatingIps({ floating_ip_address: props.floatingIp || undefined }) : [];
    const floatingIp = props.floatingIp && fips.some((f) => f.port_id) ? props.floatingIp : "";
    return {
      id,
      props: {
        ...props,
        targetServerStatus: s?.status ?? "DELETED",
        addresses: s ? refreshedAddresses(s, props, floatingIp) : {},
        floatingIp,
      },
    };
  } finally {
    b.close();
  }
}

/** Nova's addresses of the server, with the floating IP kept when Nova's lagging view lacks it. */
function refreshedAddresses(s: Server, props: MigrationOutputs, fip: string): Record<string, string[]> {
  const out = Object.fromEntries(Object.entries(s.addresses ?? {}).map(([n, list]) => [n, list.map((x) => x.addr)]));
  if (fip && !Object.values(out).flat().includes(fip)) {
    const net = Object.keys(props.addresses ?? {}).find((n) => props.addresses[n].includes(fip)) ?? Object.keys(out)[0];
    if (net) out[net] = [...(out[net] ?? []), fip];
  }
  return out;
}

/**
 * Removes what create made in B (newest first) unless retained; missing things count as removed,
 * and what another migrated server still uses (a shared group, its rules, a keypair, a reused
 * image) is kept for it. Whatever could not be removed is named in one error.
 */
export async function deleteMigration(id: string, props: MigrationOutputs): Promise<void> {
  if (props.retain) return;
  const b = clientOf(CloudRefSchema.parse(props.target), "target");
  try {
    const items = [...props.createdInTarget].reverse();
    if (id && !props.createdInTarget.some((r) => r.type === "server" && r.id === id))
      items.unshift({ type: "server", id, cloud: "B" });
    const failed: string[] = [];
    await removeCreated({ b }, items, (o) => {
      if (o.error) failed.push(`${o.resource.type} ${o.resource.id}: ${o.error}`);
    });
    if (failed.length) throw new Error(`could not remove from cloud B: ${failed.join("; ")}`);
    if (props.journalFile) fs.rmSync(props.journalFile, { force: true });
  } finally {
    b.close();
  }
}
