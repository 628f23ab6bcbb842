import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sessionReportTokenHash, sha512Crypt } from "@openstack-blueprints/components/thin-client";
import { loadPortalConfigFile, parsePortalConfig, PortalConfigError } from "../src/config";
import { desktopsFromStackOutputs } from "../src/stack-outputs";

const HASH_A = sha512Crypt("alice-password-1", { salt: "saltsaltsaltsalt" });
const HASH_ROOT = sha512Crypt("root-password-12", { salt: "rootsaltrootsalt" });

/** The problems of a config that must not parse. */
function problemsOf(raw: unknown): string {
  try {
    parsePortalConfig(raw, "portal.yaml");
  } catch (e) {
    expect(e).to.be.instanceOf(PortalConfigError);
    return (e as Error).message;
  }
  throw new Error("the config parsed");
}

describe("portal config (a small firm's office: two employees and an admin)", () => {
  const good = {
    cloud: "office",
    desktops: {
      alice: { serverId: "srv-a", passwordHash: HASH_A, address: "10.0.0.11", hostname: "office-alice" },
      bob: { serverId: "srv-b", passwordHash: HASH_A, address: "10.0.0.12" },
    },
    admins: { root: { passwordHash: HASH_ROOT } },
  };

  it("fills in secure defaults: 127.0.0.1, Secure cookies, five failures lock a name for 15 minutes", () => {
    const c = parsePortalConfig(good);
    expect(c.listen).to.deep.equal({ host: "127.0.0.1", port: 8443 });
    expect(c.insecureHttpCookies).to.equal(false);
    expect(c.signIn).to.deep.equal({ maxFailures: 5, lockoutMinutes: 15, attemptsPerMinutePerAddress: 10 });
    expect(c.desktops.map((d) => [d.employee, d.hostname, d.port])).to.deep.equal([
      ["alice", "office-alice", 3389],
      ["bob", "bob", 3389],
    ]);
    expect(c.admins).to.deep.equal([{ user: "root", passwordHash: HASH_ROOT }]);
  });

  it("reports every problem at once with field, value and fix, and never shows a hash or password", () => {
    const message = problemsOf({
      cloud: "office",
      listen: { port: 70000 },
      desktops: {
        alice: { serverId: "srv-a", passwordHash: "alice-clear-password" },
        Bob: { serverId: "srv-a", passwordHash: HASH_A },
      },
      admins: { alice: { passwordHash: HASH_ROOT } },
      colour: "blue",
    });
    expect(message).to.match(/^portal\.yaml: \d+ problems:/);
    expect(message).to.include("listen.port 70000:");
    expect(message).to.include("use a TCP port from 1 to 65535");
    expect(message).to.include('colour "blue": is not a portal setting; remove it or fix its spelling');
    // The entries the schema accepts are checked in the same pass.
    expect(message).to.include("desktops.alice.passwordHash (hidden, 20 characters): is not a password hash");
    expect(message).to.include('desktops.Bob.serverId "srv-a": is also the server of alice');
    expect(message).not.to.include("alice-clear-password");
    expect(message).not.to.include(HASH_A);
  });

  it("names semantic problems: a clear password as hash, a shared server, a bad user name, an admin who is an employee", () => {
    const message = problemsOf({
      cloud: "office",
      desktops: {
        alice: { serverId: "srv-a", passwordHash: "alice-clear-password" },
        Bob: { serverId: "srv-a", passwordHash: HASH_A },
      },
      admins: { alice: { passwordHash: HASH_ROOT } },
    });
    expect(message).to.include(
      "desktops.alice.passwordHash (hidden, 20 characters): is not a password hash; give the SHA-512 crypt hash ($6$…)",
    );
    expect(message).to.include('desktops.Bob "Bob": is not a Linux user name');
    expect(message).to.include('desktops.Bob.serverId "srv-a": is also the server of alice');
    expect(message).to.include(
      'admins.alice "alice": is also an employee with a desktop; give the admin a name of their own',
    );
    expect(message).not.to.include("alice-clear-password");
    expect(message.match(/^ {2}- /gm)).to.have.length(4);
  });

  it("checks an explicit cloud like clouds.yaml is checked, naming the missing field", () => {
    const message = problemsOf({ ...good, cloud: { authUrl: "http://127.0.0.1:5000/v3", username: "portal" } });
    expect(message).to.match(/cloud \{"authUrl":"http:\/\/127\.0\.0\.1:5000\/v3"\}: auth\.password is missing/);
    const ok = parsePortalConfig({
      ...good,
      cloud: { authUrl: "http://127.0.0.1:5000/v3", username: "portal", password: "x", projectName: "office" },
    });
    expect(typeof ok.cloud === "object" && ok.cloud.auth.username).to.equal("portal");
  });

  it("reads YAML files and names a missing file with the fix", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-config-"));
    try {
      const file = path.join(dir, "portal.yaml");
      fs.writeFileSync(
        file,
        `cloud: office\ninsecureHttpCookies: true\ndesktops:\n  alice:\n    serverId: srv-a\n    passwordHash: '${HASH_A}'\n`,
      );
      expect(loadPortalConfigFile(file).insecureHttpCookies).to.equal(true);
      expect(() => loadPortalConfigFile(path.join(dir, "nope.yaml"))).to.throw(
        /\(file\) ".*nope\.yaml": cannot be read \(ENOENT\); give the path of the portal's YAML or JSON config/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the report tokens' hashes from a stack's outputs (AutoStop), never the tokens", () => {
    const token = "ReportTokenOfAliceNotReal0123456789abcdefABCDEF01";
    const desktops = desktopsFromStackOutputs({
      "desktops.desktops": { alice: { serverId: "srv-a" }, bob: { serverId: "srv-b" } },
      "desktops.passwordHashes": { alice: HASH_A, bob: HASH_A },
      "desktops.reportTokens": { alice: token },
    });
    expect(desktops.alice.reportTokenHash).to.equal(sessionReportTokenHash(token));
    expect(desktops.bob.reportTokenHash).to.equal(undefined);
    expect(JSON.stringify(desktops)).not.to.contain(token);
    const config = parsePortalConfig({ cloud: "office", desktops });
    expect(config.desktops[0].reportTokenHash).to.match(/^sha256:[0-9a-f]{64}$/);
  });
});
