// The consumer test kit (@openstack-blueprints/components/testing) answers what the components
// need: a small firm's office network with two desktops gets addresses from its own subnet, and
// the desktop credential is made by its real provider (a password and its crypt hash).
import { expect } from "chai";
import { installMocks } from "@openstack-blueprints/test-harness";
import { OPENSTACK, outputOf, setBlueprintsMocks, BlueprintsMocks } from "../../src/testing";

describe("consumer test kit (components/testing)", function () {
  this.timeout(60_000);
  let cloud: BlueprintsMocks;

  before(async () => {
    cloud = await setBlueprintsMocks({ project: "office", stack: "test" });
  });

  // Pulumi's mocks are one per process and the whole suite runs in one mocha process: give the
  // project's own harness back to the test files after this one.
  after(() => {
    installMocks();
  });

  it("gives ports and servers fixed IPs from the subnet's CIDR, and runs the credential's own provider", async () => {
    // Loaded after setMocks, as a consumer's program is.
    const { PrivateNetwork, ThinClientDesktopPool } = await import("../../src");
    const office = new PrivateNetwork("office", { cidr: "10.20.0.0/24", externalNetworkName: "public" });
    const pool = new ThinClientDesktopPool(
      "desktops",
      {
        employees: [
          { name: "alice", fullName: "Alice Example" },
          { name: "bob", fullName: "Bob Example" },
        ],
        flavor: "m1.desktop",
        imageName: "debian-12",
        networkId: office.networkId,
        subnetId: office.subnetId,
        thinClientCidr: "192.168.50.0/24",
      },
      { dependsOn: [office] },
    );

    const desktops = await outputOf(pool.desktops);
    expect(Object.keys(desktops).sort()).to.deep.equal(["alice", "bob"]);
    for (const d of Object.values(desktops)) expect(d.fixedIp).to.match(/^10\.20\.0\.\d+$/);
    expect(new Set(Object.values(desktops).map((d) => d.fixedIp)).size, "distinct addresses").to.equal(2);
    expect(cloud.byType(OPENSTACK.instance)).to.have.length(2);

    const passwords = await outputOf(pool.passwords);
    expect(passwords.alice).to.match(/^[A-Za-z0-9]{12,}$/);
    const credential = cloud.byType(OPENSTACK.desktopCredential)[0];
    expect(credential.state.passwordHash).to.match(/^\$6\$/);
  });

  it("names what was declared when a resource is not found", () => {
    expect(() => cloud.byName("printer")).to.throw(/no resource named "printer".*declared: .*office/);
  });
});
