/**
 * Bad input as a user meets it: programs whose components are given several mistakes at once,
 * through the real `pulumi preview` and `pulumi up`. The CLI's output must name every bad field
 * with its value and fix, in one run, and nothing may be registered: no provider is configured
 * and no cloud is asked anything, because the components check their input before their first
 * resource. The programs have no cloud settings at all (no OS_CLOUD), so they need no minicloud.
 *  - TypeScript (the Node.js language host runs the components in the program): the language
 *    host prints the error's message, which lists every problem;
 *  - Pulumi YAML (the components' provider runs them in `construct`): the error reaches the
 *    engine as Pulumi's InputPropertiesError, which prints one line per property.
 */
import { expect } from "chai";
import * as path from "node:path";
import { EngineStack, requireEngine, requireYamlHost, urnType } from "./pulumi-engine";

interface Case {
  component: string;
  /** Each bad field as the CLI must show it: `field: value problem-and-fix`. */
  problems: string[];
}

const CASES: Case[] = [
  {
    component: "pool",
    problems: [
      'networkCidr: "10.20.0.0/33" is not an IPv4 CIDR (e.g. 192.168.1.0/24)',
      'workspace: "vnc" is not one of "desktop", "jupyter"',
      'employees[1].name: "Bob Smith" is not a usable Linux user name',
      'employees[2].name: "alice" duplicates employees[0]',
      'thinClientCidr: "0.0.0.0/0" opens RDP to the whole internet; give the thin clients\' block, or set allowRdpFromAnywhere: true',
    ],
  },
  {
    component: "calculator",
    problems: [
      'clientCidr: "203.0.113.7/24" has host bits set; the network is 203.0.113.0/24',
      'nodejsSource: "tarball" is not one of "package", "image"',
      'serviceCidr: "192.168.1.128/25" overlaps frontendCidr 192.168.1.0/24; RT2 joins both, so they must be disjoint (e.g. 192.168.2.0/24)',
      'serviceEgressRouter: "outer" routes Net2 out through RT1, but on ML2/OVN (networkBackend "ovn") RT1 SNATs only its own subnets unless Neutron sets [ovn] ovn_router_indirect_snat = true (default false), so the services would never reach a mirror; use serviceEgressRouter "inner" (RT2 gets its own external gateway; the default on "ovn"), or, if your cloud sets ovn_router_indirect_snat = true, set ovnRouterIndirectSnat: true',
    ],
  },
];

const TITLES: Record<string, string> = {
  pool: "ThinClientDesktopPool office",
  calculator: "TwoTierCalculatorTopology lab",
};

describe("real engine: bad component input reaches the user per property, before anything is made", function () {
  this.timeout(10 * 60_000);
  let bin: string;

  before(function () {
    bin = requireEngine(this);
  });

  for (const c of CASES) {
    describe(TITLES[c.component], () => {
      let stack: EngineStack;

      before(async () => {
        stack = new EngineStack(bin, {
          programDir: path.join(__dirname, "programs/bad-input"),
          runName: `bad-input-${c.component}`,
          config: { "engine-test-bad-input:component": c.component },
          // No cloud: a provider that were configured would have nothing to reach.
          env: { OS_CLOUD: "", OS_AUTH_URL: "" },
        });
        await stack.init();
      });

      after(async () => {
        await stack?.remove();
      });

      it("pulumi preview fails, listing every bad field with its value and fix, without a stack trace", async () => {
        const r = await stack.run(["preview"]);
        const out = r.stdout + r.stderr;
        expect(r.code, out).to.not.equal(0);
        expect(out).to.include(`ComponentArgsError: ${TITLES[c.component]}: invalid arguments:`);
        for (const problem of c.problems) expect(out).to.include(`  - ${problem}`);
        // One line per problem, each once: not the error's fields dumped after its message.
        const listed = out.split("\n").filter((l) => /^\s+- /.test(l));
        expect(listed, out).to.have.length(c.problems.length);
        expect(out, "no stack frames of our code").to.not.match(/\n\s+at [^\n]*errors\.ts/);
        expect(out, "no colour codes").to.not.include("\u001b[");
      });

      it("the preview plans nothing but the stack itself: no provider, no cloud resource", async () => {
        const r = await stack.run(["preview", "--json"]);
        expect(r.code, r.stdout).to.not.equal(0);
        const doc = JSON.parse(r.stdout) as { steps?: Array<{ urn: string }> };
        expect((doc.steps ?? []).map((s) => urnType(s.urn))).to.deep.equal(["pulumi:pulumi:Stack"]);
      });

      it("pulumi up fails the same way and leaves no resource in the state", async () => {
        const r = await stack.run(["up", "--yes", "--skip-preview"]);
        const out = r.stdout + r.stderr;
        expect(r.code, out).to.not.equal(0);
        for (const problem of c.problems) expect(out).to.include(`  - ${problem}`);
        const state = await stack.exportState();
        const types = (state.deployment.resources ?? []).map((res) => res.type);
        expect(
          types.filter((t) => t !== "pulumi:pulumi:Stack"),
          "resources besides the stack",
        ).to.deep.equal([]);
      });
    });
  }
});

describe("real engine: bad component input from Pulumi YAML, per property through the components' provider", function () {
  this.timeout(10 * 60_000);
  let stack: EngineStack;

  before(async function () {
    const bin = requireEngine(this);
    const yamlBin = requireYamlHost(this);
    stack = new EngineStack(bin, {
      programDir: path.join(__dirname, "programs/bad-input-yaml"),
      runName: "bad-input-yaml",
      extraBinDirs: [yamlBin],
      env: { OS_CLOUD: "", OS_AUTH_URL: "" },
    });
    await stack.init();
  });

  after(async () => {
    await stack?.remove();
  });

  it("pulumi preview fails with one line per bad property: path, value and the fix, once each", async () => {
    const r = await stack.run(["preview"]);
    const out = r.stdout + r.stderr;
    expect(r.code, out).to.not.equal(0);
    expect(out).to.include(
      "openstack-blueprints:index:ThinClientDesktopPool resource 'office' has a problem: ThinClientDesktopPool office: 6 invalid arguments",
    );
    const properties = [
      'property networkCidr with value "10.20.0.0/33" has a problem: is not an IPv4 CIDR (e.g. 192.168.1.0/24)',
      'property workspace with value "vnc" has a problem: is not one of "desktop", "jupyter"',
      'property employees[1].name with value "Bob Smith" has a problem: is not a usable Linux user name',
      'property employees[2].name with value "alice" has a problem: duplicates employees[0]',
      "property adminCidr has a problem: SSH needs both adminCidr and adminPublicKey",
      'property thinClientCidr with value "0.0.0.0/0" has a problem: opens RDP to the whole internet',
    ];
    for (const line of properties) expect(out).to.include(`- ${line}`);
    // Each problem once: the message does not list them again before the engine's lines.
    expect(out.match(/is not an IPv4 CIDR/g), out).to.have.length(1);
  });

  it("nothing reaches a cloud: after a failed up the state holds the stack and the components' provider only", async () => {
    const r = await stack.run(["up", "--yes", "--skip-preview"]);
    expect(r.code, r.stdout + r.stderr).to.not.equal(0);
    const state = await stack.exportState();
    const types = (state.deployment.resources ?? []).map((res) => res.type);
    // The components' own provider is what refused the input (its `construct`); no OpenStack
    // provider was configured and no resource was made.
    expect(types.sort()).to.deep.equal(["pulumi:providers:openstack-blueprints", "pulumi:pulumi:Stack"]);
  });
});
