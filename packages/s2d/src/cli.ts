/**
 * `s2d` command line: migrate / resume / validate / usage. Exit codes: 0 success,
 * 1 a migration failed, 2 bad arguments or spec, 130 interrupted (resume later).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { clientOf } from "./clouds";
import { EngineTimeouts, MigrationEngine, PreflightError, PreflightReport, SpecChangedError } from "./engine";
import { Journal } from "./journal";
import { Reporter } from "./progress";
import { MigrationService, parseListen } from "./serve";
import { loadSpec, MAX_CONCURRENCY, MigrationSpec, SpecError } from "./spec";
import { buildUsageReport, loadPriceTable, usageCsv, usageTable } from "./usage";

const HELP = `usage:
  s2d migrate SPEC [--journal FILE] [--keep] [--keep-source-snapshot] [--json] [--concurrency N] [--max-rate MBPS] [TIMEOUTS]
  s2d resume  SPEC [--journal FILE] [--keep] [--keep-source-snapshot] [--json] [--max-rate MBPS] [TIMEOUTS]
  s2d plan     SPEC [--json]     checks cloud B against the spec (reads only; nothing is created)
  s2d validate SPEC              checks the spec itself (no cloud)
  s2d serve --auth-cloud NAME [--allow-cloud NAME]... [--listen HOST:PORT] [--state-dir DIR] [--keep] [--max-rate MBPS]
               the MigrationSpecs API over HTTP (127.0.0.1:8787 unless --listen says otherwise);
               callers send a Keystone token of cloud NAME (cloud A) in X-Auth-Token; specs may
               name the --allow-cloud entries without credentials (a source only for its project)
  s2d usage --cloud NAME --start ISO --end ISO [--prices FILE] [--json | --csv]
  TIMEOUTS (minutes; default: scaled with the image size): --snapshot-timeout M --image-timeout M --boot-timeout M

SPEC is YAML (preferred) or the MigrationSpecs XML of the S2D service. migrate and resume
check cloud B first (as plan does) and start nothing when a check fails. The journal
(default SPEC.journal) records every finished step and created id; after a crash or
Ctrl-C, 's2d resume SPEC' finishes without repeating steps (a changed spec is refused).
On failure, what was created in the target cloud is removed unless --keep. A's snapshot
is deleted after a verified migration unless --keep-source-snapshot.`;

export async function main(
  argv: string[],
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): Promise<number> {
  const [command, ...rest] = argv;
  // `s2d validate --help` (or -h anywhere) prints the usage and does nothing else.
  if (!command || command === "help" || argv.includes("--help") || argv.includes("-h")) {
    out.write(HELP + "\n");
    return command ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        journal: { type: "string" },
        keep: { type: "boolean", default: false },
        "keep-source-snapshot": { type: "boolean", default: false },
        "snapshot-timeout": { type: "string" },
        "image-timeout": { type: "string" },
        "boot-timeout": { type: "string" },
        json: { type: "boolean", default: false },
        csv: { type: "boolean", default: false },
        concurrency: { type: "string" },
        "max-rate": { type: "string" },
        cloud: { type: "string" },
        start: { type: "string" },
        end: { type: "string" },
        prices: { type: "string" },
        "auth-cloud": { type: "string" },
        "allow-cloud": { type: "string", multiple: true },
        listen: { type: "string" },
        "state-dir": { type: "string" },
      },
    });
  } catch (e) {
    err.write(`s2d: ${(e as Error).message}\n${HELP}\n`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  try {
    switch (command) {
      case "validate": {
        const spec = loadSpec(existingFile(requireArg(positionals[0], "SPEC"), "spec file"));
        out.write(`${positionals[0]}: valid — ${spec.servers.length} server(s), concurrency ${spec.concurrency}\n`);
        return 0;
      }
      case "migrate":
      case "resume": {
        const file = requireArg(positionals[0], "SPEC");
        const spec = loadSpec(existingFile(file, "spec file"));
        if (o.concurrency !== undefined) {
          const n = positiveInt(o.concurrency, "--concurrency");
          if (n > MAX_CONCURRENCY)
            throw new UsageError(
              `--concurrency must be at most ${MAX_CONCURRENCY} (more only adds contention on the clouds), got "${o.concurrency}"`,
            );
          spec.concurrency = n;
        }
        const timeouts: Partial<EngineTimeouts> = {};
        if (o["snapshot-timeout"] !== undefined)
          timeouts.snapshotMs = positiveNumber(o["snapshot-timeout"], "--snapshot-timeout") * 60_000;
        if (o["image-timeout"] !== undefined)
          timeouts.imageActiveMs = positiveNumber(o["image-timeout"], "--image-timeout") * 60_000;
        if (o["boot-timeout"] !== undefined)
          timeouts.bootMs = positiveNumber(o["boot-timeout"], "--boot-timeout") * 60_000;
        const journalFile = o.journal ?? `${file}.journal`;
        if (command === "migrate" && fs.existsSync(journalFile) && Journal.read(journalFile).length) {
          err.write(
            `s2d: journal ${journalFile} already exists: run 's2d resume ${file}' to finish that migration, or remove the journal to start over\n`,
          );
          return 2;
        }
        if (command === "resume" && !fs.existsSync(journalFile)) {
          err.write(`s2d: no journal at ${journalFile}; nothing to resume (use 's2d migrate')\n`);
          return 2;
        }
        const maxRate = o["max-rate"] !== undefined ? positiveNumber(o["max-rate"], "--max-rate") * 1e6 : undefined;
        return await runMigration(
          spec,
          journalFile,
          {
            keep: o.keep ?? false,
            json: o.json ?? false,
            maxBytesPerSecond: maxRate,
            timeouts,
            keepSourceSnapshot: o["keep-source-snapshot"] ?? false,
          },
          out,
          err,
        );
      }
      case "plan": {
        const file = requireArg(positionals[0], "SPEC");
        const spec = loadSpec(existingFile(file, "spec file"));
        const journalFile = o.journal ?? `${file}.journal`;
        // Read-only: an existing journal is read (a resume is planned as such), none is created.
        const journal = new Journal(null);
        if (fs.existsSync(journalFile)) journal.records.push(...Journal.read(journalFile));
        const a = clientOf(spec.source, "source");
        const b = clientOf(spec.target, "target");
        try {
          const report = await new MigrationEngine(a, b, { journal }).plan(spec.servers);
          out.write(o.json ? JSON.stringify({ type: "plan", ...report }) + "\n" : planText(report));
          if (report.problems.length && !o.json) err.write(`s2d: ${new PreflightError(report.problems).message}\n`);
          return report.problems.length ? 2 : 0;
        } finally {
          a.close();
          b.close();
        }
      }
      case "serve": {
        const authCloud = requireArg(o["auth-cloud"], "--auth-cloud");
        let listen: { host: string; port: number };
        try {
          listen = parseListen(o.listen);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        const maxRate = o["max-rate"] !== undefined ? positiveNumber(o["max-rate"], "--max-rate") * 1e6 : undefined;
        const stateDir = o["state-dir"] ?? path.join(os.homedir(), ".s2d", "serve");
        const service = new MigrationService({
          authCloud,
          stateDir,
          allowedClouds: o["allow-cloud"] ?? [],
          engine: { keep: o.keep ?? false, maxBytesPerSecond: maxRate },
        });
        const address = await service.listen(listen.host, listen.port);
        err.write(`s2d: serving the MigrationSpecs API on ${address}/v1/migrations (journals in ${stateDir})\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            err.write("s2d: stopping; running migrations are interrupted, their journals kept\n");
            void service.close().then(resolve);
          };
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        return 0;
      }
      case "usage": {
        const cloud = requireArg(o.cloud, "--cloud");
        const start = isoDate(requireArg(o.start, "--start"), "--start");
        const end = isoDate(requireArg(o.end, "--end"), "--end");
        if (end <= start) throw new UsageError("--end must be after --start");
        const prices = o.prices ? loadPriceTable(existingFile(o.prices, "--prices file")) : undefined;
        const client = OpenStackClient.fromCloud(cloud);
        try {
          await client.connect();
          const usage = await client.nova.projectUsage(client.session.projectId, start, end);
          const report = buildUsageReport(usage, prices);
          out.write(o.json ? JSON.stringify(report) + "\n" : o.csv ? usageCsv(report) : usageTable(report));
        } finally {
          client.close();
        }
        return 0;
      }
      default:
        err.write(`s2d: unknown command "${command}"\n${HELP}\n`);
        return 2;
    }
  } catch (e) {
    if (
      e instanceof SpecError ||
      e instanceof UsageError ||
      e instanceof PreflightError ||
      e instanceof SpecChangedError ||
      (e as Error).name === "OpenStackConfigError"
    ) {
      err.write(`s2d: ${(e as Error).message}\n`);
      return 2;
    }
    err.write(`s2d: ${(e as Error).message}\n`);
    return 1;
  }
}

function planText(r: PreflightReport): string {
  const lines = r.servers.map(
    (s) =>
      `${s.server}: flavor ${s.flavor ?? "?"}, network ${s.networkId ?? "?"}, keypair ${s.keypair ?? "none"}, security group ${s.securityGroup}${s.floatingNetworkId ? `, floating IP from ${s.floatingNetworkId}` : ""}` +
      (s.nics && s.nics.length > 1
        ? `, interfaces ${s.nics.map((n) => `${n.uuid}${n.fixed_ip ? ` (${n.fixed_ip})` : ""}`).join(", ")}`
        : "") +
      (s.volumes?.length
        ? `, volumes ${s.volumes.map((v) => `${v.name || v.id} (${v.size} GB${v.volumeType ? `, ${v.volumeType}` : ""})`).join(", ")}`
        : ""),
  );
  for (const w of r.warnings) lines.push(`warning: ${w.server}: ${w.message}`);
  lines.push(
    r.problems.length
      ? `${r.problems.length} problem(s): the migration would not start`
      : "cloud B can take this migration",
  );
  return lines.join("\n") + "\n";
}

async function runMigration(
  spec: MigrationSpec,
  journalFile: string,
  o: {
    keep: boolean;
    json: boolean;
    maxBytesPerSecond?: number;
    timeouts?: Partial<EngineTimeouts>;
    keepSourceSnapshot?: boolean;
  },
  out: NodeJS.WriteStream,
  err: NodeJS.WriteStream,
): Promise<number> {
  const journal = new Journal(journalFile);
  const a = clientOf(spec.source, "source");
  const b = clientOf(spec.target, "target");
  const reporter = new Reporter(out, o.json, err);
  const onSignal = () => {
    err.write(`\ns2d: interrupted; the journal ${journalFile} is up to date — run 's2d resume' to finish\n`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const engine = new MigrationEngine(a, b, {
      journal,
      keep: o.keep,
      onEvent: reporter.handle,
      maxBytesPerSecond: o.maxBytesPerSecond,
      timeouts: o.timeouts,
      keepSourceSnapshot: o.keepSourceSnapshot,
    });
    const { results, errors } = await engine.runAll(spec);
    if (o.json)
      out.write(
        JSON.stringify({
          type: "summary",
          results,
          errors: errors.map((e) => ({ server: e.server, step: e.step, error: e.message, cleanedUp: e.cleanedUp })),
        }) + "\n",
      );
    else {
      for (const r of results)
        out.write(
          `${r.source} → ${r.targetServerName} ${r.targetServerId} ${r.targetServerStatus}${r.floatingIp ? ` ${r.floatingIp}` : ""} image ${r.targetImageId}${r.zeroCopy ? " (zero-copy: already in B)" : ""} md5 ${r.checksums.md5} ${r.checksums.hashAlgo} ${r.checksums.hashValue.slice(0, 16)}…\n`,
        );
      for (const e of errors) err.write(`s2d: ${e.message}\n`);
    }
    return errors.length ? 1 : 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    journal.close();
    a.close();
    b.close();
  }
}

class UsageError extends Error {}

/** A file argument that must exist: a missing one is named with the fix, not a raw ENOENT. */
function existingFile(file: string, what: string): string {
  if (!fs.existsSync(file))
    throw new UsageError(
      `${what} ${file} not found${path.isAbsolute(file) ? "" : ` (relative to ${process.cwd()})`}; give the path of an existing file`,
    );
  if (fs.statSync(file).isDirectory()) throw new UsageError(`${what} ${file} is a folder; give the path of a file`);
  return file;
}

function requireArg(v: string | undefined, name: string): string {
  if (!v) throw new UsageError(`${name} is required\n${HELP}`);
  return v;
}

function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${v}"`);
  return n;
}

function positiveNumber(v: string, name: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new UsageError(`${name} must be a positive number, got "${v}"`);
  return n;
}

function isoDate(v: string, name: string): Date {
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`${name} must be an ISO date/time such as 2026-11-01T00:00:00, got "${v}"`);
  return d;
}
