import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePortalConfig } from "@openstack-blueprints/portal";
import { assertValidCloudConfig, assertValidShellScript } from "@openstack-blueprints/test-harness";
import {
  NOVA_USER_DATA_MAX_BASE64,
  parseCloudConfig,
  CloudConfigUser,
  CloudConfigWriteFile,
} from "../../src/cloudinit/cloud-config";
import { sha512Crypt } from "../../src/desktop/sha512-crypt";
import { ComponentArgsError } from "../../src/errors";
import {
  PORTAL_ADMIN_USER,
  PORTAL_CERT_PATH,
  PORTAL_CONFIG_PATH,
  PORTAL_DIR,
  PORTAL_KEY_PATH,
  PORTAL_SERVICE_PATH,
  PORTAL_SETUP_SCRIPT_PATH,
  estimatePortalUserDataBytes,
  planSelfServicePortal,
  portalUserData,
  PortalUserDataInput,
  renderPortalUserData,
} from "../../src/portal/self-service-portal-plan";
import { ADMIN_HASH, ADMIN_KEY, ALICE_HASH, BOB_HASH, CERT, KEY, officePortalArgs } from "./fixtures";

/** AutoStop: the hash of alice's session report token (the pool's reportTokens, hashed). */
const ALICE_REPORT_TOKEN_HASH = `sha256:${"ab".repeat(32)}`;

function input(overrides: Partial<PortalUserDataInput> = {}): PortalUserDataInput {
  return {
    hostname: "office-portal",
    portalPackage: "@openstack-blueprints/portal@0.1.0",
    authUrl: "https://keystone.office.example:5000/v3",
    regionName: "RegionOne",
    applicationCredentialId: "appcred-1234",
    applicationCredentialSecret: "credential-secret-not-real-0123456789abcdef",
    sessionSecret: "session-secret-not-real-0123456789abcdefghij",
    certificate: CERT,
    privateKey: KEY,
    desktops: {
      bob: { serverId: "srv-bob", passwordHash: BOB_HASH, address: "192.168.50.22" },
      alice: {
        serverId: "srv-alice",
        passwordHash: ALICE_HASH,
        address: "192.168.50.21",
        hostname: "office-alice",
        reportTokenHash: ALICE_REPORT_TOKEN_HASH,
      },
    },
    admins: { "office-admin": ADMIN_HASH },
    autoStopIdleMinutes: 60,
    ...overrides,
  };
}

const fileAt = (doc: ReturnType<typeof parseCloudConfig>, p: string): CloudConfigWriteFile =>
  (doc.write_files ?? []).find((f) => f.path === p)!;

describe("SelfServicePortal user data", () => {
  it("is a cloud-config real cloud-init accepts: Node.js from Debian, the portal's package, its service", () => {
    const text = renderPortalUserData(input());
    assertValidCloudConfig(text, "portal user data");
    const doc = parseCloudConfig(text);
    expect(doc.packages).to.deep.equal(["nodejs", "npm", "ca-certificates"]);
    expect(doc.ssh_pwauth).to.equal(false);
    expect(doc.runcmd).to.deep.equal([[PORTAL_SETUP_SCRIPT_PATH]]);
    // Without an admin key there is no login user at all (and the image's default user is not made).
    expect((doc.users as CloudConfigUser[]).map((u) => [u.name, u.lock_passwd, u.system ?? false])).to.deep.equal([
      ["blueprints-portal", true, true],
    ]);
    const unit = fileAt(doc, PORTAL_SERVICE_PATH).content;
    expect(unit).to.contain("User=blueprints-portal");
    expect(unit).to.contain(`ExecStart=/usr/bin/node ${PORTAL_DIR}/run.js ${PORTAL_CONFIG_PATH}`);
    expect(unit).to.contain("AmbientCapabilities=CAP_NET_BIND_SERVICE");

    const withAdmin = renderPortalUserData(input({ adminPublicKey: ADMIN_KEY }));
    assertValidCloudConfig(withAdmin, "portal user data with an admin");
    const admin = (parseCloudConfig(withAdmin).users as CloudConfigUser[]).find((u) => u.name === PORTAL_ADMIN_USER)!;
    expect(admin.ssh_authorized_keys).to.deep.equal([ADMIN_KEY]);
    expect(admin.lock_passwd).to.equal(true);
  });

  it("keeps the secrets in files only the service user reads: config and key 0600", () => {
    const doc = parseCloudConfig(renderPortalUserData(input()));
    for (const p of [PORTAL_CONFIG_PATH, PORTAL_KEY_PATH]) {
      expect(fileAt(doc, p)).to.include({
        permissions: "0600",
        owner: "blueprints-portal:blueprints-portal",
        defer: true,
      });
    }
    expect(fileAt(doc, PORTAL_KEY_PATH).content).to.equal(KEY);
    expect(fileAt(doc, PORTAL_CERT_PATH).content).to.equal(CERT);
    // Nothing secret on a command line: the setup script and the unit only name files.
    const script = fileAt(doc, PORTAL_SETUP_SCRIPT_PATH).content;
    const unit = fileAt(doc, PORTAL_SERVICE_PATH).content;
    for (const text of [script, unit, JSON.stringify(doc.runcmd)])
      for (const secret of [
        "credential-secret-not-real",
        "session-secret-not-real",
        ALICE_HASH,
        "test-only-portal-key",
      ])
        expect(text).not.to.contain(secret);
  });

  it("writes a config the portal itself accepts, with the application credential and every desktop", () => {
    const doc = parseCloudConfig(renderPortalUserData(input()));
    const raw = JSON.parse(fileAt(doc, PORTAL_CONFIG_PATH).content);
    expect(raw.cloud).to.deep.equal({
      authUrl: "https://keystone.office.example:5000/v3",
      authType: "v3applicationcredential",
      applicationCredentialId: "appcred-1234",
      applicationCredentialSecret: "credential-secret-not-real-0123456789abcdef",
      regionName: "RegionOne",
    });
    expect(raw.listen).to.deep.equal({ host: "0.0.0.0", port: 443 });
    expect(raw.tls).to.deep.equal({ certFile: PORTAL_CERT_PATH, keyFile: PORTAL_KEY_PATH });
    // The portal checks that its certificate files exist: point them at copies here.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-config-"));
    try {
      fs.writeFileSync(path.join(dir, "portal.pem"), CERT);
      fs.writeFileSync(path.join(dir, "portal.key"), KEY);
      const config = parsePortalConfig({
        ...raw,
        tls: { certFile: path.join(dir, "portal.pem"), keyFile: path.join(dir, "portal.key") },
      });
      expect(config.desktops.map((d) => [d.employee, d.serverId, d.passwordHash, d.address])).to.deep.equal([
        ["alice", "srv-alice", ALICE_HASH, "192.168.50.21"],
        ["bob", "srv-bob", BOB_HASH, "192.168.50.22"],
      ]);
      expect(config.desktops.map((d) => d.reportTokenHash)).to.deep.equal([ALICE_REPORT_TOKEN_HASH, undefined]);
      expect(config.admins).to.deep.equal([{ user: "office-admin", passwordHash: ADMIN_HASH }]);
      expect(config.autoStop?.idleMinutes).to.equal(60);
      expect(config.insecureHttpCookies).to.equal(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("installs with a setup script that passes bash -n and shellcheck, and a launcher node can parse", () => {
    const doc = parseCloudConfig(
      renderPortalUserData(input({ portalPackage: "https://npm.office.example/portal-0.1.0.tgz" })),
    );
    const script = fileAt(doc, PORTAL_SETUP_SCRIPT_PATH);
    expect(script.permissions).to.equal("0755");
    assertValidShellScript(script.content, "portal setup script");
    expect(script.content).to.contain("package='https://npm.office.example/portal-0.1.0.tgz'");
    // A re-run installs again only when the package changed.
    expect(script.content).to.match(/if \[ "\$\(cat "\$dir\/.installed"/);
    const launcher = fileAt(doc, `${PORTAL_DIR}/run.js`).content;
    const check = spawnSync(process.execPath, ["--check", "-"], { input: launcher, encoding: "utf8" });
    expect(check.status, check.stderr).to.equal(0);
  });
});

describe("SelfServicePortal user data size (Nova's 65535-byte limit)", () => {
  const staff = (n: number) => Array.from({ length: n }, (_, i) => `staff${String(i + 1).padStart(3, "0")}`);
  // As the office stack deploys it: AutoStop (a report token hash each), two admins, SSH, an RSA
  // certificate and key (the estimate's defaults, larger than a P-256 pair).
  const office = (n: number, discover = true) =>
    estimatePortalUserDataBytes({
      employees: staff(n),
      poolName: discover ? "office" : undefined,
      reportTokens: true,
      withConnectionFiles: !discover,
      admins: ["it-desk", "it-lead"],
      adminPublicKey: ADMIN_KEY,
      autoStopIdleMinutes: 60,
    });

  it("the estimate is what the component renders: 200 real SHA-512 crypt hashes and report token hashes", function () {
    this.timeout(60_000);
    const desktops = Object.fromEntries(
      staff(200).map((e, i) => [
        e,
        {
          serverId: `00000000-0000-4000-a000-${String(i).padStart(12, "0")}`,
          passwordHash: sha512Crypt(`${e}-not-a-real-password`, { salt: randomBytes(12).toString("base64") }),
          reportTokenHash: `sha256:${createHash("sha256").update(randomBytes(32)).digest("hex")}`,
        },
      ]),
    );
    const real = portalUserData(
      input({
        desktops,
        poolName: "office",
        admins: { "it-desk": ADMIN_HASH, "it-lead": ADMIN_HASH },
        adminPublicKey: ADMIN_KEY,
      }),
    );
    const estimate = estimatePortalUserDataBytes({ employees: staff(200), poolName: "office", reportTokens: true });
    console.log(`    200 employees: rendered ${real.length} bytes, estimated ${estimate} (limit 65535)`);
    // The estimate's certificate and key stand-ins are larger than the fixtures': never under.
    expect(estimate).to.be.within(real.length, real.length + 6000);
    // What Nova gets decodes back to the #cloud-config cloud-init reads (gzip it unpacks itself).
    expect(gunzipSync(Buffer.from(real, "base64")).toString()).to.match(/^#cloud-config\n/);
  });

  it("200 employees (the office) fit with a third to spare; with each desktop's data (no poolName) barely", () => {
    const discovering = office(200);
    console.log(`    office, 200 employees: ${discovering} bytes with poolName, ${office(200, false)} without`);
    expect(discovering).to.be.below(NOVA_USER_DATA_MAX_BASE64 * 0.7);
    // Gzip alone brings every desktop's data under the limit, without the margin discovery leaves.
    expect(office(200, false)).to.be.above(NOVA_USER_DATA_MAX_BASE64 * 0.8);
  });

  it("1000 employees do not fit (the hashes alone are ~170 bytes each): refused at plan time, naming the limit", () => {
    const size = office(1000);
    console.log(`    1000 employees: ${size} bytes with poolName`);
    expect(size).to.be.above(NOVA_USER_DATA_MAX_BASE64);
    const desktops = Object.fromEntries(
      staff(1000).map((e, i) => [
        e,
        {
          serverId: `00000000-0000-4000-a000-${String(i).padStart(12, "0")}`,
          passwordHash: `$6$${randomBytes(12).toString("base64")}$${randomBytes(64).toString("base64").slice(0, 86)}`,
          reportTokenHash: `sha256:${randomBytes(32).toString("hex")}`,
        },
      ]),
    );
    expect(() => planSelfServicePortal("office-portal", officePortalArgs({ desktops, poolName: "office" })))
      .to.throw(ComponentArgsError)
      .with.property("message")
      .that.matches(/desktops: "1000 desktops" make the portal's user data \d+ bytes .*over Nova's 65535-byte/)
      .and.matches(/split the employees over two pools/);
  });

  it("the render refuses too (a pool's outputs are known only then), before the server is declared", () => {
    const desktops = Object.fromEntries(
      staff(600).map((e, i) => [
        e,
        {
          serverId: `00000000-0000-4000-a000-${String(i).padStart(12, "0")}`,
          passwordHash: `$6$${randomBytes(12).toString("base64")}$${randomBytes(64).toString("base64").slice(0, 86)}`,
          reportTokenHash: `sha256:${randomBytes(32).toString("hex")}`,
        },
      ]),
    );
    expect(() => portalUserData(input({ desktops, poolName: "office" }))).to.throw(
      /600 desktops is \d+ bytes \(gzipped, base64\), over Nova's 65535-byte user-data limit/,
    );
  });
});
