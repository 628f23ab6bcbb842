// The order blocks run in comes from what they declare (needs, uses, provides), not from the
// order of BLOCKS; each block gets only what it declared; stack-file problems keep their key paths.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { StackConfigError } from "@openstack-blueprints/components";
import { installMocks } from "@openstack-blueprints/test-harness";
import { STACKS_DIR, startingCloud } from "@openstack-blueprints/test-harness/src/stack-runner";
import {
  BLOCKS,
  composeEnvironment,
  defineBlock,
  orderBlocks,
  readStackFile,
  runBlocks,
  stackFilePath,
  type EnvironmentBlock,
} from "../src";
import { z } from "zod";

const harness = installMocks();
const NS = "openstack-blueprints";

/** The stack file's config as the root program's raw values (secrets as placeholders). */
function stackRaw(stack: string): Record<string, string> {
  const { config } = readStackFile(stackFilePath(STACKS_DIR, stack));
  return Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith(`${NS}:`))
      .map(([k, v]) => [k.slice(NS.length + 1), v]),
  );
}

/** A config error's problems (the test fails when none is thrown). */
function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (e) {
    expect(e).to.be.instanceOf(StackConfigError);
    return (e as StackConfigError).problems;
  }
  throw new Error("expected a StackConfigError");
}

const block = (key: string, decl: Partial<Pick<EnvironmentBlock, "needs" | "uses" | "provides">>) =>
  ({
    key,
    component: key,
    description: key,
    schema: z.unknown(),
    needs: [],
    uses: [],
    provides: [],
    run: () => ({ outputs: {} }),
    ...decl,
  }) as EnvironmentBlock;

describe("composing an environment from blocks", function () {
  // A small firm's office: DevStack, its network and 200 desktops, twice under the harness.
  this.timeout(300_000);

  it("builds the same resources whatever the order of BLOCKS (the order comes from needs)", async () => {
    const raw = stackRaw("office");
    const run = async (blocks: EnvironmentBlock[]) => {
      const result = await harness.runProgram(
        () => composeEnvironment({ raw, blocks }),
        startingCloud({ [`${NS}:devstack`]: raw.devstack }),
      );
      expect(result.thrown?.message).to.equal(undefined);
      expect(result.errors.map((e) => e.message)).to.deep.equal([]);
      // Generated password hashes are salted at random: compare what they were made from.
      const resources = result.resources
        .map((r) =>
          JSON.stringify({
            urn: r.urn,
            parent: r.parent,
            provider: r.provider,
            deps: [...result.dependsOnTransitively(r.urn)].sort(),
          }),
        )
        .sort();
      return { order: result.value!.order, resources };
    };
    const asListed = await run(BLOCKS);
    // The desktops first, DevStack last: the reverse of the dependencies.
    const reversed = await run([...BLOCKS].reverse());
    expect(asListed.order).to.deep.equal(["devstack", "networks", "desktops"]);
    expect(reversed.order).to.deep.equal(["devstack", "networks", "desktops"]);
    expect(reversed.resources).to.deep.equal(asListed.resources);
    expect(asListed.resources.length).to.be.greaterThan(200);
  });

  it("orders by needs and uses, keeping the given order between independent blocks", () => {
    const cloud = block("cloud", { provides: ["provider", "cloud"] });
    const nets = block("nets", { uses: ["provider", "cloud"], provides: ["networks"] });
    const pool = block("pool", { needs: ["networks"], uses: ["provider"] });
    const lone = block("lone", {});
    expect(orderBlocks([pool, lone, nets, cloud]).map((b) => b.key)).to.deep.equal(["lone", "cloud", "nets", "pool"]);
    // `uses` without a provider in the stack is no problem: the block runs with what there is.
    expect(orderBlocks([pool, nets]).map((b) => b.key)).to.deep.equal(["nets", "pool"]);
  });

  it("names the block and the setting to add when nothing in the stack provides a need, with the values' problems", () => {
    const raw = stackRaw("local");
    delete raw.networks;
    expect(problemsOf(() => composeEnvironment({ raw }))).to.deep.equal([
      `${NS}:desktops: needs networks, which no block of this stack provides; add ${NS}:networks`,
    ]);
    const desktops = JSON.parse(raw.desktops);
    desktops.flavor = "";
    expect(problemsOf(() => composeEnvironment({ raw: { ...raw, desktops: JSON.stringify(desktops) } }))).to.deep.equal(
      [
        `${NS}:desktops: needs networks, which no block of this stack provides; add ${NS}:networks`,
        `${NS}:desktops.flavor: "" is empty; give the desktops' default flavor name (e.g. m1.desktop)`,
      ],
    );
  });

  it("names the blocks that need each other, and two blocks providing one value", () => {
    const a = block("a", { needs: ["networks"], provides: ["securityProfiles"] });
    const b = block("b", { needs: ["securityProfiles"], provides: ["networks"] });
    // d is behind the cycle, not on it.
    const d = block("d", { needs: ["networks"] });
    expect(problemsOf(() => orderBlocks([a, d, b, block("c", {})]))).to.deep.equal([
      `${NS}: blocks a, b need each other (a waits for b; b waits for a); no order can build them`,
    ]);
    expect(
      problemsOf(() => orderBlocks([block("x", { provides: ["provider"] }), block("y", { provides: ["provider"] })])),
    ).to.deep.equal([`${NS}:y: provides provider, as ${NS}:x does; a stack takes one of them`]);
  });

  it("gives a block only what it declared, and holds it to what it declared it provides", () => {
    const seen: string[][] = [];
    const fakeProvider = {} as pulumi.ProviderResource;
    const maker = defineBlock({
      key: "maker",
      component: "m",
      description: "m",
      schema: z.unknown(),
      provides: ["provider", "networks"],
      run: () => ({ provided: { provider: fakeProvider, networks: new Map() }, outputs: {} }),
    });
    const reader = defineBlock({
      key: "reader",
      component: "r",
      description: "r",
      schema: z.unknown(),
      needs: ["networks"],
      run: (_spec, inputs) => {
        seen.push(Object.keys(inputs));
        return { outputs: {} };
      },
    });
    runBlocks([maker, reader], {}, "t");
    expect(seen).to.deep.equal([["networks"]]);

    const liar = block("liar", { provides: ["networks"] });
    expect(() => runBlocks([liar], {}, "t")).to.throw("block liar declares it provides [networks] but returned []");
  });
});

describe("stack config checked with the components' own schemas", () => {
  it("reports every problem at once, each with its key path, secrets never shown", () => {
    const raw = stackRaw("office");
    const devstack = JSON.parse(raw.devstack);
    devstack.hostIpp = devstack.hostIp; // a misspelt setting is refused, not ignored
    devstack.connection.port = 70000;
    devstack.connection.privateKee = "x";
    const desktops = JSON.parse(raw.desktops);
    delete desktops.employeePrefix;
    delete desktops.employeeCount;
    desktops.employees = [{ name: "alice" }, { name: "bob" }, { fullName: "Carol Jones" }];
    desktops.networkId = "net-1"; // the stack's network is a `networks` entry
    const problems = problemsOf(() =>
      composeEnvironment({ raw: { ...raw, devstack: JSON.stringify(devstack), desktops: JSON.stringify(desktops) } }),
    );
    expect(problems.join("\n")).to.contain(`${NS}:devstack: has unknown setting(s) "hostIpp"`);
    expect(problems.join("\n")).to.contain(`${NS}:devstack.connection: has unknown setting(s) "privateKee"`);
    expect(problems.join("\n")).to.contain(`${NS}:devstack.connection.port: [secret] is not a port number`);
    expect(problems).to.include(
      `${NS}:desktops.employees[2].name: is required; set it with \`pulumi config set --path ${NS}:desktops.employees[2].name <value>\``,
    );
    expect(problems.join("\n")).to.contain(`${NS}:desktops: has unknown setting(s) "networkId"`);
    expect(problems).to.have.length(5);
  });

  it("checks the desktops' portal: a fixed address, no second sessionReports, admins' blocks; enabled: false opts out", () => {
    const raw = stackRaw("notebooks");
    const desktops = JSON.parse(raw.desktops);
    delete desktops.portal.fixedIp;
    delete desktops.adminCidr;
    desktops.sessionReports = { portalUrl: "https://portal.example/" };
    const problems = problemsOf(() => composeEnvironment({ raw: { ...raw, desktops: JSON.stringify(desktops) } }));
    const text = problems.join("\n");
    expect(text).to.contain(`${NS}:desktops.portal.fixedIp: `);
    expect(text).to.contain("outside its allocationPools");
    expect(text).to.contain(`${NS}:desktops.sessionReports: `);
    expect(text).to.contain("cannot be given with portal");
    expect(text).to.contain(`${NS}:desktops.portal.adminCidrs: `);
    expect(problems).to.have.length(3);
    // Opted out, the same settings are accepted: no portal, and the pool's own sessionReports stand.
    desktops.portal.enabled = false;
    desktops.adminCidr = "10.40.250.0/28";
    expect(() => composeEnvironment({ raw: { ...raw, desktops: JSON.stringify(desktops) } })).to.not.throw();
  });

  it("refuses an office whose employees' hashes would not fit the portal's user data, naming Nova's limit", () => {
    const raw = stackRaw("office");
    const desktops = JSON.parse(raw.desktops);
    desktops.employeeCount = 1000;
    const problems = problemsOf(() => composeEnvironment({ raw: { ...raw, desktops: JSON.stringify(desktops) } }));
    expect(problems.join("\n")).to.match(
      new RegExp(
        `${NS}:desktops\\.employeeCount: .*1000 employees make the portal's user data about \\d+ bytes .*over Nova's 65535-byte user-data limit; split them over two stacks`,
      ),
    );
    // The office's own 200 pass the same check (its portal is on by default).
    expect(() => composeEnvironment({ raw })).to.not.throw();
  });

  it("checks a Ganeti stack's nodes and instances field by field", () => {
    const raw = stackRaw("ganeti");
    const ganeti = JSON.parse(raw.ganeti);
    ganeti.nodes[1].connection.hostKey = "not a key";
    ganeti.instances[0].diskSizeGiB = -1;
    ganeti.instances[1].diskTemplat = "drbd";
    const problems = problemsOf(() => composeEnvironment({ raw: { ...raw, ganeti: JSON.stringify(ganeti) } }));
    expect(problems).to.deep.equal([
      `${NS}:ganeti.nodes[1].connection.hostKey: [secret] is not an SSH public host key ("ssh-ed25519 AAAA…"); copy /etc/ssh/ssh_host_ed25519_key.pub from the node`,
      `${NS}:ganeti.instances[0].diskSizeGiB: [secret] must be a positive size in GiB`,
      `${NS}:ganeti.instances[1]: has unknown setting(s) "diskTemplat"; check the spelling`,
    ]);
  });

  it("checks a migration stack with S2DMigration's own schema: every problem at once, passwords never shown", () => {
    const raw = stackRaw("migrate");
    const migration = JSON.parse(raw.migration);
    migration.source.projct = migration.source.project; // a misspelt cloud setting
    delete migration.target.project; // inline credentials need a project
    migration.floatingIp = "sometimes";
    migration.keepSourceSnapshot = "yes"; // a setting the component has (the block's own list lacked it)
    delete migration.publicKey; // keypairMode import needs the key
    migration.sourceServr = "x";
    const problems = problemsOf(() => composeEnvironment({ raw: { ...raw, migration: JSON.stringify(migration) } }));
    expect(problems).to.have.members([
      `${NS}:migration.source: has unknown setting(s) "projct"; check the spelling`,
      `${NS}:migration.target.project: is invalid: project is required with authUrl`,
      `${NS}:migration.floatingIp: [secret] is not "new", "none" or an IPv4 address (four numbers 0-255) already allocated in B`,
      `${NS}:migration.keepSourceSnapshot: [secret] is not true or false`,
      `${NS}:migration: has unknown setting(s) "sourceServr"; check the spelling`,
      `${NS}:migration.publicKey: is required when keypairMode is "import": the OpenSSH public key to import into B`,
    ]);
    expect(problems.join("\n")).to.not.include("placeholder");
  });

  it("accepts the migrate stack as it is, with a journal folder the block did not know before", () => {
    const raw = stackRaw("migrate");
    const migration = { ...JSON.parse(raw.migration), journalDir: "/var/lib/s2d" };
    expect(() => composeEnvironment({ raw: { ...raw, migration: JSON.stringify(migration) } })).to.not.throw();
  });

  it("networks and security profiles take the components' args (networkName defaults to the key)", () => {
    const raw = {
      environment: "lab",
      calculator: "{}",
      networks: JSON.stringify({ web: { cidr: "10.9.0.0/24", mtuu: 1400, portSecurityEnabled: false } }),
      securityProfiles: JSON.stringify({ web: { rules: [{ protocol: "sctp", port: 80, remoteGroupId: "g-1" }] } }),
    };
    const problems = problemsOf(() => composeEnvironment({ raw }));
    expect(problems).to.include(`${NS}:networks.web: has unknown setting(s) "mtuu"; check the spelling`);
    expect(problems).to.include(
      `${NS}:securityProfiles.web.rules[0].protocol: "sctp" is not one of "tcp", "udp", "icmp", "any"`,
    );
    // A rule names another profile of the stack, not a group ID.
    expect(problems).to.include(
      `${NS}:securityProfiles.web.rules[0]: has unknown setting(s) "remoteGroupId"; check the spelling`,
    );
  });
});
