/**
 * The contract between the harness's model of OpenStack (packages/test-harness/src/openstack-model/) and
 * the real thing: every refusal the model makes is a program in
 * programs/contract/scenarios.ts, run twice — under the Pulumi mocks against the model, and
 * through the real engine (`pulumi up`) against minicloud's real Neutron and Nova — and both
 * must refuse it with the same essence (the API's message and HTTP status, or the provider's
 * own check). Where OpenStack accepts what the model used to refuse, the model was changed
 * (OpenStack wins) and the contract says `accepted`: both must accept it.
 *
 * The real runs use project minicloud-b, so they do not collide with tests on minicloud-a.
 * Each runs in its own stack under .engine-runs/contract-<scenario>, is destroyed and removed
 * whatever happened, and the cloud is asked afterwards that nothing it made is left. They
 * start together in before() (BLUEPRINTS_CONTRACT_JOBS at a time, default 3), since each
 * costs 10–20 s mostly waiting on the APIs; BLUEPRINTS_CONTRACT=a,b runs only those scenarios.
 * The model's side needs no engine: `--grep "model side"` runs it alone, in seconds.
 */
import { expect } from "chai";
import * as path from "node:path";
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { requireMinicloud } from "../../packages/minicloud/test/cloud-access";
import { defaultExistingCloud, ExistingCloud, installMocks } from "@openstack-blueprints/test-harness";
import { cloudResources, EngineStack, engineErrors, requireEngine } from "./pulumi-engine";
import { leftovers } from "./cloud-checks";
import { IMAGE, MISSING_ID, SCENARIOS } from "./programs/contract/scenarios";

const CLOUD = "minicloud-b";
const PROGRAM = path.join(__dirname, "programs/contract");
const JOBS = Number(process.env.BLUEPRINTS_CONTRACT_JOBS ?? 3);
const M = MISSING_ID.replace(/-/g, "\\-");

interface Contract {
  scenario: keyof typeof SCENARIOS & string;
  /** What both the model's refusal and the engine's error must say. */
  essence?: RegExp;
  /** What the engine says instead, where the provider hides the API's answer (the model keeps the API's words). */
  real?: RegExp;
  /** The HTTP status both must report, when the refusal comes from an API (not the provider's own checks). */
  status?: number;
  /** OpenStack accepts this program (the model used to refuse it): why, and both must accept it. */
  accepted?: string;
}

const CONTRACTS: Contract[] = [
  // Data sources: the provider's lookups (the model's messages carry the provider's words).
  { scenario: "network-not-found", essence: /query returned no results/i },
  { scenario: "network-name-ambiguous", essence: /query returned more than one result/i },
  { scenario: "flavor-not-found", essence: /query returned no results/i },
  { scenario: "image-not-found", essence: /query returned no results/i },
  { scenario: "subnet-not-found", essence: /query returned no openstack_networking_subnet_v2/i },

  // Subnets and their routes.
  { scenario: "subnet-network-not-found", essence: new RegExp(`Network ${M} could not be found`), status: 404 },
  { scenario: "subnet-without-cidr", essence: /a subnetpool must be specified in the absence of a cidr/, status: 400 },
  { scenario: "subnet-cidr-invalid", essence: /Invalid CIDR 10\.61\.0\.0\/33/ },
  { scenario: "subnet-cidr-host-bits", essence: /cidr 10\.61\.0\.5\/24 doesn't match subnet address 10\.61\.0\.0\/24/ },
  {
    scenario: "subnets-overlap-on-network",
    essence: /Requested subnet with cidr: \S+ for network: \S+ overlaps with another subnet/,
    status: 400,
  },
  {
    scenario: "gateway-outside-subnet",
    accepted: "Neutron allows a gateway outside the subnet (an on-link route); the model refused it",
  },
  { scenario: "gateway-on-network-address", essence: /Gateway is not valid on subnet/, status: 400 },
  {
    scenario: "allocation-pool-beyond-cidr",
    essence: /The allocation pool 10\.61\.0\.10-10\.61\.1\.10 spans beyond the subnet cidr 10\.61\.0\.0\/24/,
    status: 400,
  },
  {
    scenario: "gateway-in-allocation-pool",
    essence: /Gateway ip 10\.61\.0\.1 conflicts with allocation pool 10\.61\.0\.1-10\.61\.0\.100/,
    status: 409,
  },
  {
    scenario: "subnet-host-routes-input",
    essence: /Invalid or unknown key\. Examine values at 'hostroutes-subnet\.hostRoutes'/,
  },
  {
    scenario: "subnet-route-invalid-destination",
    essence: /Invalid input for host_routes\. Reason: '10\.62\.0\.0\/33' is not a valid CIDR/,
    status: 400,
  },
  // The provider's SubnetRoute swallows Neutron's 404 (it reads the subnet, finds nothing and
  // returns no state), so the engine reports its own error, not Neutron's.
  {
    scenario: "subnet-route-subnet-not-found",
    essence: new RegExp(`Subnet ${M} could not be found`),
    real: /expected non-nil error with nil state during Create of \S+subnetRoute:SubnetRoute::nosubnet-route/,
  },
  {
    scenario: "subnet-route-nexthop-off-subnet",
    accepted: "Neutron does not check that a host route's next hop is on the subnet; the model refused it",
  },

  // Routers and their interfaces.
  {
    scenario: "router-external-network-not-found",
    essence: new RegExp(`Network ${M} could not be found`),
    status: 404,
  },
  {
    scenario: "router-gateway-not-external",
    essence: /Bad router request: Network \S+ is not an external network/,
    status: 400,
  },
  { scenario: "router-interface-router-not-found", essence: new RegExp(`Router ${M} could not be found`), status: 404 },
  { scenario: "router-interface-port-not-found", essence: new RegExp(`Port ${M} could not be found`), status: 404 },
  {
    scenario: "router-interface-port-without-ip",
    essence: /Bad router request: Router port must have at least one fixed IP/,
    status: 400,
  },
  { scenario: "router-interface-subnet-not-found", essence: new RegExp(`Subnet ${M} could not be found`), status: 404 },
  {
    scenario: "router-interface-subnet-without-gateway",
    essence: /Bad router request: Subnet for router interface must have a gateway IP/,
    status: 400,
  },
  {
    scenario: "router-interface-twice",
    essence: /Bad router request: Router already has a port on subnet/,
    status: 400,
  },
  {
    scenario: "router-interface-gateway-ip-taken",
    essence: /IP address 10\.61\.0\.1 already allocated in subnet/,
    status: 409,
  },
  {
    scenario: "router-subnets-overlap",
    essence: /Bad router request: Cidr 10\.61\.0\.0\/25 of subnet \S+ overlaps with cidr 10\.61\.0\.0\/24 of subnet/,
    status: 400,
  },
  {
    scenario: "router-subnet-overlaps-gateway-subnet",
    essence: /Bad router request: Cidr 172\.24\.4\.0\/25 of subnet \S+ overlaps with cidr 172\.24\.4\.0\/24 of subnet/,
    status: 400,
  },

  // Fixed IPs.
  {
    scenario: "fixed-ip-outside-subnet",
    essence: /IP address 10\.61\.1\.20 is not a valid IP for the specified subnet/,
    status: 400,
  },
  {
    scenario: "fixed-ip-on-gateway",
    accepted:
      "Neutron lets a port take the gateway address (a router interface on that subnet then fails: router-interface-gateway-ip-taken); the model refused it with 409",
  },
  {
    scenario: "fixed-ip-network-address",
    essence: /IP address 10\.61\.0\.0 is not a valid IP for the specified subnet/,
    status: 400,
  },
  { scenario: "fixed-ip-taken", essence: /IP address 10\.61\.0\.20 already allocated in subnet/, status: 409 },
  { scenario: "subnet-exhausted", essence: /No more IP addresses available on network/, status: 409 },

  // Ports.
  { scenario: "port-network-not-found", essence: new RegExp(`Network ${M} could not be found`), status: 404 },
  { scenario: "port-subnet-not-found", essence: new RegExp(`Subnet ${M} could not be found`), status: 404 },
  {
    scenario: "port-subnet-of-other-network",
    essence: /Failed to create port on network \S+, because fixed_ips included invalid subnet/,
    status: 400,
  },
  { scenario: "port-security-group-not-found", essence: new RegExp(`Security group ${M} does not exist`), status: 404 },
  {
    scenario: "port-security-group-without-port-security",
    essence: /Port security must be enabled and port must have an IP address in order to use security groups/,
    status: 400,
  },

  // Floating IPs.
  { scenario: "floating-ip-pool-not-found", essence: /No network found with name: contract-no-such-network/ },
  {
    scenario: "floating-ip-pool-not-external",
    essence: /Bad floatingip request: Network \S+ is not a valid external network/,
    status: 400,
  },
  {
    scenario: "floating-ip-not-found",
    essence: /there are no openstack_networking_floatingip_v2 with 203\.0\.113\.77 IP/,
  },
  { scenario: "floating-ip-port-not-found", essence: new RegExp(`Port ${M} could not be found`), status: 404 },
  {
    scenario: "floating-ip-fixed-ip-not-on-port",
    essence: /Bad floatingip request: Port \S+ does not have fixed ip 10\.61\.0\.21/,
    status: 400,
  },
  {
    scenario: "floating-ip-without-router-interface",
    essence: /External network \S+ is not reachable from subnet \S+\s+Therefore, cannot associate Port/,
    status: 404,
  },
  {
    scenario: "floating-ip-moved-to-another-port",
    accepted: "Neutron moves a floating IP to another port when asked; the model refused it with 409",
  },

  // Security groups.
  { scenario: "rule-group-not-found", essence: new RegExp(`Security group ${M} does not exist`), status: 404 },
  {
    scenario: "rule-direction-invalid",
    essence: /unknown "inbound" direction for openstack_networking_secgroup_rule_v2/,
  },
  { scenario: "rule-port-range-half", essence: /all of `port_range_max,port_range_min,protocol` must be specified/ },
  {
    scenario: "rule-port-range-reversed",
    essence: /For TCP\/UDP protocols, port_range_min must be <= port_range_max/,
    status: 400,
  },
  { scenario: "rule-remote-ip-and-group", essence: /"remote_group_id": conflicts with remote_ip_prefix/ },
  { scenario: "rule-remote-group-not-found", essence: new RegExp(`Security group ${M} does not exist`), status: 404 },
  { scenario: "rule-remote-prefix-invalid", essence: /Invalid CIDR 10\.0\.0\.0\/33 given as IP prefix/, status: 400 },
  { scenario: "rule-duplicate", essence: /Security group rule already exists\. Rule id is/, status: 409 },
  { scenario: "rule-egress-any-on-new-group", essence: /Security group rule already exists\. Rule id is/, status: 409 },
  {
    scenario: "rule-egress-any-after-deleting-defaults",
    accepted:
      "with deleteDefaultRules the provider removes Neutron's egress rules, so the program's own is the only one",
  },

  // Servers and key pairs.
  { scenario: "server-without-flavor", essence: /Neither a flavor_id or flavor_name could be determined/ },
  { scenario: "server-flavor-not-found", essence: /Unable to find flavor with name contract-no-such-flavor/ },
  { scenario: "server-image-name-not-found", essence: /Unable to find image with name contract-no-such-image/ },
  { scenario: "server-image-id-not-found", essence: /Can not find requested image/, status: 400 },
  {
    scenario: "server-without-image",
    essence: /Neither a boot device, image ID, or image name were able to be determined/,
  },
  { scenario: "server-keypair-not-found", essence: /Invalid key_name provided/, status: 400 },
  { scenario: "server-user-data-too-long", essence: /Invalid input for field\/attribute user_data/, status: 400 },
  {
    scenario: "server-power-state-invalid",
    essence: /expected power_state to be one of \["active" "shutoff" "shelved_offloaded" "paused"\], got sleeping/,
  },
  { scenario: "server-port-not-found", essence: new RegExp(`Could not find any matching port for port ${M}`) },
  { scenario: "server-network-not-found", essence: new RegExp(`Could not find any matching network for id ${M}`) },
  {
    scenario: "server-security-group-name-not-found",
    essence: /Unable to find security_group with name or id 'contract-no-such-group'/,
    status: 400,
  },
  { scenario: "keypair-name-taken", essence: /Key pair 'contract-dup-key' already exists/, status: 409 },
];

/**
 * Refusals of the model that no real program can meet the same way, so they have no contract:
 * printed with the reason when the model side starts (they are not tests: nothing runs them).
 */
const NO_CONTRACT: Record<string, string> = {
  "a subnet or port without networkId, an association without portId":
    "required inputs: the Pulumi SDK throws at construction, under the mocks and the engine alike, before the model is asked",
  "an external network without a subnet to allocate floating IPs from":
    "only an admin makes external networks; the contract runs as the minicloud-b member",
  "a floating IP association that does not depend on its router interface":
    "a race the model refuses on purpose (a lint): with the real engine it fails only when the association wins the race",
  "a baked image whose base image, flavor or network is missing":
    "the project's own dynamic provider (XrdpDesktopImage), not an OpenStack API; its real test is its own",
  "a server on a network given by a name that does not exist":
    "the same provider lookup as server-network-not-found (by ID)",
};

/** The model's cloud for these programs: the default one plus minicloud's image. */
function modelCloud(): ExistingCloud {
  const cloud = defaultExistingCloud();
  return { ...cloud, images: [...cloud.images, { id: "image-minicloud-tiny", name: IMAGE }] };
}

interface RealRun {
  code: number;
  /** The engine's error diagnostics, or its raw output when it had none. */
  errors: string;
  /** What the cloud still had of the stack's resources after destroy (should be nothing). */
  left: string[];
  /** A failure of the run's own machinery (init, destroy): fails the test. */
  broken?: string;
}

const selected = (process.env.BLUEPRINTS_CONTRACT ?? "").split(",").filter(Boolean);
const contracts = selected.length ? CONTRACTS.filter((c) => selected.includes(c.scenario)) : CONTRACTS;

const harness = installMocks();

// The model's half needs neither the engine nor minicloud: it runs everywhere.
describe("model contract, model side: the harness's OpenStack model judges each scenario", () => {
  before(() => {
    console.log("    model refusals without a contract (why):");
    for (const [what, why] of Object.entries(NO_CONTRACT)) console.log(`      - ${what}: ${why}`);
  });

  it("every scenario of the program has a contract, and every contract a scenario", () => {
    expect(CONTRACTS.map((c) => c.scenario).sort()).to.deep.equal(Object.keys(SCENARIOS).sort());
  });

  for (const contract of contracts) {
    if (contract.accepted) {
      it(`${contract.scenario}: the model accepts it (${contract.accepted})`, async () => {
        const text = await modelErrors(contract.scenario);
        expect(text, "the model's refusal").to.equal("");
      });
    } else {
      it(`${contract.scenario}: the model refuses it: ${contract.essence}${contract.status ? ` (${contract.status})` : ""}`, async () => {
        const text = await modelErrors(contract.scenario);
        expect(text, "the model accepted it").not.to.equal("");
        expect(text).to.match(contract.essence!);
        if (contract.status) expect(text).to.match(new RegExp(`(Neutron|Nova|Glance) ${contract.status}:`));
      });
    }
  }
});

describe("model contract, real side: the same scenarios through the real engine on minicloud", function () {
  this.timeout(30 * 60_000);
  let bin: string | undefined;
  let client: OpenStackClient | undefined;
  const runs = new Map<string, Promise<RealRun>>();

  before(async function () {
    bin = requireEngine(this);
    await requireMinicloud(this);
    client = await new OpenStackClient(loadCloud(CLOUD)).connect();
    const slots: Array<() => void> = [];
    let running = 0;
    const acquire = () =>
      new Promise<void>((resolve) => (running < JOBS ? (running++, resolve()) : slots.push(resolve)));
    const release = () => {
      const next = slots.shift();
      if (next) next();
      else running--;
    };
    for (const c of contracts) {
      runs.set(
        c.scenario,
        acquire()
          .then(() => runReal(bin!, client!, c.scenario))
          .finally(release),
      );
    }
  });

  after(async () => {
    // Every started run finishes (and cleans up) before the client closes.
    await Promise.allSettled([...runs.values()]);
    await client?.close();
  });

  for (const contract of contracts) {
    if (contract.accepted) {
      it(`${contract.scenario}: the real engine accepts it`, async () => {
        const real = await realRun(contract.scenario);
        expect(real.code, real.errors).to.equal(0);
      });
    } else {
      it(`${contract.scenario}: the real engine refuses it the same way`, async () => {
        const real = await realRun(contract.scenario);
        expect(real.code, "pulumi up succeeded").not.to.equal(0);
        expect(real.errors).to.match(contract.real ?? contract.essence!);
        if (contract.status) expect(real.errors).to.match(new RegExp(`got ${contract.status} instead`));
      });
    }
  }

  async function realRun(scenario: string): Promise<RealRun> {
    const run = runs.get(scenario);
    if (!run) throw new Error(`no real run of ${scenario} was started`);
    const real = await run;
    expect(real.broken, "the run itself").to.equal(undefined);
    expect(real.left, "left in the cloud after destroy").to.deep.equal([]);
    return real;
  }
});

/** The scenario under the mocks: the model's refusals (and anything the program threw), one a line. */
async function modelErrors(scenario: string): Promise<string> {
  const run = await harness.runProgram(SCENARIOS[scenario], modelCloud());
  return [...(run.thrown ? [run.thrown] : []), ...run.errors].map((e) => e.message).join("\n");
}

/** `pulumi up` of the scenario on minicloud, then destroy, a leftover check and removal of the stack. */
async function runReal(bin: string, client: OpenStackClient, scenario: string): Promise<RealRun> {
  const stack = new EngineStack(bin, {
    programDir: PROGRAM,
    runName: `contract-${scenario}`,
    cloud: CLOUD,
    config: { "engine-test-contract:scenario": scenario },
    timeoutMs: 5 * 60_000,
  });
  const result: RealRun = { code: -1, errors: "", left: [] };
  try {
    await stack.init();
    const up = await stack.run(["up", "--yes", "--skip-preview", "--json"]);
    result.code = up.code;
    result.errors = engineErrors(up.stdout) || `${up.stdout.slice(-4000)}\n${up.stderr.slice(-2000)}`;
  } catch (e) {
    result.broken = `init/up: ${(e as Error).message}`;
  } finally {
    try {
      const state = await stack.exportState().catch(() => undefined);
      const made = state ? cloudResources(state) : [];
      if (made.length > 0) {
        const destroy = await stack.run(["destroy", "--yes", "--skip-preview"]);
        if (destroy.code !== 0)
          result.broken = `destroy exited ${destroy.code}: ${engineErrors(destroy.stdout) || destroy.stdout.slice(-2000)}`;
        result.left = await leftovers(client, made);
      }
    } catch (e) {
      result.broken = `cleanup: ${(e as Error).message}`;
    } finally {
      await stack.remove();
    }
  }
  return result;
}
