// A company imports our components into its own infrastructure code: this builds the packages,
// packs them as npm would publish them, and installs the tarballs into a fresh project outside
// the repository, made from examples/typescript-consumer/ (the files `pulumi new typescript`
// writes, plus our packages). There the consumer's program must type-check under its own strict
// tsconfig, its unit test must pass with our test kit, and the CLIs must run with plain node.
// Nothing is deployed here: test/engine/typescript-consumer.engine.test.ts deploys the same
// installed project with the real engine. Takes one to three minutes (build, pack, install;
// done once per test process, see consumer-project.ts).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PACKAGES, PackResult, REPO_ROOT, installedConsumer, run } from "./consumer-project";

describe("packages as a consumer installs them (npm pack → npm install in a fresh project)", function () {
  this.timeout(600_000);
  let consumer: string;
  let packs: PackResult[];

  before(() => {
    // Shared with the real-engine consumer test (test/engine/typescript-consumer.engine.test.ts).
    ({ project: consumer, packs } = installedConsumer());
  });

  it("packs every package with its compiled dist and neither tests nor TypeScript sources", () => {
    expect(packs.map((p) => p.name).sort()).to.deep.equal(PACKAGES.map((p) => `@openstack-blueprints/${p}`).sort());
    for (const pack of packs) {
      const files = pack.files.map((f) => f.path);
      // The loader is plain JavaScript: no dist/ of its own.
      const compiled = pack.name === "@openstack-blueprints/package-loader" ? [] : ["dist/index.js", "dist/index.d.ts"];
      expect(files, pack.name).to.include.members(["package.json", "index.js", ...compiled]);
      expect(
        files.filter((f) => /^(test|src|bench)\//.test(f) || f.startsWith("tsconfig")),
        `${pack.name}: files that must not ship`,
      ).to.deep.equal([]);
    }
    const components = packs.find((p) => p.name === "@openstack-blueprints/components")!.files.map((f) => f.path);
    expect(components).to.include.members([
      "dist/testing/index.js",
      "dist/testing/index.d.ts",
      "testing.js",
      "testing.d.ts",
      "internal.js",
      "internal.d.ts",
      "dist/internal.js",
      "dist/internal.d.ts",
      "dist/desktop/desktop-credential.js",
    ]);
  });

  it("installs with one @pulumi/pulumi: no package brings its own copy", () => {
    const scope = path.join(consumer, "node_modules/@openstack-blueprints");
    const nested = fs
      .readdirSync(scope)
      .filter((p) => fs.existsSync(path.join(scope, p, "node_modules/@pulumi/pulumi")));
    expect(nested, "packages with a nested @pulumi/pulumi").to.deep.equal([]);
    expect(fs.existsSync(path.join(consumer, "node_modules/@pulumi/pulumi/package.json"))).to.equal(true);
  });

  it("type-checks the consumer's program and its test under the tsconfig `pulumi new typescript` writes (+ esModuleInterop, which zod 4's declarations need)", () => {
    run(
      process.execPath,
      [path.join(consumer, "node_modules/typescript/bin/tsc"), "-p", consumer, "--noEmit"],
      consumer,
    );
  });

  it("loads with plain node, and the dynamic providers find their modules in dist/", () => {
    const script = [
      `const c = require("@openstack-blueprints/components");`,
      `if (typeof c.ThinClientDesktopPool !== "function") throw new Error("no ThinClientDesktopPool");`,
      // Renderers and planners are not in the main entry, but under "/internal".
      `if ("renderCloudConfig" in c) throw new Error("renderCloudConfig in the main entry");`,
      `if (typeof require("@openstack-blueprints/components/internal").renderCloudConfig !== "function") throw new Error("internal");`,
      // What the provider process requires by package path (provider-process.ts).
      `const { COMPONENTS_MODULE_ROOT } = require("@openstack-blueprints/components/dist/pulumi/provider-process");`,
      `if (COMPONENTS_MODULE_ROOT !== "@openstack-blueprints/components/dist") throw new Error(COMPONENTS_MODULE_ROOT);`,
      `if (typeof require(COMPONENTS_MODULE_ROOT + "/desktop/desktop-credential").createDesktopCredential !== "function") throw new Error("credential");`,
      // The xrdp certificate's provider, with node-forge (a dependency the consumer's install must bring).
      `if (typeof require(COMPONENTS_MODULE_ROOT + "/desktop/xrdp-certificate").createXrdpCertificate !== "function") throw new Error("xrdp certificate");`,
      `require(COMPONENTS_MODULE_ROOT + "/desktop-image/image-baker"); require("@openstack-blueprints/s2d").createMigration;`,
      // The portal renders its sign-in page from the templates and assets it ships, with the
      // pool's hashing from the components' Pulumi-free "/thin-client" entry (an in-memory cloud).
      `const portal = require("@openstack-blueprints/portal");`,
      `const hash = require("@openstack-blueprints/components/thin-client").sha512Crypt("pw", { salt: "saltsalt" });`,
      `const config = portal.parsePortalConfig({ cloud: "office", desktops: { alice: { serverId: "s", passwordHash: hash } } });`,
      `const nova = { state: async () => ({ status: "ACTIVE", taskState: null, addresses: [] }), act: async () => {}, close() {} };`,
      `portal.buildPortal(config, nova).then((app) => app.inject({ url: "/signin" })).then((r) => {`,
      `  if (r.statusCode !== 200 || !r.body.includes('name="password"')) throw new Error("sign-in page " + r.statusCode);`,
      `}).catch((e) => { console.error(e); process.exit(1); });`,
      `console.log(Object.keys(require.extensions).join(","));`,
    ].join("\n");
    // No TypeScript was registered: everything loaded is compiled JavaScript.
    expect(run(process.execPath, ["-e", script], consumer).trim()).to.equal(".js,.json,.node");
  });

  it("runs the consumer's unit test with the shipped test kit (mocha in the consumer project)", () => {
    const out = run("npm", ["test"], consumer);
    expect(out).to.match(/2 passing/);
  });

  for (const [bin, expected] of [
    ["s2d", /usage:\s+s2d migrate/],
    ["blueprints", /Usage: blueprints <command>[\s\S]*portal/],
    ["minicloud", /usage: minicloud <command>/],
  ] as const) {
    it(`runs ${bin} --help with plain node from node_modules/.bin`, () => {
      expect(run(process.execPath, [path.join(consumer, "node_modules/.bin", bin), "--help"], consumer)).to.match(
        expected,
      );
    });
  }

  it("checks a stack file offline in a folder outside the repository (blueprints check, plain node)", () => {
    // A company's own stack files, in a folder of their own: not stacks/, not the consumer project.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "blueprints-check-"));
    try {
      fs.copyFileSync(path.join(REPO_ROOT, "stacks/Pulumi.office.yaml"), path.join(elsewhere, "Pulumi.acme.yaml"));
      fs.writeFileSync(
        path.join(elsewhere, "Pulumi.broken.yaml"),
        [
          "config:",
          "  openstack-blueprints:environment: lab",
          "  openstack-blueprints:networks:",
          "    office: { cidr: 10.0.0.0/24, mtu: 10, colour: blue }",
          "",
        ].join("\n"),
      );
      const blueprints = path.join(consumer, "node_modules/.bin/blueprints");
      const check = (file: string) =>
        spawnSync(process.execPath, [blueprints, "check", file], { cwd: elsewhere, encoding: "utf8" });
      const ok = check("Pulumi.acme.yaml");
      expect(ok.stderr).to.equal("");
      expect([ok.status, ok.stdout]).to.deep.equal([0, "Pulumi.acme.yaml: ok\n"]);
      const broken = check("Pulumi.broken.yaml");
      expect(broken.status, broken.stderr).to.equal(1);
      expect(broken.stdout).to.include("openstack-blueprints:calculator: is required by environment lab");
      expect(broken.stdout).to.match(/openstack-blueprints:networks\.office\.mtu: 10 /);
      expect(broken.stdout).to.match(/openstack-blueprints:networks\.office.*colour/);
      const missing = check("Pulumi.nothere.yaml");
      expect([missing.status, missing.stderr]).to.deep.equal([
        2,
        `blueprints check: stack file Pulumi.nothere.yaml not found (relative to ${fs.realpathSync(elsewhere)}); give the path of an existing Pulumi.<stack>.yaml\nRun \`blueprints check --help\` for its usage.\n`,
      ]);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("the installed CLIs: subcommand --help only prints usage, a missing file and a bare RAM size are named with the fix", () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "blueprints-cli-"));
    try {
      const bin = (name: string, ...args: string[]) =>
        spawnSync(process.execPath, [path.join(consumer, "node_modules/.bin", name), ...args], {
          cwd: elsewhere,
          encoding: "utf8",
          // `minicloud up` would install and start OpenStack: --help must win before anything runs.
          env: { ...process.env, MINICLOUD_STATE_DIR: path.join(elsewhere, "state") },
        });
      const validateHelp = bin("s2d", "validate", "--help");
      expect([validateHelp.status, validateHelp.stderr]).to.deep.equal([0, ""]);
      expect(validateHelp.stdout).to.match(/s2d validate SPEC/);
      const missing = bin("s2d", "validate", "missing.yaml");
      expect(missing.status).to.equal(2);
      expect(missing.stderr).to.include("s2d: spec file missing.yaml not found").and.not.include("ENOENT");
      const upHelp = bin("minicloud", "up", "--help");
      expect([upHelp.status, upHelp.stderr]).to.deep.equal([0, ""]);
      expect(upHelp.stdout).to.match(/^usage: minicloud <command>/);
      expect(fs.readdirSync(elsewhere), "minicloud up --help wrote nothing").to.deep.equal([]);
      const bareRam = bin("blueprints", "capacity", "--host", "vcpus=16,ram=64", "--flavor", "name=d,vcpus=2,ram=4G");
      expect(bareRam.status).to.equal(1);
      expect(bareRam.stderr).to.include('ram "64" has no unit; write 64M for MiB or 64G for GiB');
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
