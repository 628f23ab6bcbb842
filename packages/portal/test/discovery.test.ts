// Discovery: the portal's config names only employees and their hashes; which Nova server is whose
// comes from the pool's metadata on its servers. The servers here are Nova's list answer as data
// (the real Nova API's answer is test/engine/portal.engine.test.ts's).
import { expect } from "chai";
import type { Server } from "@openstack-blueprints/openstack-rest";
import { sha512Crypt } from "@openstack-blueprints/components/thin-client";
import {
  applyDiscovery,
  buildPortal,
  DesktopAction,
  DesktopCloud,
  DiscoveredDesktop,
  parsePortalConfig,
  PortalConfigError,
  poolDesktops,
} from "../src";

const server = (id: string, name: string, metadata: Record<string, string>, addr = "10.0.0.5"): Server =>
  ({
    id,
    name,
    status: "ACTIVE",
    metadata,
    addresses: {
      lan: [
        { addr, "OS-EXT-IPS:type": "fixed" },
        { addr: `192.168.8.${id.length}`, "OS-EXT-IPS:type": "floating" },
      ],
    },
  }) as unknown as Server;

describe("portal discovery: the pool's desktops from Nova's server list", () => {
  const listed = [
    server("srv-a", "office-alice", { "blueprints-pool": "office", "blueprints-employee": "alice" }),
    server("srv-b", "office-bob", { "blueprints-pool": "office", "blueprints-employee": "bob" }),
    server("srv-x", "lab-alice", { "blueprints-pool": "lab", "blueprints-employee": "alice" }),
    server("srv-p", "office-portal", {}),
    server("srv-m", "office-mallory", { "blueprints-pool": "office", "blueprints-employee": "mallory" }),
  ];

  it("picks the pool's servers only, floating address first", () => {
    const found = poolDesktops(listed, "office");
    expect(found.map((d) => [d.employee, d.serverId])).to.deep.equal([
      ["alice", "srv-a"],
      ["bob", "srv-b"],
      ["mallory", "srv-m"],
    ]);
    expect(found[0].addresses).to.deep.equal(["192.168.8.5", "10.0.0.5"]);
    expect(found[0].hostname).to.equal("office-alice");
  });

  it("fills the configured employees; a server of an unknown employee is not served; two servers for one: none", () => {
    const config = parsePortalConfig({
      cloud: "office",
      discover: { pool: "office" },
      desktops: {
        alice: { passwordHash: sha512Crypt("AlicePassw0rd12", { salt: "0123456789abcdef" }) },
        bob: { passwordHash: sha512Crypt("BobPassw0rd1234", { salt: "0123456789abcdef" }) },
        carol: { passwordHash: sha512Crypt("CarolPassw0rd12", { salt: "0123456789abcdef" }) },
      },
    });
    expect(config.discover).to.deep.equal({ pool: "office", refreshSeconds: 60 });
    const twice: DiscoveredDesktop = { employee: "bob", serverId: "srv-b2", hostname: "x", addresses: [] };
    const result = applyDiscovery(config.desktops, [...poolDesktops(listed, "office"), twice]);
    const by = Object.fromEntries(config.desktops.map((d) => [d.employee, d]));
    expect(by.alice.serverId).to.equal("srv-a");
    expect(by.alice.address).to.equal("192.168.8.5");
    expect(by.bob.serverId, "two servers claim bob").to.equal("");
    expect(by.carol.serverId).to.equal("");
    expect(result).to.deep.equal({ unknownEmployees: ["mallory"], duplicated: ["bob"] });
  });

  it("without discover, each desktop still needs its serverId (named, with the fix)", () => {
    expect(() =>
      parsePortalConfig({
        cloud: "office",
        desktops: { alice: { passwordHash: sha512Crypt("AlicePassw0rd12", { salt: "0123456789abcdef" }) } },
      }),
    )
      .to.throw(PortalConfigError)
      .with.property("message")
      .that.matches(/desktops\.alice\.serverId \(missing\): is required without discover.*discover: \{ pool/);
  });

  it("the portal lists at start and again only after refreshSeconds; acts on the discovered server", async () => {
    let now = 1_000_000;
    const calls: string[] = [];
    const states = new Map([["srv-a", "ACTIVE"]]);
    const cloud: DesktopCloud = {
      async state(id) {
        return { status: states.get(id) ?? "MISSING", taskState: null, addresses: [] };
      },
      async act(id: string, action: DesktopAction) {
        calls.push(`${action} ${id}`);
      },
      async discover(pool) {
        calls.push(`list ${pool}`);
        return poolDesktops(listed, pool);
      },
      close() {},
    };
    const config = parsePortalConfig({
      cloud: "office",
      discover: { pool: "office", refreshSeconds: 30 },
      desktops: { alice: { passwordHash: sha512Crypt("AlicePassw0rd12", { salt: "0123456789abcdef" }) } },
    });
    const app = await buildPortal(config, cloud, { now: () => now });
    try {
      expect(calls).to.deep.equal(["list office"]);
      expect(config.desktops[0].serverId).to.equal("srv-a");
      await app.refreshDesktops();
      expect(calls, "within refreshSeconds: no second listing").to.deep.equal(["list office"]);
      now += 31_000;
      await app.refreshDesktops();
      expect(calls).to.deep.equal(["list office", "list office"]);
    } finally {
      await app.close();
    }
  });
});
