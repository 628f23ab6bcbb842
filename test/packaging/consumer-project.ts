/**
 * A company's own project with our packages installed as it would install them: the workspace
 * packages built, packed as npm would publish them, and the tarballs installed into a copy of
 * examples/typescript-consumer/ (the files `pulumi new typescript` writes, plus our packages) in
 * a temporary folder outside the repository, so no workspace link or repository node_modules
 * can be resolved from it.
 *
 * Building, packing and installing take one to three minutes, so they are done once per test
 * process: the packaging test (type-check, unit tests, CLIs) and the real-engine consumer test
 * share the same installed project. It is removed when the process exits (KEEP_CONSUMER=1
 * keeps it, to look into a failure).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const CONSUMER_TEMPLATE = path.join(REPO_ROOT, "examples/typescript-consumer");
/** What a consumer needs, in dependency order (root `npm run build:packages` builds the same). */
export const PACKAGES = [
  "package-loader",
  "openstack-rest",
  "calculator",
  "s2d",
  "components",
  "environments",
  "portal",
  "cli",
  "minicloud",
];

export interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

export interface InstalledConsumer {
  /** The temporary folder holding the tarballs and the project. */
  work: string;
  /** The consumer's project folder (its own package.json, node_modules, Pulumi.yaml). */
  project: string;
  tarballs: string;
  packs: PackResult[];
  /** Seconds each phase took (build, pack, install), for the tests' logs. */
  seconds: { build: number; pack: number; install: number };
}

export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...env, npm_config_update_notifier: "false" },
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`,
      { cause: e },
    );
  }
}

let installed: InstalledConsumer | undefined;

/** Builds, packs and installs once per process; later calls return the same project. */
export function installedConsumer(): InstalledConsumer {
  if (installed) return installed;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "blueprints-consumer-"));
  process.on("exit", () => {
    if (!process.env.KEEP_CONSUMER) fs.rmSync(work, { recursive: true, force: true });
  });
  const tarballs = path.join(work, "tarballs");
  fs.mkdirSync(tarballs);
  let t = Date.now();
  const lap = () => {
    const s = Math.round((Date.now() - t) / 100) / 10;
    t = Date.now();
    return s;
  };
  run("npm", ["run", "build:packages"], REPO_ROOT);
  const build = lap();
  const packs = JSON.parse(
    run(
      "npm",
      ["pack", "--json", "--pack-destination", tarballs, ...PACKAGES.flatMap((p) => ["-w", `packages/${p}`])],
      REPO_ROOT,
    ),
  ) as PackResult[];
  const pack = lap();
  const project = path.join(work, "office-infra");
  fs.cpSync(CONSUMER_TEMPLATE, project, { recursive: true });
  run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", ...packs.map((p) => path.join(tarballs, p.filename))],
    project,
  );
  const install = lap();
  installed = { work, project, tarballs, packs, seconds: { build, pack, install } };
  console.log(`    consumer project ${project}: build ${build} s, pack ${pack} s, install ${install} s`);
  return installed;
}
