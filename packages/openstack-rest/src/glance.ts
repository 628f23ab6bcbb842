/** Glance v2 (image) API: images, JSON-patch updates, streamed data download and upload. */
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { OpenStackError } from "./errors";
import { Session } from "./session";
import { WaitOptions, waitFor } from "./wait";
import { enc } from "./nova";

export interface Image {
  id: string;
  name: string | null;
  status:
    | "queued"
    | "saving"
    | "active"
    | "killed"
    | "deleted"
    | "pending_delete"
    | "deactivated"
    | "uploading"
    | "importing"
    | string;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size?: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  visibility: string;
  protected: boolean;
  owner: string;
  tags: string[];
  /** Every other property is a string (hw_*, os_*, user properties…). */
  [property: string]: unknown;
}

export interface CreateImageRequest {
  name: string;
  disk_format?: string;
  container_format?: string;
  min_disk?: number;
  min_ram?: number;
  visibility?: "private" | "shared" | "community" | "public";
  protected?: boolean;
  tags?: string[];
  id?: string;
  /** Extra properties: Glance accepts only string values for them. */
  [property: string]: unknown;
}

export type JsonPatchOp = { op: "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

export interface ImageDownload {
  /** The data stream; consume it or call `stream.destroy()`. */
  stream: IncomingMessage;
  /** Content-Length when Glance sent it. */
  size?: number;
  /** Hex MD5 from Content-MD5 (Glance sends the image checksum there). */
  contentMd5?: string;
  requestId?: string;
}

export class ImageHasNoDataError extends Error {
  constructor(readonly imageId: string) {
    super(`image ${imageId} has no data (Glance answered 204): a boot-from-volume snapshot or an image still queued`);
    this.name = "ImageHasNoDataError";
  }
}

export class Glance {
  constructor(private readonly session: Session) {}

  async getImage(id: string): Promise<Image> {
    return (await this.session.json<Image>("image", { method: "GET", path: `/images/${enc(id)}` })).body;
  }

  async findImage(id: string): Promise<Image | undefined> {
    try {
      return await this.getImage(id);
    } catch (e) {
      if (e instanceof OpenStackError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Lists images with filters, following `next` links. */
  async listImages(query: Record<string, string | number | undefined> = {}): Promise<Image[]> {
    const out: Image[] = [];
    let path = "/images";
    let q: typeof query | undefined = { limit: 200, ...query };
    for (;;) {
      const { body } = await this.session.json<{ images: Image[]; next?: string }>("image", {
        method: "GET",
        path,
        query: q,
      });
      out.push(...body.images);
      if (!body.next || body.images.length === 0) return out;
      // `next` is "/v2/images?marker=…": relative to the unversioned endpoint (which may carry a path prefix).
      const endpoint = await this.session.endpoint("image");
      path = endpoint.replace(/\/v2$/, "") + body.next;
      q = undefined;
    }
  }

  /** Creates an image record (status queued). With a chosen `id`, a resend answers 409 instead of duplicating. */
  async createImage(req: CreateImageRequest): Promise<Image> {
    return (
      await this.session.json<Image>("image", {
        method: "POST",
        path: "/images",
        body: req,
        idempotent: req.id !== undefined,
      })
    ).body;
  }

  /** Applies a JSON patch (application/openstack-images-v2.1-json-patch). */
  async patchImage(id: string, ops: JsonPatchOp[]): Promise<Image> {
    return (
      await this.session.json<Image>("image", {
        method: "PATCH",
        path: `/images/${enc(id)}`,
        body: JSON.stringify(ops),
        headers: { "Content-Type": "application/openstack-images-v2.1-json-patch" },
      })
    ).body;
  }

  /** Sets (add/replace) and removes properties in one patch, choosing add vs replace from the current image. */
  async updateProperties(id: string, set: Record<string, unknown>, remove: string[] = []): Promise<Image> {
    const current = await this.getImage(id);
    const ops: JsonPatchOp[] = [];
    for (const [k, v] of Object.entries(set))
      ops.push({ op: k in current ? "replace" : "add", path: `/${escapePointer(k)}`, value: v });
    for (const k of remove) if (k in current) ops.push({ op: "remove", path: `/${escapePointer(k)}` });
    return ops.length ? this.patchImage(id, ops) : current;
  }

  async deleteImage(id: string): Promise<void> {
    await this.session.json("image", { method: "DELETE", path: `/images/${enc(id)}`, okStatuses: [404] });
  }

  /** Starts a streamed download of the image data. Throws ImageHasNoDataError on 204. */
  async download(id: string, range?: { start: number; end?: number }): Promise<ImageDownload> {
    const headers: Record<string, string> = {};
    if (range) headers.Range = `bytes=${range.start}-${range.end ?? ""}`;
    const { res, info } = await this.session.send("image", { method: "GET", path: `/images/${enc(id)}/file`, headers });
    if (info.status === 204) {
      res.resume();
      throw new ImageHasNoDataError(id);
    }
    const len = res.headers["content-length"];
    const md5 = res.headers["content-md5"];
    return {
      stream: res,
      size: len !== undefined ? Number(len) : undefined,
      contentMd5: typeof md5 === "string" ? md5 : undefined,
      requestId: info.requestId,
    };
  }

  /**
   * Streams data into a queued image (PUT /file). Backpressure: the source is read only as
   * fast as the socket drains. A streamed body cannot be resent: on failure Glance puts the
   * image back to `queued` and the caller retries with a fresh source.
   */
  async upload(id: string, data: Readable, size?: number): Promise<void> {
    const headers: Record<string, string> = { "Content-Type": "application/octet-stream" };
    if (size !== undefined) headers["Content-Length"] = String(size);
    const { res } = await this.session.send("image", {
      method: "PUT",
      path: `/images/${enc(id)}/file`,
      headers,
      body: data,
      idempotent: false,
    });
    res.resume();
    await new Promise<void>((resolve, reject) => {
      res.on("end", resolve);
      res.on("error", reject);
    });
  }

  /** Waits for an image status; fails on killed/deleted. */
  async waitForImage(id: string, statuses: string[], opts: WaitOptions = {}): Promise<Image> {
    return waitFor(
      `image ${id} → ${statuses.join("|")}`,
      () => this.getImage(id),
      (i) => statuses.includes(i.status),
      (i) =>
        ["killed", "deleted", "pending_delete"].includes(i.status) && !statuses.includes(i.status)
          ? `image is ${i.status}`
          : undefined,
      opts,
    );
  }

  /** Glance's usage/quota view (GET /v2/info/usage, Yoga+); undefined when not offered. */
  async usage(): Promise<Record<string, { limit: number; usage: number }> | undefined> {
    try {
      return (
        await this.session.json<{ usage: Record<string, { limit: number; usage: number }> }>("image", {
          method: "GET",
          path: "/info/usage",
        })
      ).body.usage;
    } catch (e) {
      if (e instanceof OpenStackError && e.status === 404) return undefined;
      throw e;
    }
  }
}

/** RFC 6901 escaping for a property name used as a JSON pointer. */
export function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}
