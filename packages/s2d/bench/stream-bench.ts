/**
 * bench:s2d — Glance A → Glance B on minicloud with an image of S2D_BENCH_MB (default 1024)
 * random MiB. Prints ONE JSON line:
 *   streamMBps        the engine's streaming copy (download → MD5+sha512 → upload, one pass)
 *   uploadMBps / downloadMBps   plain Glance upload and download of the same bytes
 *   singlePassLimitMBps         the slower of the two (what any one-pass copy can reach)
 *   seedMBps          the TU Crete S2D service's way: download to a file, then upload it
 *   streamVsLimit / streamVsSeed   ratios
 *   peakRssMB         peak RSS of the process that ran the engine's copy (child process). The child
 *                     runs this file bundled to plain JavaScript (esbuild), as a deployed engine
 *                     would run: under ts-node the TypeScript compiler alone adds ~60 MB.
 * Clouds: S2D_BENCH_SOURCE / S2D_BENCH_TARGET (default minicloud-a / minicloud-b).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { streamImage } from "../src/stream-copy";

const MiB = 1 << 20;
const sourceCloud = process.env.S2D_BENCH_SOURCE ?? "minicloud-a";
const targetCloud = process.env.S2D_BENCH_TARGET ?? "minicloud-b";

function randomData(size: number): Readable {
  // A random MiB, varied per chunk by a counter: generating it costs nothing next to Glance.
  const block = randomBytes(MiB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(MiB, size - sent);
      const chunk = Buffer.from(block.subarray(0, n));
      chunk.writeUInt32BE((sent / MiB) >>> 0, 0);
      sent += n;
      this.push(chunk);
    },
  });
}

const mbps = (bytes: number, ms: number) => Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;

async function child(sourceImageId: string, targetImageId: string): Promise<void> {
  const a = OpenStackClient.fromCloud(sourceCloud);
  const b = OpenStackClient.fromCloud(targetCloud);
  const src = await a.glance.getImage(sourceImageId);
  const rssBeforeKB = process.memoryUsage().rss / 1024;
  const started = Date.now();
  const r = await streamImage(a.glance, src, b.glance, targetImageId);
  const ms = Date.now() - started;
  process.stdout.write(
    JSON.stringify({ ms, bytes: r.bytes, md5: r.md5, maxRssKB: process.resourceUsage().maxRSS, rssBeforeKB }) + "\n",
  );
  a.close();
  b.close();
}

async function main(): Promise<void> {
  const size = Number(process.env.S2D_BENCH_MB ?? 1024) * MiB;
  const a = await OpenStackClient.fromCloud(sourceCloud).connect();
  const b = await OpenStackClient.fromCloud(targetCloud).connect();
  const tag = `s2d-bench-${Date.now()}`;
  const made: { c: OpenStackClient; id: string }[] = [];
  const newImage = async (c: OpenStackClient, name: string) => {
    const img = await c.glance.createImage({ name, disk_format: "raw", container_format: "bare" });
    made.push({ c, id: img.id });
    return img.id;
  };
  const tmpFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "s2d-bench-")), "image.raw");
  try {
    // the source image in A
    const srcId = await newImage(a, `${tag}-src`);
    await a.glance.upload(srcId, randomData(size), size);
    await a.glance.waitForImage(srcId, ["active"]);
    let t = Date.now();
    // 1. plain download from A
    const dl = await a.glance.download(srcId);
    await pipeline(
      dl.stream,
      new Writable({
        write(_c, _e, cb) {
          cb();
        },
      }),
    );
    const downloadMs = Date.now() - t;
    // 3. the engine's one-pass stream, in a child process so its peak RSS is its own
    const streamTarget = await newImage(b, `${tag}-stream`);
    const bundle = path.join(os.tmpdir(), `s2d-stream-bench-${process.pid}.js`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild is needed only for this step of the benchmark
    (require("esbuild") as typeof import("esbuild")).buildSync({
      entryPoints: [__filename],
      bundle: true,
      platform: "node",
      target: "node20",
      outfile: bundle,
      logLevel: "error",
    });
    const res = spawnSync(process.execPath, [bundle, "--child", srcId, streamTarget], {
      encoding: "utf8",
      env: process.env,
      maxBuffer: 1 << 20,
    });
    fs.rmSync(bundle, { force: true });
    if (res.status !== 0) throw new Error(`streaming child failed: ${res.stderr}`);
    const streamed = JSON.parse(res.stdout.trim().split("\n").pop()!) as {
      ms: number;
      bytes: number;
      maxRssKB: number;
      rssBeforeKB: number;
    };
    // 4. the TU Crete S2D service's way: download to a file, then upload the file
    const seedTarget = await newImage(b, `${tag}-seed`);
    t = Date.now();
    const dl2 = await a.glance.download(srcId);
    await pipeline(dl2.stream, fs.createWriteStream(tmpFile));
    const t2 = Date.now();
    // its second half is also the plain upload of the same bytes (from a local file)
    await b.glance.upload(seedTarget, fs.createReadStream(tmpFile, { highWaterMark: MiB }), size);
    const uploadMs = Date.now() - t2;
    const seedMs = Date.now() - t;

    const uploadMBps = mbps(size, uploadMs);
    const downloadMBps = mbps(size, downloadMs);
    const streamMBps = mbps(streamed.bytes, streamed.ms);
    const seedMBps = mbps(size, seedMs);
    const limit = Math.min(uploadMBps, downloadMBps);
    process.stdout.write(
      JSON.stringify({
        bench: "s2d-stream",
        imageMiB: size / MiB,
        streamMBps,
        uploadMBps,
        downloadMBps,
        singlePassLimitMBps: limit,
        seedMBps,
        streamVsLimit: Math.round((streamMBps / limit) * 100) / 100,
        streamVsSeed: Math.round((streamMBps / seedMBps) * 100) / 100,
        peakRssMB: Math.round(streamed.maxRssKB / 1024),
        // RSS of the copying process once loaded (Node + ts-node + clients), before the copy starts
        rssBeforeCopyMB: Math.round(streamed.rssBeforeKB / 1024),
        targets: { streamVsLimit: 0.9, peakRssMB: 150 },
      }) + "\n",
    );
  } finally {
    fs.rmSync(path.dirname(tmpFile), { recursive: true, force: true });
    for (const m of made) await m.c.glance.deleteImage(m.id).catch(() => undefined);
    a.close();
    b.close();
  }
}

if (process.argv[2] === "--child") {
  child(process.argv[3], process.argv[4]).catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    process.stderr.write(`bench:s2d: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
