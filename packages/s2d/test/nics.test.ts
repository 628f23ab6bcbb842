/** The new server's interfaces: networkMap, kept fixed IPs and the problems reported before anything moves. */
import { expect } from "chai";
import type { Network, Subnet } from "@openstack-blueprints/openstack-rest";
import { planNics, resolveNetwork, validateSpec } from "../src";

const nets: Network[] = [
  { id: "n-app", name: "app", status: "ACTIVE", subnets: [], project_id: "b" },
  { id: "n-db", name: "db", status: "ACTIVE", subnets: [], project_id: "b" },
  { id: "n-ext", name: "public", status: "ACTIVE", subnets: [], project_id: "admin", "router:external": true },
];
const subnet = (id: string, network_id: string, cidr: string): Subnet => ({
  id,
  name: id,
  network_id,
  cidr,
  ip_version: 4,
  gateway_ip: null,
  enable_dhcp: true,
});
const subnets = [subnet("s-app", "n-app", "10.1.0.0/24"), subnet("s-db", "n-db", "10.9.0.0/24")];
const ports = [
  { networkId: "a-app", networkName: "web-net", ips: ["10.1.0.4"] },
  { networkId: "a-db", networkName: "storage-net", ips: ["10.9.0.7"] },
];
const plan = (spec: Parameters<typeof planNics>[0]["spec"], usedIps = new Map<string, string>()) =>
  planNics({ ports, spec, networks: nets, subnets, usedIps, defaultNetwork: () => resolveNetwork(nets, spec) });

describe("s2d network interfaces (networkMap)", () => {
  it("recreates every mapped interface in order and keeps the fixed IPs B's subnets hold", () => {
    const p = plan({
      networkMap: [
        { source: "storage-net", target: "db" },
        { source: "a-app", target: "n-app" },
      ],
    });
    expect(p.problems).to.deep.equal([]);
    expect(p.nics).to.deep.equal([
      { uuid: "n-app", fixed_ip: "10.1.0.4" },
      { uuid: "n-db", fixed_ip: "10.9.0.7" },
    ]);
  });

  it("takes new addresses with keepFixedIps: false, and the first interface falls back to network", () => {
    const p = plan({ network: "app", networkMap: [{ source: "storage-net", target: "db" }], keepFixedIps: false });
    expect(p.problems).to.deep.equal([]);
    expect(p.nics).to.deep.equal([{ uuid: "n-app" }, { uuid: "n-db" }]);
  });

  it("reports every problem at once: unmapped interface, missing network, address outside the subnet or taken", () => {
    const noMap = plan({ network: "app" });
    expect(noMap.problems.map((x) => x.field)).to.deep.equal(["networkMap"]);
    expect(noMap.problems[0].message).to.match(
      /interface 2 .* storage-net \(a-db\) with 10\.9\.0\.7, has no target network/,
    );

    const bad = plan(
      {
        networkMap: [
          { source: "web-net", target: "db" },
          { source: "storage-net", target: "nosuch" },
        ],
      },
      new Map([["10.1.0.4", "port-x"]]),
    );
    expect(bad.problems.map((x) => `${x.field}=${x.value}`)).to.deep.equal([
      "networkMap.0=10.1.0.4",
      "networkMap.1.target=nosuch",
    ]);
    expect(bad.problems[0].message).to.match(
      /in no subnet of network db in cloud B \(subnets: 10\.9\.0\.0\/24\).*keepFixedIps: false/,
    );
    expect(bad.problems[1].message).to.match(/not found in cloud B \(have: app, db, public\)/);

    const taken = plan(
      {
        networkMap: [
          { source: "web-net", target: "app" },
          { source: "storage-net", target: "db" },
        ],
      },
      new Map([["10.9.0.7", "port-y"]]),
    );
    expect(taken.problems).to.have.length(1);
    expect(taken.problems[0].message).to.match(/already used by port port-y in network db/);
  });

  it("spec: networkMap entries are { source, target }, a source mapped twice and unknown fields are refused", () => {
    const base = { source: { cloud: "a" }, target: { cloud: "b" } };
    const ok = validateSpec({
      ...base,
      servers: [{ source: "web", networkMap: [{ source: "web-net", target: "app" }], keepFixedIps: false }],
    });
    expect(ok.servers[0].networkMap).to.deep.equal([{ source: "web-net", target: "app" }]);
    expect(ok.servers[0].keepFixedIps).to.equal(false);
    let err: Error | undefined;
    try {
      validateSpec({
        ...base,
        servers: [
          {
            source: "web",
            networkMap: [
              { source: "x", target: "app" },
              { source: "x", target: "db", via: "y" },
            ],
          },
        ],
      });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/servers\.0\.networkMap\.1.*unknown field\(s\) via/);
    expect(err?.message).to.match(/source network "x" is mapped twice \(also networkMap\.0\)/);
  });
});
