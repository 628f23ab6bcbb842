import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseSizeMiB } from "../src/sizes";

const BIN = path.join(__dirname, "..", "bin", "blueprints.js");
const SEED_ARGS = [
  "capacity",
  "--host",
  "vcpus=16,ram=128G,reserved=0",
  "--flavor",
  "name=desktop,vcpus=4,ram=4G",
  "--ratios",
  "seed-2017",
  "--employees",
  "48",
  "--pc-price",
  "29790",
  "--server-price",
  "304300",
  "--thin-client-price",
  "9812",
  "--currency",
  "INR",
];

function blueprints(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30000 });
}

describe("blueprints capacity (the real command)", function () {
  this.timeout(60000);

  it("reproduces the seed's 48 desktops and its cost difference, as text", () => {
    const run = blueprints(SEED_ARGS);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain("desktop: 48 (limited by RAM)");
    expect(run.stdout).to.contain("775,276 INR");
    expect(run.stdout).to.match(/savings:\s+654,644 INR/);
  });

  it("prints JSON with --json, and today's Nova defaults give 16", () => {
    const run = blueprints([
      "capacity",
      "--host",
      "vcpus=16,ram=128G",
      "--flavor",
      "name=desktop,vcpus=4,ram=4G",
      "--json",
    ]);
    expect(run.status, run.stderr).to.equal(0);
    const report = JSON.parse(run.stdout);
    expect(report.plan.ratios).to.deep.equal({ cpu: 4, ram: 1, disk: 1 });
    expect(report.plan.fitByFlavor).to.deep.equal([
      { flavor: "desktop", desktops: 16, limitedBy: "vcpu", employeesIfIdleShelved: 16 },
    ]);
    expect(report.cost).to.equal(undefined);
  });

  it("places a mixed demand and exits 2 when it does not fit, naming the numbers", () => {
    const args = [
      "capacity",
      "--host",
      "vcpus=8,ram=32G,reserved=0,count=2",
      "--flavor",
      "name=small,vcpus=2,ram=2G",
      "--flavor",
      "name=large,vcpus=8,ram=16G",
    ];
    const fits = blueprints([...args, "--desktops", "small=4", "--desktops", "large=3", "--json"]);
    expect(fits.status, fits.stderr).to.equal(0);
    expect(JSON.parse(fits.stdout).plan.placement.fits).to.equal(true);
    const over = blueprints([...args, "--desktops", "large=5"]);
    expect(over.status).to.equal(2);
    expect(over.stdout).to.contain("Does NOT fit: 5 desktops need 40 vCPUs and 81920 MiB RAM");
  });

  it("refuses bad arguments with a clear message and exit 1", () => {
    const bad = blueprints(["capacity", "--host", "vcpus=16,ram=lots", "--flavor", "name=d,vcpus=1,ram=1G"]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('--host "vcpus=16,ram=lots": ram "lots" is not a size');
    const partial = blueprints([...SEED_ARGS.slice(0, 7), "--employees", "10"]);
    expect(partial.stderr).to.contain("also needs --pc-price, --server-price, --thin-client-price");
    expect(blueprints(["nope"]).status).to.equal(1);
  });

  it("parses sizes", () => {
    expect(parseSizeMiB("x", "128G")).to.equal(131072);
    expect(parseSizeMiB("x", "1TiB")).to.equal(1048576);
    expect(parseSizeMiB("x", "512M")).to.equal(512);
    expect(() => parseSizeMiB("ram", "12Q")).to.throw('ram "12Q"');
    // A bare number could be MiB, GiB or a spec sheet's GB: refused, with both spellings offered.
    expect(() => parseSizeMiB("--host ram", "512")).to.throw(
      '--host ram "512" has no unit; write 512M for MiB or 512G for GiB',
    );
  });

  it("names the limiting resource, counts disk, and reports a concurrency factor honestly", () => {
    const office = [
      "capacity",
      "--host",
      "vcpus=64,ram=512G,disk=2T,name=office-host",
      "--flavor",
      "name=m1.desktop,vcpus=2,ram=2G,disk=20G",
      "--ratios",
      "seed-2017",
    ];
    const run = blueprints([...office, "--desktops", "m1.desktop=200", "--concurrency", "0.5"]);
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stdout).to.contain("office-host: 1024 vCPUs, 785664 MiB RAM, 2048 GiB disk schedulable");
    expect(run.stdout).to.contain(
      "m1.desktop: 102 (limited by disk; 204 employees at concurrency 0.5 if idle desktops are shelved)",
    );
    expect(run.stdout).to.contain("Does NOT fit: 200 desktops need 400 vCPUs and 409600 MiB RAM and 4000 GiB disk");
    expect(run.stdout).to.contain("Limited by disk:");
    const ram = blueprints([
      "capacity",
      "--host",
      "vcpus=16,ram=128G,reserved=0",
      "--flavor",
      "name=desktop,vcpus=4,ram=4G",
      "--ratios",
      "seed-2017",
      "--desktops",
      "desktop=10",
    ]);
    expect(ram.stdout)
      .to.contain("desktop: 48 (limited by RAM)")
      .and.contain("The requested 10 desktops fit (tightest: RAM)");
  });

  it("models GPUs: hosts declare devices per alias, GPU workstations claim them, the answer names GPUs", () => {
    const lab = [
      "capacity",
      "--host",
      "vcpus=32,ram=128G,name=lab-host",
      "--host",
      "vcpus=32,ram=128G,name=gpu-host,gpus=gpu:2",
      "--flavor",
      "name=notebook,vcpus=2,ram=4G",
      "--flavor",
      "name=notebook-gpu,vcpus=4,ram=8G,gpus=gpu:1",
      "--desktops",
      "notebook=30",
    ];
    const fits = blueprints([...lab, "--desktops", "notebook-gpu=2"]);
    expect(fits.status, fits.stderr).to.equal(0);
    expect(fits.stdout)
      .to.contain("gpu-host: 128 vCPUs, 130560 MiB RAM (disk not given: not checked), 2 × gpu schedulable")
      .and.contain("notebook-gpu: 2 (limited by GPUs)")
      .and.contain("gpu-host: 2 × notebook-gpu (8/128 vCPUs, 16384/130560 MiB, 2/2 × gpu)")
      .and.contain("lab-host: 30 × notebook (60/128 vCPUs, 122880/130560 MiB)");
    const short = blueprints([...lab, "--desktops", "notebook-gpu=3"]);
    expect(short.status, short.stderr).to.equal(2);
    expect(short.stdout)
      .to.contain(
        "Does NOT fit: 33 desktops need 72 vCPUs and 147456 MiB RAM and 3 × gpu; 2 host(s) offer 256 vCPUs and 261120 MiB and 2 × gpu",
      )
      .and.contain("1 × notebook-gpu do not fit on any host")
      .and.contain("Limited by GPUs:");
    const bad = blueprints(["capacity", "--host", "vcpus=8,ram=8G,gpus=gpu", "--flavor", "name=d,vcpus=1,ram=1G"]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('--host "vcpus=8,ram=8G,gpus=gpu": gpus=gpu is not ALIAS:COUNT');
  });

  it("speaks in the user's option names, never the planner's fields", () => {
    const cases: [string[], string][] = [
      [
        ["--host", "vcpus=16,ram=4096", "--flavor", "name=d,vcpus=1,ram=1G"],
        '--host "vcpus=16,ram=4096": ram "4096" has no unit; write 4096M for MiB or 4096G for GiB',
      ],
      [
        ["--host", "vcpus=0,ram=8G", "--flavor", "name=d,vcpus=1,ram=1G"],
        '--host "vcpus=0,ram=8G": vcpus=0 must be a whole number, 1 or more',
      ],
      [
        ["--host", "vcpus=4,ram=8G,reserved=8G", "--flavor", "name=d,vcpus=1,ram=1G"],
        '--host "vcpus=4,ram=8G,reserved=8G": reserved=8G must be less than ram=8G',
      ],
      [
        ["--host", "vcpus=4,ram=8G", "--flavor", "name=d,vcpus=1.5,ram=1G"],
        '--flavor "name=d,vcpus=1.5,ram=1G": vcpus=1.5 must be a whole number, 1 or more',
      ],
      [
        ["--host", "vcpus=4,ram=8G", "--flavor", "name=d,vcpus=1,ram=1G", "--desktops", "e=3"],
        '--desktops "e=3": flavor "e" is not one of the --flavor names (d)',
      ],
      [
        ["--host", "vcpus=4,ram=8G", "--flavor", "name=d,vcpus=1,ram=1G", "--cpu-ratio", "0"],
        '--cpu-ratio "0" must be above 0',
      ],
      [
        ["--host", "vcpus=4,ram=8G", "--flavor", "name=d,vcpus=1,ram=1G", "--concurrency", "1.2"],
        '--concurrency "1.2" must be above 0 and at most 1',
      ],
      [
        ["--host", "vcpus=4,ram=8G", "--flavor", "name=d,vcpus=1,ram=1G", "--flavor", "name=d,vcpus=2,ram=2G"],
        "--flavor name=d is given twice",
      ],
    ];
    for (const [args, message] of cases) {
      const run = blueprints(["capacity", ...args]);
      expect(run.status, args.join(" ")).to.equal(1);
      const firstLine = run.stderr.split("\n")[0];
      expect(firstLine).to.contain(message);
      expect(firstLine, "internal field names leak").not.to.match(
        /hosts\[|flavors\[|demand\[|ramMiB|reservedRamMiB|ratios\./,
      );
    }
  });
});
