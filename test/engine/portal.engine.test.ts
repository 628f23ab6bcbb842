/**
 * The self-service portal through the real Pulumi engine on minicloud (project minicloud-a): a
 * pool of one desktop and the portal next to it (programs/portal), both servers on minicloud's
 * fake compute host (no zone: Nova makes them ACTIVE, nothing boots; the portal's own guest is
 * tested in packages/portal). What only the real engine shows:
 *  - the portal's two generated secrets (GeneratedSecret, our dynamic provider: no
 *    pulumi-resource-random, which cannot be built here) are made in the engine's provider
 *    process, kept encrypted in the state, and appear in no plain output, state or log;
 *  - Keystone really holds an application credential with that secret: a session authenticated
 *    with the credential's ID and the generated secret is accepted by the real Keystone;
 *  - the portal's own discovery (NovaDesktopCloud.discover, poolName) lists the pool's desktop
 *    through the real Nova API with that credential and its access rules, and reads its state;
 *    Nova holds the portal's user data gzipped under one base64 (what cloud-init unpacks). Nova
 *    checks access rules only with `service_type = compute` in its [keystone_authtoken] (else
 *    401 for every call of the credential): minicloud's nova.conf sets it;
 *  - a second `up` changes nothing (the secrets are kept, so the credential and the server are too);
 *  - `destroy` leaves nothing in Neutron, Nova or Keystone.
 * API-only (fake host): run under the shared lock, `flock -s /tmp/minicloud.lock`.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { NovaDesktopCloud } from "@openstack-blueprints/portal";
import { endpoint } from "../../packages/minicloud/src/layout";
import { NOVA_MICROVERSION, request } from "../../packages/minicloud/src/rest";
import { session } from "../../packages/minicloud/test/cloud-access";
import { leftovers } from "./cloud-checks";
import { useMinicloudStack } from "./minicloud-stack";
import { changes, CloudResource, urnName } from "./pulumi-engine";

const CLOUD = "minicloud-a";
const GENERATED_SECRET = "pulumi-nodejs:dynamic/generated-secret:GeneratedSecret";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** A throwaway self-signed certificate for the portal (the server never boots on the fake host). */
function selfSignedCertificate(): { certificate: string; privateKey: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-tls-"));
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"].concat([
        "-subj",
        "/CN=10.231.61.5",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ]),
      { stdio: "ignore" },
    );
    return {
      certificate: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"),
      privateKey: fs.readFileSync(path.join(dir, "key.pem"), "utf8"),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("real engine: the self-service portal's generated secrets on minicloud", function () {
  this.timeout(10 * 60_000);
  const tls = selfSignedCertificate();
  const t = useMinicloudStack({
    cloud: CLOUD,
    images: ["debian-12"],
    stack: () => ({
      programDir: path.join(__dirname, "programs/portal"),
      runName: "portal-secrets",
      config: { "engine-test-portal:authUrl": endpoint("keystone") },
    }),
  });
  let made: CloudResource[] = [];

  it("up: the secrets are made once, secret in the state and absent from plain output; Keystone accepts the generated one", async () => {
    // PEM on stdin (an argument starting with "-----" is taken for a flag; a key never goes in argv).
    await t.stack.ok(["config", "set", "engine-test-portal:certificate"], tls.certificate);
    await t.stack.ok(["config", "set", "--secret", "engine-test-portal:privateKey"], tls.privateKey);
    const t0 = Date.now();
    const up = await t.stack.up();
    console.log(`    pulumi up: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The state: both GeneratedSecrets, their value encrypted (a secret), never in plain text.
    const state = await t.stack.exportState();
    const secrets = (state.deployment.resources ?? []).filter((r) => r.type === GENERATED_SECRET);
    expect(secrets.map((r) => urnName(r.urn))).to.have.members([
      "office-portal-credential-secret",
      "office-portal-session-secret",
    ]);
    for (const r of secrets) {
      const value = r.outputs?.value as Record<string, unknown> | undefined;
      expect(value?.[SIG_KEY], `${urnName(r.urn)}.value is a secret in the state`).to.equal(SECRET_SIG);
      expect(value).to.have.property("ciphertext");
    }
    const shown = JSON.parse((await t.stack.ok(["stack", "export", "--show-secrets"])).stdout) as typeof state;
    // With --show-secrets a secret stays wrapped, its value as JSON text in `plaintext`.
    const plain = (name: string) => {
      const wrapped = shown.deployment.resources!.find((r) => urnName(r.urn) === name)!.outputs!.value as {
        plaintext: string;
      };
      return JSON.parse(wrapped.plaintext) as string;
    };
    const credentialSecret = plain("office-portal-credential-secret");
    const sessionSecret = plain("office-portal-session-secret");
    for (const value of [credentialSecret, sessionSecret]) expect(value).to.match(/^[A-Za-z0-9]{48}$/);
    expect(credentialSecret).to.not.equal(sessionSecret);
    const plainTexts = {
      "stack export": JSON.stringify(state),
      "stack output": await t.stack.plainOutputs(),
      // Without Pulumi's debug-severity events: the Node.js SDK's own debug log of each
      // RegisterResource response carries its outputs, secrets included, and the engine streams
      // it (shown with --debug; found by this test; not ours to fix, said in docs/engine.md).
      "up's output (debug events left out)": (up.stdout + up.stderr)
        .split("\n")
        .filter((line) => !line.includes('"severity":"debug"'))
        .join("\n"),
    };
    const secretValues = {
      "the credential secret": credentialSecret,
      "the session secret": sessionSecret,
      "the TLS key": tls.privateKey.split("\n")[1]!,
    };
    for (const [where, text] of Object.entries(plainTexts))
      for (const [what, value] of Object.entries(secretValues)) {
        const at = text.indexOf(value);
        // Where it leaked, with the value itself masked.
        const context = at < 0 ? "" : text.slice(Math.max(0, at - 300), at + value.length + 100).replace(value, "***");
        expect(at, `${what} in ${where}: …${context}…`).to.equal(-1);
      }

    // Keystone holds the application credential with exactly the generated secret.
    const outputs = await t.stack.outputs();
    const appCredential = new OpenStackClient({
      name: "portal-application-credential",
      interface: "public",
      auth: {
        authUrl: endpoint("keystone"),
        authType: "v3applicationcredential",
        applicationCredentialId: String(outputs.applicationCredentialId),
        applicationCredentialSecret: credentialSecret,
      },
    });
    const desktopIds = outputs.desktopServerIds as string[];
    try {
      await appCredential.connect();
      expect(appCredential.session.tokenInfo?.projectId).to.equal(t.client.session.projectId);
      // The portal's discovery, as the deployed portal runs it: its code, this credential, real Nova.
      const cloud = new NovaDesktopCloud(appCredential);
      const found = await cloud.discover("office");
      expect(found.map((d) => [d.employee, d.serverId, d.hostname])).to.deep.equal([
        ["alice", desktopIds[0], "office-alice"],
      ]);
      expect(found[0].addresses[0]).to.match(/^10\.231\.61\.\d+$/);
      expect(await cloud.discover("another-pool")).to.deep.equal([]);
      expect((await cloud.state(desktopIds[0])).status).to.equal("ACTIVE");
    } finally {
      appCredential.close();
    }
    // Nova got the user data as the provider passed it: one base64 of the gzipped #cloud-config.
    const admin = await session("minicloud-admin");
    const portalServer = (
      await request(admin, "GET", `${endpoint("nova")}/servers/${String(outputs.serverId)}`, {
        headers: NOVA_MICROVERSION,
      })
    ).body.server as Record<string, string>;
    const cloudConfig = gunzipSync(Buffer.from(portalServer["OS-EXT-SRV-ATTR:user_data"], "base64")).toString();
    expect(cloudConfig).to.match(/^#cloud-config\n/);
    expect(cloudConfig).to.contain('"discover": {');
    // The servers are ACTIVE on the fake host.
    for (const id of [String(outputs.serverId), ...(outputs.desktopServerIds as string[])])
      expect((await t.client.nova.findServer(id))?.status).to.equal("ACTIVE");
    made = await t.stack.cloudResources();
    expect(made.map((r) => r.type)).to.include("openstack:identity/applicationCredential:ApplicationCredential");
  });

  it("a second up changes nothing: the secrets, the credential and the servers are kept", async () => {
    const again = await t.stack.up();
    expect(changes(again.summary), JSON.stringify(again.summary)).to.deep.equal({});
  });

  it("destroy leaves nothing in Neutron, Nova or Keystone", async () => {
    const destroyed = await t.stack.destroy();
    expect(destroyed.summary.delete).to.be.greaterThan(10);
    expect(await leftovers(t.client, made), "left in the cloud after destroy").to.deep.equal([]);
  });
});
