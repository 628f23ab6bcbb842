/** Cinder (block storage v3) API: volumes, their image upload, volume types and the project's quota usage. */
import { OpenStackError } from "./errors";
import { Session } from "./session";
import { WaitOptions, waitFor } from "./wait";

export interface Volume {
  id: string;
  name: string | null;
  description?: string | null;
  status: string;
  size: number;
  volume_type?: string | null;
  bootable?: string | boolean;
  availability_zone?: string;
  metadata?: Record<string, string>;
  attachments?: { server_id: string; device?: string; attachment_id?: string; volume_id?: string }[];
}

export interface CreateVolumeRequest {
  size: number;
  name?: string;
  description?: string;
  volume_type?: string;
  imageRef?: string;
  source_volid?: string;
  availability_zone?: string;
  metadata?: Record<string, string>;
}

/** One quota of Cinder's `?usage=true` answer. */
export interface QuotaUsage {
  limit: number;
  in_use: number;
  reserved?: number;
}

const enc = encodeURIComponent;

export class Cinder {
  constructor(private readonly session: Session) {}

  private async call<T>(
    method: string,
    path: string,
    extra: {
      body?: unknown;
      query?: Record<string, string | number | boolean | undefined>;
      okStatuses?: number[];
    } = {},
  ): Promise<T> {
    // 3.0 is the base of v3 every Cinder since Ocata serves; nothing here needs a later microversion.
    const { body } = await this.session.json<T>("block-storage", {
      method,
      path,
      headers: { "OpenStack-API-Version": "volume 3.0" },
      ...extra,
    });
    return body;
  }

  async getVolume(id: string): Promise<Volume> {
    return (await this.call<{ volume: Volume }>("GET", `volumes/${enc(id)}`)).volume;
  }

  async findVolume(id: string): Promise<Volume | undefined> {
    try {
      return await this.getVolume(id);
    } catch (e) {
      if (e instanceof OpenStackError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Volumes of the token's project (details); `metadata` filters as Cinder's `metadata={…}` does. */
  async listVolumes(query: { name?: string; metadata?: Record<string, string> } = {}): Promise<Volume[]> {
    const q: Record<string, string> = {};
    if (query.name) q.name = query.name;
    if (query.metadata) q.metadata = JSON.stringify(query.metadata);
    return (await this.call<{ volumes: Volume[] }>("GET", "volumes/detail", { query: q })).volumes;
  }

  async createVolume(req: CreateVolumeRequest): Promise<Volume> {
    return (await this.call<{ volume: Volume }>("POST", "volumes", { body: { volume: req } })).volume;
  }

  async deleteVolume(id: string): Promise<void> {
    await this.call("DELETE", `volumes/${enc(id)}`, { okStatuses: [404] });
  }

  /**
   * Uploads a volume's bytes to a new Glance image (`os-volume_upload_image`); returns the image
   * id. Cinder refuses an in-use volume unless `force` and its `enable_force_upload` are set.
   */
  async uploadToImage(
    id: string,
    req: { image_name: string; disk_format?: string; container_format?: string; force?: boolean },
  ): Promise<string> {
    const r = await this.call<{ "os-volume_upload_image": { image_id: string } }>("POST", `volumes/${enc(id)}/action`, {
      body: {
        "os-volume_upload_image": {
          disk_format: "raw",
          container_format: "bare",
          force: false,
          ...req,
        },
      },
    });
    return r["os-volume_upload_image"].image_id;
  }

  async listVolumeTypes(): Promise<{ id: string; name: string }[]> {
    return (await this.call<{ volume_types: { id: string; name: string }[] }>("GET", "types")).volume_types;
  }

  /** The project's quotas with what is in use (`volumes`, `gigabytes`, per-type entries …). */
  async quotaUsage(projectId: string): Promise<Record<string, QuotaUsage>> {
    const r = await this.call<{ quota_set: Record<string, QuotaUsage | string> }>(
      "GET",
      `os-quota-sets/${enc(projectId)}`,
      { query: { usage: true } },
    );
    return Object.fromEntries(
      Object.entries(r.quota_set).filter((e): e is [string, QuotaUsage] => typeof e[1] === "object"),
    );
  }

  /** Waits for a volume status; fails fast on error states. */
  async waitForVolume(id: string, statuses: string[], opts: WaitOptions = {}): Promise<Volume> {
    return waitFor(
      `volume ${id} → ${statuses.join("|")}`,
      () => this.getVolume(id),
      (v) => statuses.includes(v.status),
      (v) => (/^error/.test(v.status) && !statuses.includes(v.status) ? `volume is ${v.status}` : undefined),
      opts,
    );
  }
}
