import { expect } from "chai";
import { ComponentArgsError } from "../../src/errors";
import { planSelfServicePortal, portalAccessRules } from "../../src/portal/self-service-portal-plan";
import type { SelfServicePortalArgs } from "../../src/portal/self-service-portal-args";
import { ADMIN_KEY, officePortalArgs } from "./fixtures";

function problemsOf(args: SelfServicePortalArgs): { field: string; value?: unknown; problem: string }[] {
  try {
    planSelfServicePortal("office-portal", args);
  } catch (e) {
    expect(e).to.be.instanceOf(ComponentArgsError);
    return (e as ComponentArgsError).problems;
  }
  throw new Error("expected the plan to refuse the args");
}

describe("SelfServicePortal plan", () => {
  it("names every child from the component's name and opens only HTTPS from the office's blocks", () => {
    const plan = planSelfServicePortal("office-portal", officePortalArgs());
    expect(plan.names).to.deep.equal({
      security: "office-portal-security",
      credentialSecret: "office-portal-credential-secret",
      sessionSecret: "office-portal-session-secret",
      credential: "office-portal-credential",
      port: "office-portal-port",
      server: "office-portal-server",
      floatingIp: "office-portal-fip",
    });
    expect(plan.securityRules.map((r) => [r.protocol, r.port, r.remoteCidr])).to.deep.equal([
      ["tcp", 443, "192.168.50.0/24"],
      ["tcp", 443, "192.168.99.0/28"],
    ]);
    expect(plan.ssh).to.equal(false);
  });

  it("opens SSH only from the given admin blocks, and only with a key", () => {
    const plan = planSelfServicePortal(
      "office-portal",
      officePortalArgs({ sshCidrs: ["192.168.99.0/28"], adminPublicKey: ADMIN_KEY }),
    );
    expect(plan.securityRules.filter((r) => r.port === 22).map((r) => r.remoteCidr)).to.deep.equal(["192.168.99.0/28"]);
    expect(problemsOf(officePortalArgs({ sshCidrs: ["192.168.99.0/28"] })).map((p) => p.field)).to.deep.equal([
      "adminPublicKey",
    ]);
  });

  it("refuses 0.0.0.0/0 for HTTPS unless allowFromAnywhere, and for SSH always", () => {
    const problems = problemsOf(
      officePortalArgs({
        thinClientCidr: "0.0.0.0/0",
        adminCidrs: ["192.168.99.0/28", "0.0.0.0/0"],
        sshCidrs: ["0.0.0.0/0"],
        adminPublicKey: ADMIN_KEY,
      }),
    );
    expect(problems.map((p) => [p.field, p.value])).to.deep.equal([
      ["thinClientCidr", "0.0.0.0/0"],
      ["adminCidrs[1]", "0.0.0.0/0"],
      ["sshCidrs[0]", "0.0.0.0/0"],
    ]);
    expect(problems[0].problem).to.match(/allowFromAnywhere: true/);
    const open = planSelfServicePortal(
      "office-portal",
      officePortalArgs({ thinClientCidr: "0.0.0.0/0", allowFromAnywhere: true }),
    );
    expect(open.securityRules.map((r) => r.remoteCidr)).to.include("0.0.0.0/0");
    expect(
      problemsOf(officePortalArgs({ allowFromAnywhere: true, sshCidrs: ["0.0.0.0/0"], adminPublicKey: ADMIN_KEY })).map(
        (p) => p.field,
      ),
    ).to.deep.equal(["sshCidrs[0]"]);
  });

  it("reports every bad field at once, naming field, value and fix", () => {
    const args = officePortalArgs({
      thinClientCidr: "192.168.50.1/24",
      adminCidrs: [],
      flavor: "",
      authUrl: "keystone:5000",
      portalPackage: "portal; rm -rf /",
      tls: undefined as never,
      desktops: {
        alice: { serverId: "srv-1", passwordHash: "x" },
        Bob: { serverId: "srv-1", passwordHash: "y" },
        "office-admin": { serverId: "srv-3", passwordHash: "z" },
      },
    });
    const problems = problemsOf(args);
    const fields = problems.map((p) => p.field);
    expect(fields).to.include.members([
      "thinClientCidr",
      "adminCidrs",
      "flavor",
      "authUrl",
      "portalPackage",
      "tls",
      "desktops.Bob",
      "desktops.Bob.serverId",
      "admins.office-admin",
    ]);
    let error: Error | undefined;
    try {
      planSelfServicePortal("office-portal", args);
    } catch (e) {
      error = e as Error;
    }
    expect(error).to.be.instanceOf(ComponentArgsError);
    expect(error!.message).to.contain('thinClientCidr: "192.168.50.1/24" has host bits');
    expect(error!.message).to.contain("tls: (not set) is required: give { certificate, privateKey }");
    expect(error!.message).to.contain("admin a name of their own");
  });

  it("does not accept an empty office", () => {
    expect(problemsOf(officePortalArgs({ desktops: {} })).map((p) => p.field)).to.deep.equal(["desktops"]);
  });

  it("allows the credential only GET on each desktop and POST on its action, nothing else", () => {
    expect(portalAccessRules(["srv-bob", "srv-alice", "srv-bob"])).to.deep.equal([
      { service: "compute", method: "GET", path: "/v2.1/servers/srv-alice" },
      { service: "compute", method: "POST", path: "/v2.1/servers/srv-alice/action" },
      { service: "compute", method: "GET", path: "/v2.1/servers/srv-bob" },
      { service: "compute", method: "POST", path: "/v2.1/servers/srv-bob/action" },
    ]);
    expect(portalAccessRules(["s1"], "/compute/v2.1").map((r) => r.path)).to.deep.equal([
      "/compute/v2.1/servers/s1",
      "/compute/v2.1/servers/s1/action",
    ]);
  });
});
