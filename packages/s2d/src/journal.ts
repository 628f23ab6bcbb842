/**
 * The resume journal: one JSON line per event, appended and fsync'd before the engine moves
 * on, so after a crash or Ctrl-C it holds every finished step and every ID created — also IDs
 * created by a step that did not finish (written right after the create call answered, or
 * before it for client-chosen IDs).
 */
import * as fs from "node:fs";

export interface JournalRecord {
  /** Which server of the spec (its `source`). */
  server: string;
  /** "step" = a step finished (with its outputs); "created"/"deleted" = a resource in B; "failed"; "done". */
  kind: "start" | "step" | "created" | "deleted" | "failed" | "done" | "cleaned";
  step?: string;
  resource?: CreatedResource;
  data?: Record<string, unknown>;
  at: string;
}

export interface CreatedResource {
  type:
    | "image"
    | "server"
    | "keypair"
    | "security_group"
    | "security_group_rule"
    | "address_group"
    | "floating_ip"
    | "floating_ip_association"
    | "source_snapshot"
    | "source_stopped"
    /** A data volume s2d detached from the stopped source to upload it (reattached after, or by cleanup). */
    | "source_volume_detached"
    /** A's image of a data volume (os-volume_upload_image): kept for resume, removed after success. */
    | "source_volume_image"
    /** B's copy of a volume image, the volume in B is created from it; removed after success. */
    | "volume_image"
    /** The data volume created in B. */
    | "volume";
  id: string;
  /** Cloud the resource lives in. */
  cloud: "A" | "B";
  /**
   * Made by s2d for another migration and used by this one too (a security group, an address
   * group, a zero-copy image): removed by whichever migration is removed last (removal.ts).
   */
  shared?: boolean;
  /**
   * What the resource belongs to: the source volume's id for volume images and volumes; for a
   * detached source volume, the source server's id and the device ("server-id device").
   */
  ref?: string;
}

export interface ServerState {
  steps: Map<string, Record<string, unknown>>;
  created: CreatedResource[];
  done: boolean;
  failed?: string;
  cleaned: boolean;
}

export class Journal {
  private fd?: number;
  readonly records: JournalRecord[];

  /** `file` null: kept in memory only (`s2d plan`, which must leave no journal behind). */
  constructor(readonly file: string | null) {
    this.records = file === null ? [] : Journal.read(file);
    if (file !== null) this.fd = fs.openSync(file, "a", 0o600);
  }

  static read(file: string): JournalRecord[] {
    if (!fs.existsSync(file)) return [];
    const out: JournalRecord[] = [];
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as JournalRecord);
      } catch {
        // A torn last line (killed mid-write) is ignored: the step it described did not finish.
      }
    }
    return out;
  }

  append(rec: Omit<JournalRecord, "at">): void {
    const full: JournalRecord = { ...rec, at: new Date().toISOString() };
    if (this.fd !== undefined) {
      fs.writeSync(this.fd, JSON.stringify(full) + "\n");
      fs.fsyncSync(this.fd);
    }
    this.records.push(full);
  }

  stateOf(server: string): ServerState {
    const st: ServerState = { steps: new Map(), created: [], done: false, cleaned: false };
    for (const r of this.records) {
      if (r.server !== server) continue;
      if (r.kind === "step" && r.step) st.steps.set(r.step, r.data ?? {});
      if (r.kind === "created" && r.resource) st.created.push(r.resource);
      if (r.kind === "deleted" && r.resource)
        st.created = st.created.filter((c) => !(c.type === r.resource!.type && c.id === r.resource!.id));
      if (r.kind === "done") st.done = true;
      if (r.kind === "failed") st.failed = String(r.data?.error ?? "failed");
      if (r.kind === "cleaned") {
        st.cleaned = true;
        st.steps.clear();
        st.failed = undefined;
      }
    }
    return st;
  }

  /** The spec a server's migration was started with (its latest "start" record), if recorded. */
  startOf(server: string): { fingerprint?: string; spec?: Record<string, unknown> } | undefined {
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      if (r.server === server && r.kind === "start")
        return {
          fingerprint: r.data?.fingerprint as string | undefined,
          spec: r.data?.spec as Record<string, unknown> | undefined,
        };
    }
    return undefined;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
