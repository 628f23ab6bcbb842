import { expect } from "chai";
import { gunzipSync } from "node:zlib";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { allStrings, installMocks, outputIsSecret, outputValue, T } from "@openstack-blueprints/test-harness";
import { parseCloudConfig, CloudConfigWriteFile } from "../../src/cloudinit/cloud-config";
import { ComponentArgsError } from "../../src/errors";
import { ThinClientDesktopPool } from "../../src/desktop/thin-client-desktop-pool";
import { portalDesktopsFromPool, SelfServicePortal } from "../../src/portal/self-service-portal";
import { PORTAL_CONFIG_PATH, PORTAL_KEY_PATH } from "../../src/portal/self-service-portal-plan";
import { ADMIN_HASH, CERT, KEY, officePortalArgs } from "./fixtures";

const harness = installMocks();
const PORTAL = "openstack-blueprints:index:SelfServicePortal";
const APP_CREDENTIAL = "openstack:identity/applicationCredential:ApplicationCredential";

/** The server's user data as cloud-init reads it (the component gzips and base64-encodes it). */
const cloudConfigOf = (userData: string) => parseCloudConfig(gunzipSync(Buffer.from(userData, "base64")).toString());

/** A small firm's office: two desktops for thin clients, and the portal next to them. */
function office(portalOverrides: Partial<Parameters<typeof officePortalArgs>[0]> = {}) {
  const pool = new ThinClientDesktopPool("office", {
    employees: [{ name: "alice" }, { name: "bob" }],
    flavor: "m1.desktop",
    imageName: "ubuntu-24.04",
    networkCidr: "10.201.10.0/24",
    externalNetworkName: "public",
    dnsNameservers: ["9.9.9.9"],
    thinClientCidr: "192.168.50.0/24",
  });
  const portal = new SelfServicePortal(
    "office-portal",
    officePortalArgs({
      networkId: pool.networkId,
      desktops: portalDesktopsFromPool(pool),
      admins: { "office-admin": pulumi.secret(ADMIN_HASH) },
      tls: { certificate: CERT, privateKey: pulumi.secret(KEY) },
      floatingIpPool: "public",
      ...portalOverrides,
    }),
    { dependsOn: [pool] },
  );
  return { pool, portal };
}

describe("SelfServicePortal (under the mock harness)", function () {
  // The pool's credentials hash their passwords (5000 SHA-512 rounds each); this machine is shared.
  this.timeout(120000);

  it("declares its children under the portal, named from it, and gives url, serverId and securityGroupId", async () => {
    const run = await harness.runProgram(office);
    expect(run.thrown).to.equal(undefined);
    expect(run.errors).to.deep.equal([]);
    const portal = run.byName("office-portal");
    expect(portal.type).to.equal(PORTAL);
    expect(run.childrenOf(portal.urn).map((c) => `${c.type} ${c.name}`)).to.have.members([
      "openstack-blueprints:index:SecurityProfile office-portal-security",
      `${T.generatedSecret} office-portal-credential-secret`,
      `${T.generatedSecret} office-portal-session-secret`,
      `${APP_CREDENTIAL} office-portal-credential`,
      `${T.port} office-portal-port`,
      `${T.instance} office-portal-server`,
      `${T.floatingIp} office-portal-fip`,
    ]);
    const security = run.byName("office-portal-security");
    expect(run.childrenOf(security.urn).map((c) => c.name)).to.include("office-portal-security-group");
    const group = run.byName("office-portal-security-group");
    const port = run.byName("office-portal-port");
    expect(port.inputs.networkId).to.equal(run.byName("office-network-network").id);
    expect(port.inputs.securityGroupIds).to.deep.equal([group.id]);
    const server = run.byName("office-portal-server");
    expect(server.inputs).to.deep.include({
      flavorName: "m1.small",
      imageName: "debian-12",
      name: "office-portal-portal",
    });
    expect(server.inputs.networks).to.deep.equal([{ port: port.id }]);

    const fip = run.byName("office-portal-fip");
    expect(fip.inputs.portId).to.equal(port.id);
    expect(run.dependsOnTransitively(fip.urn)).to.include(run.byName("office-network-router-interface").urn);

    const value = run.value!.portal;
    expect(await outputValue(value.url)).to.equal(`https://${run.byName("office-portal-fip").state.address}/`);
    expect(await outputValue(value.serverId)).to.equal(server.id);
    expect(await outputValue(value.securityGroupId)).to.equal(group.id);
  });

  it("opens HTTPS only from the thin clients and the admins, and no SSH", async () => {
    const run = await harness.runProgram(office);
    const group = run.byName("office-portal-security-group");
    const ingress = run
      .byType(T.secGroupRule)
      .filter((r) => r.inputs.securityGroupId === group.id && r.inputs.direction === "ingress")
      .map((r) => [r.inputs.protocol, r.inputs.portRangeMin, r.inputs.portRangeMax, r.inputs.remoteIpPrefix]);
    expect(ingress).to.have.deep.members([
      ["tcp", 443, 443, "192.168.50.0/24"],
      ["tcp", 443, 443, "192.168.99.0/28"],
    ]);
  });

  it("makes an application credential allowed only the portal's calls on the pool's own servers", async () => {
    const run = await harness.runProgram(office);
    const credential = run.byName("office-portal-credential");
    expect(credential.inputs.unrestricted).to.equal(false);
    const ids = ["office-alice-desktop", "office-bob-desktop"].map((n) => run.byName(n).id).sort();
    expect(credential.inputs.accessRules).to.deep.equal(
      ids.flatMap((id) => [
        { service: "compute", method: "GET", path: `/v2.1/servers/${id}` },
        { service: "compute", method: "POST", path: `/v2.1/servers/${id}/action` },
      ]),
    );
  });

  it("passes the credential's secret, the key and the hashes only as Pulumi secrets", async () => {
    const run = await harness.runProgram(office);
    const credential = run.byName("office-portal-credential");
    expect(credential.secretPaths).to.include("secret");
    const server = run.byName("office-portal-server");
    expect(server.secretPaths).to.include("userData");
    const doc = cloudConfigOf(server.inputs.userData);
    const file = (p: string) => (doc.write_files as CloudConfigWriteFile[]).find((f) => f.path === p)!;
    const config = JSON.parse(file(PORTAL_CONFIG_PATH).content);
    expect(config.cloud.applicationCredentialId).to.equal(credential.id);
    expect(config.cloud.applicationCredentialSecret).to.equal(credential.inputs.secret);
    const hashes = await outputValue(run.value!.pool.passwordHashes);
    expect(config.desktops.alice.passwordHash).to.equal(hashes.alice);
    expect(config.desktops.bob.serverId).to.equal(run.byName("office-bob-desktop").id);
    expect(file(PORTAL_KEY_PATH).content).to.equal(KEY);
    // Nowhere else: no other resource's input carries the secret, the key or a hash.
    const elsewhere = run.resources
      .filter(
        (r) =>
          !["office-portal-server", "office-portal-credential", "office-portal-credential-secret"].includes(r.name),
      )
      .flatMap((r) => allStrings(r.inputs));
    for (const secret of [credential.inputs.secret, KEY, hashes.alice]) expect(elsewhere).not.to.include(secret);
    expect(await outputIsSecret(portalDesktopsFromPool(run.value!.pool))).to.equal(true);
  });

  it("with poolName: the user data carries only the hashes, the credential may list servers (discovery)", async () => {
    const run = await harness.runProgram(() => office({ poolName: "office" }));
    const doc = cloudConfigOf(run.byName("office-portal-server").inputs.userData);
    const config = JSON.parse(
      (doc.write_files as CloudConfigWriteFile[]).find((f) => f.path === PORTAL_CONFIG_PATH)!.content,
    );
    const hashes = await outputValue(run.value!.pool.passwordHashes);
    expect(config.discover).to.deep.equal({ pool: "office" });
    expect(config.desktops).to.deep.equal({
      alice: { passwordHash: hashes.alice },
      bob: { passwordHash: hashes.bob },
    });
    // The pool's servers carry the metadata the portal finds them by.
    expect(run.byName("office-alice-desktop").inputs.metadata).to.deep.equal({
      "blueprints-pool": "office",
      "blueprints-employee": "alice",
    });
    const rules = run.byName("office-portal-credential").inputs.accessRules as { method: string; path: string }[];
    expect(rules[0]).to.deep.equal({ service: "compute", method: "GET", path: "/v2.1/servers/detail" });
    expect(rules).to.have.length(5);
  });

  it("refuses bad input before any resource is registered", async () => {
    const run = await harness.runProgram(
      () => new SelfServicePortal("office-portal", officePortalArgs({ adminCidrs: ["0.0.0.0/0"] })),
    );
    expect(run.thrown).to.be.instanceOf(ComponentArgsError);
    expect(run.thrown!.message).to.contain("adminCidrs[0]");
    expect(run.resources).to.deep.equal([]);
  });

  it("fixedIp: the portal's port takes that address on subnetId (so the pool can name it beforehand); alone it is refused", async () => {
    const run = await harness.runProgram(() => {
      const network = new openstack.networking.Network("lan", {});
      const subnet = new openstack.networking.Subnet("lan-subnet", { networkId: network.id, cidr: "192.168.50.0/24" });
      return new SelfServicePortal(
        "p",
        officePortalArgs({ networkId: network.id, subnetId: subnet.id, fixedIp: "192.168.50.5" }),
      );
    });
    expect(run.errors).to.deep.equal([]);
    expect(run.byName("p-port").inputs.fixedIps).to.deep.equal([
      { subnetId: run.byName("lan-subnet").id, ipAddress: "192.168.50.5" },
    ]);
    const refused = await harness.runProgram(
      () => new SelfServicePortal("p", officePortalArgs({ fixedIp: "192.168.50.5" })),
    );
    expect(refused.thrown).to.be.instanceOf(ComponentArgsError);
    expect(refused.thrown!.message).to.contain("fixedIp").and.contain("needs subnetId");
    const bad = await harness.runProgram(
      () => new SelfServicePortal("p", officePortalArgs({ subnetId: "s", fixedIp: "192.168.50.500" })),
    );
    expect(bad.thrown!.message).to.contain("fixedIp");
  });

  it("reportSecurityGroupId: the desktops' group may reach HTTPS too (their session reports), nobody else more", async () => {
    const run = await harness.runProgram(() => {
      const pool = new ThinClientDesktopPool("office", {
        employees: [{ name: "alice" }],
        flavor: "m1.desktop",
        imageName: "ubuntu-24.04",
        networkCidr: "10.201.10.0/24",
        dnsNameservers: ["9.9.9.9"],
        thinClientCidr: "192.168.50.0/24",
        sessionReports: { portalUrl: "https://10.201.10.5/" },
      });
      return new SelfServicePortal(
        "office-portal",
        officePortalArgs({
          networkId: pool.networkId,
          desktops: portalDesktopsFromPool(pool),
          reportSecurityGroupId: pool.securityGroupId,
        }),
      );
    });
    expect(run.errors).to.deep.equal([]);
    const group = run.byName("office-portal-security-group");
    const ingress = run
      .byType(T.secGroupRule)
      .filter((r) => r.inputs.securityGroupId === group.id && r.inputs.direction === "ingress")
      .map((r) => [r.inputs.portRangeMin, r.inputs.remoteIpPrefix ?? r.inputs.remoteGroupId]);
    expect(ingress).to.have.deep.members([
      [443, "192.168.50.0/24"],
      [443, "192.168.99.0/28"],
      [443, run.byName("office-security-group").id],
    ]);
  });
});
