/**
 * Glance A → Glance B in one pass: the download stream is piped through a hashing transform
 * (MD5 + the image's os_hash_algo, usually sha512) straight into the upload request. The two
 * Glances may use different `hashing_algorithm`s, so B's os_hash_value is compared with A's
 * only when both name the same algorithm, otherwise with a hash computed here of the same
 * bytes in B's algorithm, or — when B's algorithm was not computed — left to the MD5 that
 * both Glances report. No
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
  /** A's os_hash_algo and the value of the streamed bytes in it (equal to A's os_hash_value). */
  hashAlgo: string;
  hashValue: string;
  /** B's os_hash_algo and os_hash_value, and how B's value was checked. */
  targetHashAlgo: string;
  targetHashValue: string;
  /** "same-algorithm": equal to A's value; "own-hash": equal to our hash in B's algorithm; "md5-only": B's algorithm was not computed, MD5 and size matched. */
  targetHashCheck: "same-algorithm" | "own-hash" | "md5-only";
  elapsedMs: number;
}

/** Glance names its algorithms as Python's hashlib does; Node's crypto names some differently. */
export function nodeHashName(glanceAlgo: string): string | undefined {
  const a = glanceAlgo.toLowerCase();
  const mapped = /^sha3_(224|256|384|512)$/.test(a)
    ? a.replace("_", "-")
    : a === "blake2b"
      ? "blake2b512"
      : a === "blake2s"
        ? "blake2s256"
        : a;
  return getHashes().includes(mapped) ? mapped : undefined;
}

export class ChecksumMismatchError extends Error {
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${what} mismatch: expected ${expected}, got ${actual} — the stream was corrupted in transit`);
    this.name = "ChecksumMismatchError";
  }
}

/** Hashes and counts bytes as they pass; optionally limits the rate (bytes/s) to spare a shared link. */
export class HashingMeter extends Transform {
  readonly md5: Hash = createHash("md5");
  readonly hash: Hash;
  /** Further hashes of the same bytes by Glance algorithm name (e.g. the likely algorithm of B). */
  readonly extra = new Map<string, Hash>();
  bytes = 0;
  private readonly started = Date.now();
  private lastReport = 0;

  constructor(
    readonly hashAlgo: string,
    private readonly onProgress?: (p: CopyProgress) => void,
    private readonly total?: number,
    private readonly maxBytesPerSecond?: number,
    extraAlgos: string[] = [],
  ) {
    super({ highWaterMark: 1 << 20 });
    const node = nodeHashName(hashAlgo);
    if (!node) throw new Error(`os_hash_algo "${hashAlgo}" is not supported by this Node.js`);
    this.hash = createHash(node);
    for (const x of extraAlgos) {
      const n = nodeHashName(x);
      if (n && x !== hashAlgo && !this.extra.has(x)) this.extra.set(x, createHash(n));
    }
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.md5.update(chunk);
    this.hash.update(chunk);
    for (const h of this.extra.values()) h.update(chunk);
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
  /**
   * Algorithms to hash the stream in besides A's, for B's os_hash_value (default: sha512,
   * Glance's default, when A uses another). An algorithm not computed leaves B's value to MD5.
   */
  extraHashAlgos?: string[];
  /** How long B may take to turn the image active after the upload (default 5 min). */
  activeTimeoutMs?: number;
  /** Told when B's os_hash_value could only be checked through MD5. */
  onWarning?: (message: string) => void;
}

/**
 * Streams A's image data into B's (queued) image and verifies: what B received hashes to A's
 * checksum and os_hash_value, and B reports the same MD5, the same size and an os_hash_value
 * equal to ours in B's algorithm. Throws ChecksumMismatchError otherwise (the caller removes
 * B's image).
 */
export async function streamImage(
  a: Glance,
  source: Image,
  b: Glance,
  targetImageId: string,
  opts: StreamCopyOptions = {},
): Promise<CopyResult> {
  if (!source.checksum || !source.os_hash_value) {
    throw new Error(
      `source image ${source.id} has no checksum/os_hash_value (status ${source.status}); it must be active with data`,
    );
  }
  const algo = source.os_hash_algo ?? "sha512";
  const dl = await a.download(source.id);
  const meter = new HashingMeter(
    algo,
    opts.onProgress,
    source.size ?? dl.size,
    opts.maxBytesPerSecond,
    opts.extraHashAlgos ?? ["sha512"],
  );
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
  const own = new Map<string, string>([[algo, hashValue]]);
  for (const [name, h] of meter.extra) own.set(name, h.digest("hex"));
  if (md5 !== source.checksum)
    throw new ChecksumMismatchError("MD5 of the bytes sent to B vs A's checksum", source.checksum, md5);
  if (hashValue !== source.os_hash_value)
    throw new ChecksumMismatchError(
      `${algo} of the bytes sent to B vs A's os_hash_value`,
      source.os_hash_value,
      hashValue,
    );
  const target = await b.waitForImage(targetImageId, ["active"], { timeoutMs: opts.activeTimeoutMs ?? 300_000 });
  if (target.checksum !== md5)
    throw new ChecksumMismatchError("B's checksum (MD5) vs the MD5 of the bytes sent", md5, String(target.checksum));
  if (target.size !== meter.bytes)
    throw new ChecksumMismatchError("B's size vs the bytes sent", String(meter.bytes), String(target.size));
  const check = checkTargetHash(target, algo, own);
  if (check === "md5-only") {
    opts.onWarning?.(
      `cloud B hashes images with ${target.os_hash_algo}, which was not computed during the stream (A uses ${algo}); B's image was verified by MD5 and size`,
    );
  }
  return {
    bytes: meter.bytes,
    md5,
    hashAlgo: algo,
    hashValue,
    targetHashAlgo: String(target.os_hash_algo),
    targetHashValue: String(target.os_hash_value),
    targetHashCheck: check,
    elapsedMs: Date.now() - started,
  };
}

/**
 * Compares B's os_hash_value like with like: with A's value when both Glances use the same
 * algorithm (`own` holds A's algorithm's value of the bytes sent), with our own hash in B's
 * algorithm when one was computed, and not at all otherwise ("md5-only").
 */
export function checkTargetHash(
  target: Pick<Image, "os_hash_algo" | "os_hash_value">,
  sourceAlgo: string,
  own: Map<string, string>,
): CopyResult["targetHashCheck"] {
  const tAlgo = target.os_hash_algo ?? "";
  const ours = own.get(tAlgo);
  if (ours === undefined) return "md5-only";
  if (target.os_hash_value !== ours)
    throw new ChecksumMismatchError(
      `B's os_hash_value (${tAlgo}) vs ${tAlgo === sourceAlgo ? "A's" : "the bytes sent"}`,
      ours,
      String(target.os_hash_value),
    );
  return tAlgo === sourceAlgo ? "same-algorithm" : "own-hash";
}
