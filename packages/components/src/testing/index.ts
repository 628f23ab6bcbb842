/**
 * Test kit for programs that use these components: Pulumi mocks that answer what the components
 * ask of OpenStack, so a company can unit-test its own program under `pulumi.runtime.setMocks`
 * without a cloud or the Pulumi engine.
 *
 *   const cloud = await setBlueprintsMocks();          // before the program's modules are loaded
 *   const program = await import("../index");
 *   await outputOf(program.poolAddresses);              // ["10.20.0.10", …]
 *   cloud.byType(OPENSTACK.instance)                    // every server the program declared
 *
 * What is answered: Neutron allocates fixed IPs from the subnet's CIDR (ports' `allFixedIps`,
 * servers' `accessIpV4` and `networks[].fixedIpV4`), the data sources the components look up
 * (external network, image, flavor, subnet), random/command resources, and the dynamic
 * resources: the desktop credential and the xrdp certificate run their own provider code (they touch no cloud), baked
 * images and migrations get placeholder IDs. What is not: OpenStack's refusals (quota, bad
 * combinations) and the engine (no provider plugins, no plans). Kept independent of the
 * repository's own test harness, which models far more of OpenStack.
 */
import * as pulumi from "@pulumi/pulumi";
import { desktopCredentialProvider } from "../desktop/desktop-credential";
import { generatedSecretProvider } from "../secrets/generated-secret";
import { xrdpCertificateProvider } from "../desktop/xrdp-certificate";

/** Type tokens of the resources the components declare most often (for `byType`). */
export const OPENSTACK = {
  network: "openstack:networking/network:Network",
  subnet: "openstack:networking/subnet:Subnet",
  router: "openstack:networking/router:Router",
  routerInterface: "openstack:networking/routerInterface:RouterInterface",
  port: "openstack:networking/port:Port",
  secGroup: "openstack:networking/secGroup:SecGroup",
  secGroupRule: "openstack:networking/secGroupRule:SecGroupRule",
  floatingIp: "openstack:networking/floatingIp:FloatingIp",
  instance: "openstack:compute/instance:Instance",
  keypair: "openstack:compute/keypair:Keypair",
  desktopCredential: "pulumi-nodejs:dynamic/desktop-credential:DesktopCredential",
  generatedSecret: "pulumi-nodejs:dynamic/generated-secret:GeneratedSecret",
  xrdpCertificate: "pulumi-nodejs:dynamic/xrdp-certificate:XrdpCertificate",
} as const;

/** A resource's inputs or state: what the program passed, as plain values (narrow before use). */
export type ResourceProperties = Record<string, unknown>;

/** One resource the program declared, with what the mock cloud answered. */
export interface MockedResource {
  type: string;
  name: string;
  id: string;
  inputs: ResourceProperties;
  state: ResourceProperties;
}

/** An entry of a port's `fixedIps` input. */
interface FixedIpInput {
  subnetId?: string;
  ipAddress?: string;
}

/** An entry of a server's `networks` input. */
interface ServerNetworkInput {
  uuid?: string;
  port?: string;
  fixedIpV4?: string;
}

/**
 * Inputs as the engine hands them to a dynamic provider: Pulumi's Node.js dynamic provider does
 * not accept secrets (its Configure says so), so the engine sends secret inputs as plain values;
 * the mock monitor still wraps them (`{ 4dabf18193072939515e22adb298388d: "1b47…", value }`).
 */
export function unwrapSecretInputs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecretInputs);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270")
    return unwrapSecretInputs(obj.value);
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecretInputs(v)]));
}

const optionalString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

export interface BlueprintsMocksOptions {
  /** Passed to setMocks (defaults: "consumer", "test"). */
  project?: string;
  stack?: string;
  /** Preview mode: unknown outputs stay unknown, as in `pulumi preview`. Default false. */
  preview?: boolean;
  /** Address of the external (provider) network's floating IPs. Default 203.0.113.0/24. */
  floatingIpPrefix?: string;
}

export interface BlueprintsMocks {
  readonly mocks: pulumi.runtime.Mocks;
  /** Every custom resource, in registration order. */
  readonly resources: MockedResource[];
  byType(type: string): MockedResource[];
  byName(name: string): MockedResource;
  /** Forget every resource (IP allocation restarts). */
  reset(): void;
}

/** IPv4 a.b.c.d/len → the host addresses handed out from .10 upwards (as DHCP pools usually start). */
class Ipv4Pool {
  private next = 10;
  constructor(private readonly cidr: string) {}
  allocate(): string {
    const [base] = this.cidr.split("/");
    const parts = base.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) return `10.0.0.${this.next++}`;
    const value = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3] + this.next++;
    return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
  }
}

/** Mocks for the components (use `setBlueprintsMocks` unless you combine them with your own). */
export function blueprintsMocks(options: BlueprintsMocksOptions = {}): BlueprintsMocks {
  const resources: MockedResource[] = [];
  let subnets = new Map<string, { networkId: string | undefined; pool: Ipv4Pool }>();
  let floating = 10;
  let counter = 0;
  const idFor = (kind: string, name: string) => `${kind}-${name}-${++counter}`;

  const allocateOn = (
    networkId: string | undefined,
    subnetId: string | undefined,
  ): { subnetId: string; ipAddress: string } | undefined => {
    const entry = subnetId
      ? ([subnetId, subnets.get(subnetId)] as const)
      : [...subnets.entries()].find(([, s]) => s.networkId === networkId);
    if (!entry || !entry[1]) return undefined;
    return { subnetId: entry[0], ipAddress: entry[1].pool.allocate() };
  };

  function answer(
    args: pulumi.runtime.MockResourceArgs,
  ): { id: string; state: ResourceProperties } | Promise<{ id: string; state: ResourceProperties }> {
    const inputs: ResourceProperties = args.inputs;
    switch (args.type) {
      case OPENSTACK.subnet: {
        const id = idFor("subnet", args.name);
        subnets.set(id, {
          networkId: optionalString(inputs.networkId),
          pool: new Ipv4Pool(String(inputs.cidr ?? "10.0.0.0/24")),
        });
        return { id, state: { ...inputs } };
      }
      case OPENSTACK.port: {
        const requested: FixedIpInput[] = Array.isArray(inputs.fixedIps) ? inputs.fixedIps : [];
        const networkId = optionalString(inputs.networkId);
        const fixedIps =
          requested.length === 0
            ? [allocateOn(networkId, undefined)].filter((f) => f !== undefined)
            : requested
                .map((f) =>
                  f.ipAddress ? { subnetId: f.subnetId, ipAddress: f.ipAddress } : allocateOn(networkId, f.subnetId),
                )
                .filter((f) => f !== undefined);
        return {
          id: idFor("port", args.name),
          state: { ...inputs, fixedIps, allFixedIps: fixedIps.map((f) => f!.ipAddress) },
        };
      }
      case OPENSTACK.instance: {
        const requested: ServerNetworkInput[] = Array.isArray(inputs.networks) ? inputs.networks : [];
        const networks = requested.map((n) => {
          const ip = n.fixedIpV4 ?? (n.port ? portAddress(n.port) : allocateOn(n.uuid, undefined)?.ipAddress);
          return { ...n, fixedIpV4: ip ?? "" };
        });
        return {
          id: idFor("server", args.name),
          state: { ...inputs, networks, accessIpV4: networks[0]?.fixedIpV4 ?? "" },
        };
      }
      case OPENSTACK.floatingIp:
        return {
          id: idFor("fip", args.name),
          state: { ...inputs, address: `${options.floatingIpPrefix ?? "203.0.113"}.${floating++}` },
        };
      case OPENSTACK.desktopCredential:
      case OPENSTACK.generatedSecret:
      case OPENSTACK.xrdpCertificate: {
        // The providers' own code: they generate passwords (and hashes) or a TLS key and
        // certificate, touching no cloud.
        const provider = {
          [OPENSTACK.desktopCredential]: desktopCredentialProvider,
          [OPENSTACK.generatedSecret]: generatedSecretProvider,
          [OPENSTACK.xrdpCertificate]: xrdpCertificateProvider,
        }[args.type];
        const { __provider: _serialised, ...providerInputs } = unwrapSecretInputs(inputs) as Record<string, unknown>;
        return Promise.resolve(provider.create(providerInputs)).then((made) => ({
          id: made.id,
          state: { ...providerInputs, ...(made.outs ?? {}) },
        }));
      }
      case "command:remote:Command":
      case "command:local:Command":
        return { id: idFor("command", args.name), state: { ...inputs, stdout: "", stderr: "" } };
      default:
        // Other resources (networks, routers, security groups, baked images, migrations, …):
        // an ID, and the inputs as outputs.
        return { id: idFor(args.type.split(":").pop()!.toLowerCase(), args.name), state: { ...inputs } };
    }
  }

  const portAddress = (portId: string): string | undefined => {
    const addresses = resources.find((r) => r.type === OPENSTACK.port && r.id === portId)?.state.allFixedIps;
    return Array.isArray(addresses) ? optionalString(addresses[0]) : undefined;
  };

  const mocks: pulumi.runtime.Mocks = {
    async newResource(args) {
      const made = await answer(args);
      if (args.custom !== false)
        resources.push({ type: args.type, name: args.name, id: made.id, inputs: args.inputs, state: made.state });
      return made;
    },
    call(args) {
      const name = String(args.inputs.name ?? "looked-up");
      switch (args.token) {
        case "openstack:networking/getNetwork:getNetwork":
          return { ...args.inputs, id: `net-${name}`, name, external: args.inputs.external ?? false };
        case "openstack:networking/getSubnet:getSubnet":
          return { ...args.inputs, id: `subnet-${name}`, name, cidr: args.inputs.cidr ?? "10.0.0.0/24" };
        case "openstack:images/getImage:getImage":
          return { ...args.inputs, id: `image-${name}`, name, minDiskGb: 0, minRamMb: 0 };
        case "openstack:compute/getFlavor:getFlavor":
          return {
            ...args.inputs,
            id: `flavor-${name}`,
            name,
            vcpus: args.inputs.vcpus ?? 2,
            ram: args.inputs.ram ?? 4096,
            disk: args.inputs.disk ?? 20,
          };
        default:
          return { ...args.inputs };
      }
    },
  };

  return {
    mocks,
    resources,
    byType: (type) => resources.filter((r) => r.type === type),
    byName(name) {
      const found = resources.find((r) => r.name === name);
      if (!found)
        throw new Error(
          `no resource named "${name}" was declared; declared: ${resources.map((r) => r.name).join(", ") || "none"}`,
        );
      return found;
    },
    reset() {
      resources.length = 0;
      subnets = new Map();
      floating = 10;
      counter = 0;
    },
  };
}

/** Installs the mocks (`pulumi.runtime.setMocks`); call it before the program's modules are loaded. */
export async function setBlueprintsMocks(options: BlueprintsMocksOptions = {}): Promise<BlueprintsMocks> {
  const kit = blueprintsMocks(options);
  await pulumi.runtime.setMocks(
    kit.mocks,
    options.project ?? "consumer",
    options.stack ?? "test",
    options.preview ?? false,
  );
  return kit;
}

/** The value of an Output once the mocks have answered (a test helper; never in programs). */
export function outputOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) =>
    pulumi.output(output).apply((value) => {
      resolve(value as T);
      return value;
    }),
  );
}
