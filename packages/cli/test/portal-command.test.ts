import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sha512Crypt } from "@openstack-blueprints/components/thin-client";
import { loadCloud, OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { verifyPassword } from "@openstack-blueprints/portal";
import { portalConfigFromArgs, PORTAL_USAGE } from "../src/portal-command";
import { UsageError } from "../src/check-command";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const BIN = path.join(__dirname, "..", "bin", "blueprints.js");
const ROOT_HASH = sha512Crypt("root-password-12", { salt: "rootsaltrootsalt" });

describe("blueprints portal (the self-service portal on the admin's machine)", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "blueprints-portal-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const baseConfig = () =>
    write("portal.yaml", `cloud: minicloud-a\nadmins:\n  root:\n    passwordHash: '${ROOT_HASH}'\n`);
  // What `pulumi stack output --json --show-secrets` prints for the office's desktops block.
  const outputs = {
    "desktops.desktops": {
      alice: {
        employee: "alice",
        hostname: "office-alice",
        serverId: "srv-a",
        address: "10.0.0.11",
        fixedIp: "10.0.0.11",
      },
      bob: { employee: "bob", hostname: "office-bob", serverId: "srv-b", address: "10.0.0.12", fixedIp: "10.0.0.12" },
    },
    "desktops.passwords": { alice: "AlicePassw0rd12", bob: "BobPassw0rd1234" },
  };

  it("takes the desktops from a stack's outputs, keeping hashes only, on 127.0.0.1", () => {
    const file = write("outputs.json", JSON.stringify(outputs));
    const config = portalConfigFromArgs([baseConfig(), "--outputs", file, "--insecure-http-cookies"]);
    if (config === "help") throw new Error("help");
    expect(config.listen.host).to.equal("127.0.0.1");
    expect(config.desktops.map((d) => [d.employee, d.serverId, d.address, d.hostname])).to.deep.equal([
      ["alice", "srv-a", "10.0.0.11", "office-alice"],
      ["bob", "srv-b", "10.0.0.12", "office-bob"],
    ]);
    expect(verifyPassword("AlicePassw0rd12", config.desktops[0].passwordHash)).to.equal(true);
    expect(JSON.stringify(config)).not.to.include("AlicePassw0rd12").and.not.to.include("BobPassw0rd1234");
  });

  it("uses the pool's passwordHashes output when the stack has it (no password hashed here)", () => {
    const hashes = { alice: sha512Crypt("AlicePassw0rd12", { salt: "alicesaltalicesa" }), bob: ROOT_HASH };
    const file = write(
      "hashes.json",
      JSON.stringify({ ...outputs, "desktops.passwords": "[secret]", "desktops.passwordHashes": hashes }),
    );
    const config = portalConfigFromArgs([baseConfig(), "--outputs", file, "--insecure-http-cookies"]);
    if (config === "help") throw new Error("help");
    expect(config.desktops.map((d) => d.passwordHash)).to.deep.equal([hashes.alice, hashes.bob]);
  });

  it("refuses outputs exported without --show-secrets, naming the output and the fix", () => {
    const file = write("hidden.json", JSON.stringify({ ...outputs, "desktops.passwords": "[secret]" }));
    expect(() => portalConfigFromArgs([baseConfig(), "--outputs", file, "--insecure-http-cookies"])).to.throw(
      /desktops\.passwords "\[secret\]": is needed to check sign-ins; run `pulumi stack output --json --show-secrets`/,
    );
  });

  it("refuses plain http with Secure cookies unless told, and bad arguments, with exit 2", () => {
    const refuse = (argv: string[], message: RegExp) => {
      let error: unknown;
      try {
        portalConfigFromArgs(argv);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.match(message);
    };
    const file = write("outputs.json", JSON.stringify(outputs));
    refuse([baseConfig(), "--outputs", file], /pass --insecure-http-cookies \(this machine only\), or give tls:/);
    refuse([], /CONFIG_FILE is missing/);
    refuse([baseConfig(), "--port", "http"], /--port "http" is not a TCP port/);
    refuse(
      [baseConfig(), "--outputs", path.join(dir, "none.json")],
      /--outputs .*none\.json: cannot be read \(ENOENT\)/,
    );
    const run = spawnSync(process.execPath, [BIN, "portal"], { encoding: "utf8", timeout: 30_000 });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include("blueprints portal: CONFIG_FILE is missing");
    const help = spawnSync(process.execPath, [BIN, "portal", "--help"], { encoding: "utf8", timeout: 30_000 });
    expect([help.status, help.stdout]).to.deep.equal([0, PORTAL_USAGE]);
  });

  it("exits 1 naming every problem of a broken config, before any cloud is asked", () => {
    const file = write(
      "broken.yaml",
      "cloud: minicloud-a\ndesktops:\n  alice:\n    serverId: srv-a\n    passwordHash: hunter2hunter2\n",
    );
    const run = spawnSync(process.execPath, [BIN, "portal", file, "--insecure-http-cookies"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.include("desktops.alice.passwordHash (hidden, 14 characters): is not a password hash");
    expect(run.stderr).not.to.include("hunter2");
  });

  // Needs minicloud (its Keystone signs the portal in): run under `flock -s /tmp/minicloud.lock`.
  it("serves the sign-in page on 127.0.0.1 against minicloud and stops on SIGTERM", async function () {
    try {
      (await new OpenStackClient(loadCloud("minicloud-a")).connect()).close();
    } catch (e) {
      const why = `minicloud is not reachable (${(e as Error).message}); start it with 'npx minicloud up'`;
      unavailableHere(this, why);
    }
    const file = write("outputs.json", JSON.stringify(outputs));
    const child = spawn(
      process.execPath,
      [BIN, "portal", baseConfig(), "--outputs", "-", "--port", "0", "--insecure-http-cookies"],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    child.stdin.end(fs.readFileSync(file));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
    });
    const page = await fetch(`${url}signin`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('<input id="password" name="password" type="password"');
    const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).to.equal(0);
    expect(stderr).to.include("(2 desktops, 1 admins)");
    expect(stdout + stderr).not.to.include("AlicePassw0rd12");
    expect(stdout).to.include('"url":"/signin"');
  });
});
