/**
 * The examples through the real Pulumi engine (CLI, language host, OpenStack provider built by
 * scripts/engine/build-engine.sh) against minicloud's real OpenStack APIs: preview, up, an `up`
 * that changes nothing, a refresh that finds no drift, one meaningful change whose diff is
 * asserted and applied, and destroy, after which the APIs show none of the stack's resources.
 *
 * minicloud's compute driver here is Nova's fake driver: servers become ACTIVE and their ports
 * bind, nothing boots inside them. Images named as the examples ask (debian-12, ubuntu-24.04)
 * are minicloud's tiny image under those names for that reason.
 */
import { expect } from "chai";
import * as path from "node:path";
import { changes, CloudResource, REPO_ROOT, urnName, urnType } from "./pulumi-engine";
import { leftovers } from "./cloud-checks";
import { useMinicloudStack } from "./minicloud-stack";

const CLOUD = "minicloud-a";

interface Scenario {
  example: string;
  config?: Record<string, string>;
  /** Meaningful changes, applied in order: an edit of the copied program and what its preview must show. */
  changes: Change[];
}

interface Change {
  what: string;
  file: string;
  edit: (text: string) => string;
  /** Expected non-`same` operation counts of the preview and the update. */
  expectOps: Record<string, number>;
  /** Names (last URN segment) of resources the change may touch; anything else is a failure. */
  touches: RegExp;
}

const SCENARIOS: Scenario[] = [
  {
    example: "private-network",
    changes: [
      {
        what: "narrow the office allocation pool",
        file: "index.ts",
        edit: (t) => t.replace('end: "192.168.10.250"', 'end: "192.168.10.240"'),
        expectOps: { update: 1 },
        touches: /^office-subnet$/,
      },
    ],
  },
  {
    example: "security-profile",
    changes: [
      {
        what: "add a rule (HTTPS from the LAN)",
        file: "index.ts",
        edit: (t) =>
          t.replace(
            '{ protocol: "any", remoteSelf: true',
            '{ protocol: "tcp", port: 443, remoteCidr: "192.168.10.0/24", description: "HTTPS from the LAN" },\n    { protocol: "any", remoteSelf: true',
          ),
        expectOps: { create: 1 },
        touches: /^desktops-in-tcp-443-/,
      },
    ],
  },
  {
    example: "thin-client-desktop-pool",
    changes: [
      {
        what: "add an employee",
        file: "index.ts",
        edit: (t) => t.replace('{ name: "carol"', '{ name: "dave", fullName: "Dave Example" },\n    { name: "carol"'),
        // credential, xrdp TLS certificate, port, server (no floating IP pool in this example)
        expectOps: { create: 4 },
        touches: /^office-dave-/,
      },
      {
        // New password → new user data → the server is replaced; it sits on a port made
        // beforehand, so it must be deleted before its replacement asks Nova for that port.
        // The desktop's TLS certificate is kept (same fingerprint for the thin clients).
        what: "rotate one employee's password",
        file: "index.ts",
        edit: (t) =>
          t.replace(
            '{ name: "bob", fullName: "Bob Example" }',
            '{ name: "bob", fullName: "Bob Example", passwordRotation: "2026-12" }',
          ),
        expectOps: { replace: 2 },
        touches: /^office-bob-(credential|desktop)$/,
      },
    ],
  },
  {
    example: "two-tier-calculator",
    config: {
      "openstack-blueprints:imageName": "debian-12",
      "openstack-blueprints:flavorName": "m1.small",
      "openstack-blueprints:externalNetworkName": "public",
      "openstack-blueprints:clientCidr": "172.24.4.0/24",
      // The fake driver boots nothing: no front end could answer the readiness check.
      "openstack-blueprints:frontendReadinessTimeoutSeconds": "0",
    },
    changes: [
      {
        what: "change the servers' flavor (resize in place)",
        file: "index.ts",
        edit: (t) =>
          t.replace(
            "const { values } = loadStackConfig(calculatorStackSchema);",
            'const { values } = loadStackConfig(calculatorStackSchema);\nvalues.flavorName = "m1.medium";',
          ),
        expectOps: { update: 5 },
        touches: /^calculator-(frontend|sum|sub|mul|div)$/,
      },
    ],
  },
];

describe("real engine: examples on minicloud (preview, up, no-op up, refresh, change, destroy)", function () {
  this.timeout(30 * 60_000);
  for (const scenario of SCENARIOS) {
    describe(scenario.example, function () {
      const t = useMinicloudStack({
        cloud: CLOUD,
        images: ["debian-12", "ubuntu-24.04"],
        stack: () => ({
          programDir: path.join(REPO_ROOT, "examples", scenario.example),
          runName: `example-${scenario.example}`,
          config: scenario.config,
        }),
      });
      let ids: CloudResource[] = [];

      it("preview plans every resource as a create", async () => {
        const preview = await t.stack.preview();
        expect(Object.keys(changes(preview.changeSummary))).to.deep.equal(["create"]);
        expect(preview.changeSummary.create).to.be.greaterThan(1);
      });

      it("up creates them; the outputs hold no plain secret", async () => {
        const up = await t.stack.up();
        expect(changes(up.summary)).to.have.keys("create");
        ids = await t.stack.cloudResources();
        expect(ids.length).to.be.greaterThan(0);
        const plain = await t.stack.plainOutputs();
        expect(plain).not.to.match(/\$6\$/, "a crypt hash in plain outputs");
        const all = await t.stack.outputs();
        for (const value of Object.values((all.passwords as Record<string, string>) ?? {})) {
          expect(plain).not.to.include(value);
        }
      });

      it("a second up changes nothing", async () => {
        const up = await t.stack.up();
        expect(changes(up.summary)).to.deep.equal({});
      });

      it("refresh finds no drift", async () => {
        const refresh = await t.stack.refreshPreview();
        expect(changes(refresh.changeSummary)).to.deep.equal({});
      });

      for (const change of scenario.changes) {
        it(`a change (${change.what}) is previewed exactly and applied`, async () => {
          t.stack.editProgram(change.file, change.edit);
          const preview = await t.stack.preview();
          const touched = preview.steps.filter((s) => s.op !== "same" && urnType(s.urn) !== "pulumi:pulumi:Stack");
          const unexpected = touched.filter((s) => !change.touches.test(urnName(s.urn)));
          expect(
            unexpected.map((s) => `${s.op} ${urnName(s.urn)}`),
            "resources the change must not touch",
          ).to.deep.equal([]);
          expect(changes(preview.changeSummary)).to.deep.equal(change.expectOps);
          const up = await t.stack.up();
          expect(changes(up.summary)).to.deep.equal(change.expectOps);
          expect(changes((await t.stack.preview()).changeSummary)).to.deep.equal({});
          ids = await t.stack.cloudResources();
        });
      }

      it("destroy removes everything: the APIs show none of the stack's resources", async () => {
        const destroyed = await t.stack.destroy();
        expect(changes(destroyed.summary)).to.have.keys("delete");
        expect(await leftovers(t.client, ids)).to.deep.equal([]);
      });
    });
  }
});
