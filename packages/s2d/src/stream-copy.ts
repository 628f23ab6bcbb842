/**
 * Glance A → Glance B in one pass: the download stream is piped through a hashing transform
 * (MD5 + the image's os_hash_algo, usually sha512) straight into the upload request. No
 * temporary file; memory stays at a few stream buffers whatever the image size because
 * stream.pipeline propagates backpressure from B's socket back to A's.
 */
import { createHash, getHashes, Hash } from "node:crypto";
import { Transform, TransformCallback } from "node:stream";
import type { Glance, Image } from "@openstack-blueprints/openstack-rest";

export interface CopyProgress {
  bytes: number;
  total?: number;
  elapsedMs: number;
  /** Bytes per second over the whole copy so far. */
  rate: number;
  etaMs?: number;
}

export interface CopyResult {
  bytes: number;
  md5: string;
  hashAlgo: string;
  hashValue: string;
  elapsedMs: number;
}

export class ChecksumMismatchError extends Error {
  constructor(readonly what: string, readonly expected: string, readonly actual: string) {
    super(`${what} mismatch: expected ${expected}, got ${actual} — the stream was corrupted in transit`);
    this.name = "ChecksumMismatchError";
  }
}

/** Hashes and counts bytes as they pass; optionally limits the rate (bytes/s) to spare a shared link. */
export class HashingMeter extends Transform {
  readonly md5: Hash = createHash("md5");
  readonly hash: Hash;
  bytes = 0;
  private readonly started = Date.now();
  private lastReport = 0;

  constructor(readonly hashAlgo: string, private readonly onProgress?: (p: CopyProgress) => void, private readonly total?: number, private readonly maxBytesPerSecond?: number) {
    super({ highWaterMark: 1 << 20 });
    if (!getHashes().includes(hashAlgo)) throw new Error(`os_hash_algo "${hashAlgo}" is not supported by this Node.js`);
    this.hash = createHash(hashAlgo);
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.md5.update(chunk);
    this.hash.update(chunk);
    this.bytes += chunk.length;
    const now = Date.now();
    if (this.onProgress && now - this.lastReport >= 500) {
      this.lastReport = now;
      this.onProgress(this.progress(now));
    }
    if (this.maxBytesPerSecond) {
      const due = this.started + (this.bytes / this.maxBytesPerSecond) * 1000;
      const wait = due - now;
      if (wait > 0) {
        setTimeout(() => cb(null, chunk), wait);
        return;
      }
    }
    cb(null, chunk);
  }

  _flush(cb: TransformCallback): void {
    this.onProgress?.(this.progress(Date.now()));
    cb();
  }

  progress(now = Date.now()): CopyProgress {
    const elapsedMs = Math.max(1, now - this.started);
    const rate = (this.bytes * 1000) / elapsedMs;
    const etaMs = this.total && rate > 0 ? ((this.total - this.bytes) / rate) * 1000 : undefined;
    return { bytes: this.bytes, total: this.total, elapsedMs, rate, etaMs };
  }
}

export interface StreamCopyOptions {
  onProgress?: (p: CopyProgress) => void;
  /** Limit in bytes per second (0/undefined = as fast as possible). */
  maxBytesPerSecond?: number;
  /**
   * Extra transform between download and hashing (tests use it to stand for a faulty link).
   * Hashes are computed on what B receives, so corruption anywhere on the way is caught.
   */
  tap?: Transform;
}

/**
 * Streams A's image data into B's (queued) image and verifies: what B received hashes to A's
 * checksum and os_hash_value, and B reports the same values. Throws ChecksumMismatchError
 * otherwise (the caller removes B's image).
 */
export async function streamImage(a: Glance, source: Image, b: Glance, targetImageId: string, opts: StreamCopyOptions = {}): Promise<CopyResult> {
  if (!source.checksum || !source.os_hash_value) {
    throw new Error(`source image ${source.id} has no checksum/os_hash_value (status ${source.status}); it must be active with data`);
  }
  const algo = source.os_hash_algo ?? "sha512";
  const dl = await a.download(source.id);
  const meter = new HashingMeter(algo, opts.onProgress, source.size ?? dl.size, opts.maxBytesPerSecond);
  let input: NodeJS.ReadableStream = dl.stream;
  if (opts.tap) input = dl.stream.pipe(opts.tap);
  // Without a tap, pipe is replaced by upload's pipeline over the meter (errors propagate both ways).
  const body = input.pipe(meter);
  dl.stream.on("error", (e) => meter.destroy(e));
  opts.tap?.on("error", (e) => meter.destroy(e));
  const started = Date.now();
  try {
    await b.upload(targetImageId, body, source.size ?? undefined);
  } catch (e) {
    dl.stream.destroy();
    throw e;
  }
  const md5 = meter.md5.digest("hex");
  const hashValue = meter.hash.digest("hex");
  const result: CopyResult = { bytes: meter.bytes, md5, hashAlgo: algo, hashValue, elapsedMs: Date.now() - started };
  if (md5 !== source.checksum) throw new ChecksumMismatchError("MD5 of the bytes sent to B vs A's checksum", source.checksum, md5);
  if (hashValue !== source.os_hash_value) throw new ChecksumMismatchError(`${algo} of the bytes sent to B vs A's os_hash_value`, source.os_hash_value, hashValue);
  const target = await b.waitForImage(targetImageId, ["active"], { timeoutMs: 300_000 });
  if (target.checksum !== source.checksum) throw new ChecksumMismatchError("B's checksum vs A's", source.checksum, String(target.checksum));
  if (target.os_hash_value !== source.os_hash_value) throw new ChecksumMismatchError("B's os_hash_value vs A's", source.os_hash_value, String(target.os_hash_value));
  if (target.size !== source.size) throw new ChecksumMismatchError("B's size vs A's", String(source.size), String(target.size));
  return result;
}
