import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHECK_USAGE, runCheck, stackFileProblems, UsageError } from "../src/check-command";

const BIN = path.join(__dirname, "..", "bin", "blueprints.js");
const OFFICE = path.join(__dirname, "..", "..", "..", "stacks", "Pulumi.office.yaml");
// The office's DevStack SSH key, as the stack file holds it (encrypted in a real stack).
const CIPHERTEXT = /secure: (v1:\S+)/.exec(fs.readFileSync(OFFICE, "utf8"))![1];

describe("blueprints check (a stack file, offline)", function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "blueprints-check-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const copy = (name: string, edit: (text: string) => string = (t) => t) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, edit(fs.readFileSync(OFFICE, "utf8")));
    return file;
  };

  it("passes the small firm's office stack copied to another folder, run from there", () => {
    copy("Pulumi.office.yaml");
    const run = spawnSync(process.execPath, [BIN, "check", "Pulumi.office.yaml"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 30000,
    });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.equal("Pulumi.office.yaml: ok\n");
  });

  it("a broken copy fails with every problem naming its key, and never prints a secret", () => {
    const file = copy("Pulumi.broken.yaml", (t) =>
      t
        .replace("employeeCount: 200", "employeeCount: lots")
        .replace("hostIp: 192.0.2.10", "hostIp: nowhere")
        .replace(
          "  openstack-blueprints:environment: office\n",
          "  openstack-blueprints:environment: office\n  openstack-blueprints:adminPassword: hunter2\n",
        ),
    );
    const result = runCheck([file]);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.contain(`${file}: `);
    expect(result.stdout).to.contain('openstack-blueprints:desktops.employeeCount: "lots" is invalid');
    expect(result.stdout).to.contain("openstack-blueprints:devstack.hostIp:");
    expect(result.stdout).to.contain("openstack-blueprints:adminPassword: is not a known setting");
    expect(result.stdout).to.contain("openstack-blueprints:adminPassword: looks like a secret but is a plain value");
    // devstack holds secrets: its values are left out of errors; the ciphertext is never shown.
    expect(result.stdout).not.to.contain("nowhere");
    expect(result.stdout).not.to.contain("hunter2");
    expect(result.stdout).not.to.contain(CIPHERTEXT).and.not.to.contain("placeholder-secret");
    const json = JSON.parse(runCheck([file, "--json"]).stdout);
    expect(json.ok).to.equal(false);
    expect(json.problems).to.deep.equal(stackFileProblems(file));
  });

  it("names a missing file with the fix (exit 2), and prints its usage for --help", () => {
    const run = spawnSync(process.execPath, [BIN, "check", "Pulumi.nope.yaml"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 30000,
    });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.contain(
      `blueprints check: stack file Pulumi.nope.yaml not found (relative to ${fs.realpathSync(dir)}); give the path of an existing Pulumi.<stack>.yaml`,
    );
    expect(run.stderr).not.to.contain("ENOENT");
    expect(() => runCheck([])).to.throw(UsageError, "give the stack file to check");
    expect(() => runCheck([dir])).to.throw(UsageError, "is a folder");
    expect(() => runCheck(["--bogus"])).to.throw(UsageError, "Unknown option '--bogus'");
    expect(runCheck(["--help"])).to.deep.equal({ code: 0, stdout: CHECK_USAGE });
  });
});
