import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { ComponentArgsError } from "../../src/errors";
import { createHash } from "node:crypto";
import {
  allStrings,
  installMocks,
  outputIsSecret,
  outputValue,
  T,
  assertValidCloudConfig,
} from "@openstack-blueprints/test-harness";
import { parseCloudConfig, CloudConfigUser } from "../../src/cloudinit/cloud-config";
import { ThinClientDesktopPool, ThinClientDesktopPoolArgs } from "../../src/desktop/thin-client-desktop-pool";
import { PrivateNetwork } from "../../src/network/private-network";
import { portalDesktopsFromPool } from "../../src/portal/self-service-portal";
import { sha512Crypt } from "../../src/desktop/sha512-crypt";

const harness = installMocks();

function fipWaitsForInterface(run: Awaited<ReturnType<typeof harness.runProgram>>): boolean {
  return run.dependsOnTransitively(run.byName("office-alice-fip").urn).has(run.byName("lan-router-interface").urn);
}
const POOL = "ThinClientDesktopPool".replace(/^/, "openstack-blueprints:index:");
const ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDesktopPoolTestKeyNotRealAAAAAAAAAAAAAAAAAAAA admin@example";

function officeArgs(overrides: Partial<ThinClientDesktopPoolArgs> = {}): ThinClientDesktopPoolArgs {
  return {
    employees: [
      { name: "alice", fullName: "Alice Example" },
      { name: "bob", flavor: "m1.large", powerState: "shutoff" },
      { name: "carol", powerState: "shelved_offloaded" },
    ],
    flavor: "m1.desktop",
    imageName: "ubuntu-24.04",
    networkCidr: "10.201.10.0/24",
    externalNetworkName: "public",
    dnsNameservers: ["9.9.9.9"],
    floatingIpPool: "public",
    thinClientCidr: "192.168.50.0/24",
    adminCidr: "192.168.99.0/28",
    adminPublicKey: ADMIN_KEY,
    extraPackages: ["libreoffice"],
    ...overrides,
  };
}

describe("ThinClientDesktopPool (under the mock harness)", function () {
  // New credentials hash their password (5000 SHA-512 rounds, ~30 ms each); this machine is shared.
  this.timeout(120000);
  it("creates per-employee children named from pool and employee, all parented to the pool", async () => {
    const run = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    expect(run.thrown).to.equal(undefined);
    expect(run.errors).to.deep.equal([]);
    const pool = run.byName("office");
    expect(pool.type).to.equal(POOL);
    const children = run.childrenOf(pool.urn).map((c) => `${c.type} ${c.name}`);
    for (const e of ["alice", "bob", "carol"]) {
      expect(children).to.include.members([
        `${T.desktopCredential} office-${e}-credential`,
        `${T.xrdpCertificate} office-${e}-xrdp-tls`,
        `${T.port} office-${e}-port`,
        `${T.instance} office-${e}-desktop`,
        `${T.floatingIp} office-${e}-fip`,
      ]);
    }
    expect(children).to.include.members([
      `openstack-blueprints:index:PrivateNetwork office-network`,
      `openstack-blueprints:index:SecurityProfile office-security`,
    ]);
    expect(children).to.have.length(3 * 5 + 2);
    const alice = run.byName("office-alice-desktop");
    expect(alice.inputs).to.deep.include({
      name: "office-alice",
      flavorName: "m1.desktop",
      imageName: "ubuntu-24.04",
      powerState: "active",
    });
    expect(run.byName("office-bob-desktop").inputs).to.deep.include({ flavorName: "m1.large", powerState: "shutoff" });
    expect(run.byName("office-carol-desktop").inputs.powerState).to.equal("shelved_offloaded");
    // The server uses its port, the port carries the pool's security group.
    const port = run.byName("office-alice-port");
    expect(alice.inputs.networks).to.deep.equal([{ port: port.id }]);
    expect(port.inputs.securityGroupIds).to.deep.equal([run.byName("office-security-group").id]);
    // The floating IP is made on the desktop's port, and waits for the router interface (Neutron
    // refuses the association before it exists; the mock cloud too).
    const fip = run.byName("office-alice-fip");
    expect(fip.inputs).to.deep.include({ pool: "public", portId: port.id });
    expect(fip.state.fixedIp).to.equal(port.state.allFixedIps[0]);
    expect(run.dependsOnTransitively(fip.urn)).to.include(run.byName("office-network-router-interface").urn);
    // The desktop boots only once its network is routed (metadata, the internet); its port waits
    // for the network and subnet alone, so the ports are made while the router is.
    const routerInterface = run.byName("office-network-router-interface").urn;
    expect(run.dependsOnTransitively(alice.urn)).to.include(routerInterface);
    expect(run.dependsOnTransitively(port.urn)).to.include(run.byName("office-network-subnet").urn);
    expect(run.dependsOnTransitively(port.urn)).not.to.include(routerInterface);
    // The credential is the user's, with the pool's password length and no rotation yet.
    expect(run.byName("office-alice-credential").inputs).to.deep.include({ user: "alice", length: 20, rotation: "" });
  });

  it("opens RDP and ICMP only from the thin clients and SSH only from the admin block", async () => {
    const run = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    const rules = run.byType(T.secGroupRule).map((r) => r.inputs);
    const ingress = rules.filter((r) => r.direction === "ingress");
    expect(ingress.map((r) => [r.protocol, r.portRangeMin ?? null, r.remoteIpPrefix])).to.have.deep.members([
      ["tcp", 3389, "192.168.50.0/24"],
      ["icmp", null, "192.168.50.0/24"],
      ["tcp", 22, "192.168.99.0/28"],
    ]);
    expect(allStrings(rules)).not.to.include("0.0.0.0/0");

    const noSsh = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ adminCidr: undefined, adminPublicKey: undefined })),
    );
    expect(noSsh.byType(T.secGroupRule).map((r) => r.inputs.portRangeMin)).not.to.include(22);
    const doc = parseCloudConfig(noSsh.byName("office-alice-desktop").inputs.userData);
    expect((doc.users as CloudConfigUser[]).map((u) => u.name)).to.deep.equal(["alice"]);
  });

  it("delivers each password only as a SHA-512 hash: secrets marked secret, no plain password in any input", async () => {
    const run = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    const pool = run.value!;
    expect(await outputIsSecret(pool.passwords)).to.equal(true);
    const passwords = await outputValue(pool.passwords);
    expect(Object.keys(passwords)).to.deep.equal(["alice", "bob", "carol"]);
    expect(new Set(Object.values(passwords)).size).to.equal(3);
    // No input of any resource carries a password: the credentials make them, provider-side.
    const everyInput = run.resources.flatMap((r) => allStrings(r.inputs));
    for (const pw of Object.values(passwords)) {
      expect(pw).to.have.length(20).and.match(/[a-z]/).and.match(/[A-Z]/).and.match(/[0-9]/);
      expect(
        everyInput.some((s) => s.includes(pw)),
        "plain password in a resource input",
      ).to.equal(false);
    }
    const hashes = new Set<string>();
    for (const [employee, pw] of Object.entries(passwords)) {
      // The engine keeps the credential's password and hash encrypted (additionalSecretOutputs).
      const credential = run.byName(`office-${employee}-credential`);
      expect(credential.additionalSecretOutputs).to.include.members(["password", "passwordHash"]);
      expect(credential.state.password).to.equal(pw);
      const server = run.byName(`office-${employee}-desktop`);
      expect(server.secretPaths, `${employee}'s user data is secret`).to.include("userData");
      const userData = server.inputs.userData as string;
      assertValidCloudConfig(userData, `${employee} user data`);
      const doc = parseCloudConfig(userData);
      const user = (doc.users as CloudConfigUser[]).find((u) => u.name === employee)!;
      expect(user.lock_passwd).to.equal(false);
      // The hash verifies the password (crypt recomputed with the hash's own salt).
      const salt = user.hashed_passwd!.split("$")[2];
      expect(salt).to.have.length(16);
      expect(sha512Crypt(pw, { salt })).to.equal(user.hashed_passwd);
      expect(credential.state.passwordHash).to.equal(user.hashed_passwd);
      hashes.add(salt);
      expect(doc.ssh_pwauth).to.equal(false);
      expect(doc.chpasswd).to.deep.equal({ expire: false });
    }
    expect(hashes.size, "each hash has its own random salt").to.equal(3);
    expect(await outputIsSecret(pool.desktops)).to.equal(false);
    // The hashes the guests got, for the self-service portal's sign-in: secret too.
    expect(await outputIsSecret(pool.passwordHashes)).to.equal(true);
    const exported = await outputValue(pool.passwordHashes);
    for (const [employee, pw] of Object.entries(passwords)) {
      expect(exported[employee]).to.equal(run.byName(`office-${employee}-credential`).state.passwordHash);
      expect(sha512Crypt(pw, { salt: exported[employee].split("$")[2] })).to.equal(exported[employee]);
    }
  });

  it("is stable: the same program gives the same user data, and adding an employee changes nothing of the others", async () => {
    const first = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    // The mock cloud numbers its IDs in creation order ("port-office-alice-port-17"); a real cloud keeps
    // them in state. Compare inputs with that counter masked; everything else (user data included) must match.
    const masked = (inputs: unknown) => JSON.stringify(inputs).replace(/"([a-z]+-[a-z0-9-]+)-\d+"/g, '"$1-#"');
    const snapshot = (run: typeof first) =>
      Object.fromEntries(
        run.resources
          .filter((r) => r.name.startsWith("office-alice") || r.name.startsWith("office-bob"))
          .map((r) => [r.name, masked(r.inputs)]),
      );
    const again = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    expect(snapshot(again)).to.deep.equal(snapshot(first));
    const grown = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            employees: [...officeArgs().employees, { name: "dave" }],
          }),
        ),
    );
    expect(grown.errors).to.deep.equal([]);
    expect(snapshot(grown)).to.deep.equal(snapshot(first));
    expect(grown.resources.filter((r) => r.name.startsWith("office-dave-")).map((r) => r.name)).to.have.members([
      "office-dave-credential",
      "office-dave-xrdp-tls",
      "office-dave-port",
      "office-dave-desktop",
      "office-dave-fip",
    ]);
    const shrunk = await harness.runProgram(
      () =>
        new ThinClientDesktopPool("office", officeArgs({ employees: [{ name: "alice", fullName: "Alice Example" }] })),
    );
    expect(
      shrunk.resources.filter((r) => r.name.startsWith("office-alice")).map((r) => masked(r.inputs)),
    ).to.deep.equal(first.resources.filter((r) => r.name.startsWith("office-alice")).map((r) => masked(r.inputs)));
  });

  it("gives each desktop its own xrdp TLS certificate: key secret in state and user data, fingerprint on the sheet, kept across runs, new on rotation", async () => {
    harness.forgetState();
    const before = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    expect(before.errors).to.deep.equal([]);
    const pool = before.value!;
    const fingerprints = await outputValue(pool.tlsFingerprints);
    expect(Object.keys(fingerprints)).to.deep.equal(["alice", "bob", "carol"]);
    expect(await outputIsSecret(pool.tlsFingerprints)).to.equal(false);
    const sheet = await outputValue(pool.connectionSheet);
    for (const [employee, fingerprint] of Object.entries(fingerprints)) {
      const tls = before.byName(`office-${employee}-xrdp-tls`);
      expect(tls.inputs).to.deep.include({ hostname: `office-${employee}`, validityDays: 3650, rotation: "" });
      expect(tls.additionalSecretOutputs).to.include("privateKeyPem");
      expect(tls.state.fingerprintSha256).to.equal(fingerprint);
      expect(sheet).to.contain(`- ${employee} (office-${employee}): \`${fingerprint}\``);
      const server = before.byName(`office-${employee}-desktop`);
      expect(server.secretPaths).to.include("userData");
      const userData = server.inputs.userData as string;
      assertValidCloudConfig(userData, `${employee} user data`);
      const files = parseCloudConfig(userData).write_files!;
      const cert = files.find((f) => f.path === "/etc/xrdp/blueprints-cert.pem")!;
      const key = files.find((f) => f.path === "/etc/xrdp/blueprints-key.pem")!;
      expect(cert.content).to.equal(tls.state.certificatePem);
      expect(key.content).to.equal(tls.state.privateKeyPem);
      expect({ owner: key.owner, permissions: key.permissions, defer: key.defer }).to.deep.equal({
        owner: "root:xrdp",
        permissions: "0640",
        defer: true,
      });
    }
    expect(sheet).not.to.contain("PRIVATE KEY");
    expect(sheet).not.to.contain("ssl-cert-snakeoil");
    // No resource input but the (secret) user data carries a key.
    const keyInputs = before.resources.filter((r) => allStrings(r.inputs).some((v) => v.includes("PRIVATE KEY")));
    expect(keyInputs.map((r) => r.name).sort()).to.deep.equal([
      "office-alice-desktop",
      "office-bob-desktop",
      "office-carol-desktop",
    ]);
    // The next `up` keeps every key (no rebuild); a rotation makes new ones, for every desktop.
    const again = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    expect(await outputValue(again.value!.tlsFingerprints)).to.deep.equal(fingerprints);
    const userData = (run: typeof before, who: string) => run.byName(`office-${who}-desktop`).inputs.userData as string;
    expect(userData(again, "alice")).to.equal(userData(before, "alice"));
    const rotated = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ tlsCertificateRotation: "2036-01" })),
    );
    const after = await outputValue(rotated.value!.tlsFingerprints);
    for (const e of ["alice", "bob", "carol"]) expect(after[e]).not.to.equal(fingerprints[e]);
    expect(userData(rotated, "alice")).not.to.equal(userData(before, "alice"));
  });

  it("rotates one employee's password when their passwordRotation changes, and nobody else's", async () => {
    // The harness keeps what the credential provider made across runs, as the engine's state does.
    harness.forgetState();
    const before = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    const again = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    const passwordsBefore = await outputValue(before.value!.passwords);
    expect(await outputValue(again.value!.passwords)).to.deep.equal(passwordsBefore);
    const employees = officeArgs().employees.map((e) =>
      e.name === "alice" ? { ...e, passwordRotation: "2026-11" } : e,
    );
    const after = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs({ employees })));
    expect(after.errors).to.deep.equal([]);
    const passwordsAfter = await outputValue(after.value!.passwords);
    expect(passwordsAfter.alice).not.to.equal(passwordsBefore.alice);
    expect(passwordsAfter.bob).to.equal(passwordsBefore.bob);
    expect(after.byName("office-alice-credential").inputs.rotation).to.equal("2026-11");
    const userData = (run: typeof before, who: string) => run.byName(`office-${who}-desktop`).inputs.userData as string;
    expect(userData(after, "alice")).not.to.equal(userData(before, "alice"));
    expect(userData(after, "bob")).to.equal(userData(before, "bob"));
    expect(userData(after, "carol")).to.equal(userData(before, "carol"));
  });

  it("with sessionReports, gives each guest a report token of its own: secret output, root-only file, hash for the portal", async () => {
    const run = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({ sessionReports: { portalUrl: "https://portal.office.example/" } }),
        ),
    );
    expect(run.errors).to.deep.equal([]);
    const pool = run.value!;
    expect(await outputIsSecret(pool.reportTokens)).to.equal(true);
    const tokens = await outputValue(pool.reportTokens);
    expect(Object.keys(tokens)).to.deep.equal(["alice", "bob", "carol"]);
    expect(new Set(Object.values(tokens)).size).to.equal(3);
    // Made by the desktop's own credential (no @pulumi/random), kept secret in its state.
    expect(run.resources.filter((r) => r.type.startsWith("random:"))).to.deep.equal([]);
    for (const [employee, token] of Object.entries(tokens)) {
      const credential = run.byName(`office-${employee}-credential`);
      expect([credential.type, credential.parent, credential.inputs.withReportToken]).to.deep.equal([
        T.desktopCredential,
        run.byName("office").urn,
        true,
      ]);
      expect(credential.additionalSecretOutputs).to.include("reportToken");
      expect(credential.state.reportToken).to.equal(token);
      expect(token).to.match(/^[A-Za-z0-9]{48}$/);
      const server = run.byName(`office-${employee}-desktop`);
      expect(server.secretPaths).to.include("userData");
      const userData = server.inputs.userData as string;
      assertValidCloudConfig(userData, `${employee} user data with the session reporter`);
      const tokenFile = parseCloudConfig(userData).write_files!.find((f) => f.path.endsWith("/session-report/token"))!;
      expect([tokenFile.content, tokenFile.permissions]).to.deep.equal([`${token}\n`, "0600"]);
      // Only the desktop's own token: no other employee's.
      for (const [other, otherToken] of Object.entries(tokens))
        if (other !== employee) expect(userData).not.to.contain(otherToken);
    }
    // The portal's desktops carry each token's hash, never the token.
    const forPortal = await outputValue(portalDesktopsFromPool(pool));
    expect(await outputIsSecret(portalDesktopsFromPool(pool))).to.equal(true);
    expect(forPortal.alice.reportTokenHash).to.equal(
      `sha256:${createHash("sha256").update(tokens.alice).digest("hex")}`,
    );
    expect(JSON.stringify(forPortal)).not.to.contain(tokens.alice);

    // Without sessionReports: no token, no reporter, the empty output.
    const plain = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    expect(plain.byName("office-alice-credential").inputs.withReportToken).to.equal(false);
    expect(await outputValue(plain.value!.reportTokens)).to.deep.equal({});
    expect(plain.byName("office-alice-desktop").inputs.userData).not.to.contain("session-report");
  });

  it("turning sessionReports on and off keeps every employee's password (the credential is updated, not replaced)", async () => {
    // The harness keeps what the credential provider made across runs and asks its diff, as the
    // engine does: a replacement would make a new password (and give the employee a surprise).
    harness.forgetState();
    const withReports = officeArgs({ sessionReports: { portalUrl: "https://portal.office.example/" } });
    const before = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    const on = await harness.runProgram(() => new ThinClientDesktopPool("office", withReports));
    const again = await harness.runProgram(() => new ThinClientDesktopPool("office", withReports));
    const off = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    for (const run of [before, on, again, off]) expect(run.errors).to.deep.equal([]);
    const passwords = await outputValue(before.value!.passwords);
    const hashes = await outputValue(before.value!.passwordHashes);
    for (const run of [on, again, off]) {
      expect(await outputValue(run.value!.passwords)).to.deep.equal(passwords);
      expect(await outputValue(run.value!.passwordHashes)).to.deep.equal(hashes);
      // The credential keeps its ID: the engine updated it in place.
      for (const e of ["alice", "bob", "carol"])
        expect(run.byName(`office-${e}-credential`).id).to.equal(before.byName(`office-${e}-credential`).id);
    }
    const tokens = await outputValue(on.value!.reportTokens);
    expect(Object.keys(tokens)).to.deep.equal(["alice", "bob", "carol"]);
    // Kept while sessionReports stays; gone when it goes.
    expect(await outputValue(again.value!.reportTokens)).to.deep.equal(tokens);
    expect(await outputValue(off.value!.reportTokens)).to.deep.equal({});
    expect(off.byName("office-alice-credential").state.reportToken).to.equal(undefined);
  });

  it("refuses a sessionReports portal URL that is not a plain http(s) URL, naming the field", async () => {
    const run = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            sessionReports: { portalUrl: "https://admin:pw@portal.office.example/", caCertificate: "nope" },
          }),
        ),
    );
    expect(run.thrown).to.be.instanceOf(ComponentArgsError);
    const message = (run.thrown as Error).message;
    expect(message).to.contain("sessionReports.portalUrl").and.contain("must not carry a user name or password");
    expect(message).to.contain("sessionReports.caCertificate").and.contain("is not a PEM certificate");
    expect(run.resources.filter((r) => r.type !== POOL)).to.deep.equal([]);
  });

  it("gives thin-client artifacts and a connection sheet per employee, with addresses and no passwords", async () => {
    const run = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    const pool = run.value!;
    const desktops = await outputValue(pool.desktops);
    const aliceFip = run.byName("office-alice-fip").state.address;
    expect(aliceFip).to.match(/^172\.24\.4\./);
    expect(desktops.alice).to.deep.include({
      hostname: "office-alice",
      floatingIp: aliceFip,
      address: aliceFip,
      powerState: "active",
      flavor: "m1.desktop",
    });
    expect(desktops.alice.fixedIp).to.match(/^10\.201\.10\./);
    const rdp = await outputValue(pool.rdpFiles);
    expect(rdp.alice).to.contain(`full address:s:${aliceFip}`).and.contain("username:s:alice");
    const remmina = await outputValue(pool.remminaProfiles);
    expect(remmina.bob).to.contain("username=bob");
    const sheet = await outputValue(pool.connectionSheet);
    expect(sheet).to.contain(`| alice | Alice Example | office-alice | ${aliceFip} | alice | active |`);
    expect(sheet).to.contain("| carol |").and.contain("shelved_offloaded");
    const passwords = await outputValue(pool.passwords);
    for (const pw of Object.values(passwords)) {
      expect(sheet).not.to.contain(pw);
      expect(JSON.stringify(rdp)).not.to.contain(pw);
    }
  });

  it("offers a Jupyter workspace instead: its port from the thin clients only, HTTPS URLs, Jupyter hashes, no RDP", async () => {
    const run = await harness.runProgram(
      () => new ThinClientDesktopPool("ml", officeArgs({ workspace: "jupyter", extraPackages: ["python3-pandas"] })),
    );
    expect(run.thrown).to.equal(undefined);
    expect(run.errors).to.deep.equal([]);
    const ingress = run
      .byType(T.secGroupRule)
      .map((r) => r.inputs)
      .filter((r) => r.direction === "ingress");
    expect(ingress.map((r) => [r.protocol, r.portRangeMin ?? null, r.remoteIpPrefix])).to.have.deep.members([
      ["tcp", 8888, "192.168.50.0/24"],
      ["icmp", null, "192.168.50.0/24"],
      ["tcp", 22, "192.168.99.0/28"],
    ]);
    const pool = run.value!;
    const passwords = await outputValue(pool.passwords);
    const urls = await outputValue(pool.jupyterUrls);
    const aliceFip = run.byName("ml-alice-fip").state.address;
    expect(urls.alice).to.equal(`https://${aliceFip}:8888/`);
    expect(await outputValue(pool.rdpFiles)).to.deep.equal({});
    expect(run.byName("ml-alice-credential").inputs.hashScheme).to.equal("jupyter-sha512");
    const server = run.byName("ml-alice-desktop");
    expect(server.secretPaths).to.include("userData");
    const userData = server.inputs.userData as string;
    assertValidCloudConfig(userData, "jupyter user data of alice");
    expect(userData).not.to.contain(passwords.alice);
    const doc = parseCloudConfig(userData);
    expect(doc.packages).to.include.members(["jupyter-notebook", "python3-pandas"]).and.not.include("xrdp");
    const config = JSON.parse(doc.write_files!.find((f) => f.path.endsWith("jupyter_config.json"))!.content);
    const [, salt, digest] = (config.NotebookApp.password as string).split(":");
    expect(
      createHash("sha512")
        .update(passwords.alice + salt)
        .digest("hex"),
    ).to.equal(digest);
    const sheet = await outputValue(pool.connectionSheet);
    expect(sheet).to.contain(`| alice | Alice Example | ml-alice | https://${aliceFip}:8888/ | alice | active |`);
    expect(sheet).not.to.contain(passwords.alice);
  });

  it("on an existing routed network, its floating IPs wait for what the pool depends on (and Neutron refuses them otherwise)", async () => {
    const program = (withDependsOn: boolean) => () => {
      const lan = new PrivateNetwork("lan", {
        cidr: "10.201.20.0/24",
        externalNetworkName: "public",
        dnsNameservers: ["9.9.9.9"],
      });
      return new ThinClientDesktopPool(
        "office",
        officeArgs({ networkCidr: undefined, networkId: lan.networkId, subnetId: lan.subnetId }),
        withDependsOn ? { dependsOn: [lan] } : {},
      );
    };
    const ok = await harness.runProgram(program(true));
    expect(ok.errors).to.deep.equal([]);
    expect(fipWaitsForInterface(ok)).to.equal(true);
    const racing = await harness.runProgram(program(false));
    expect(racing.errors.map((e) => e.message).join("\n")).to.contain("does not depend on the router interface");
  });

  it("declares every server in the pool's availability zone, with the same child names", async () => {
    const plain = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    const zoned = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ availabilityZone: "guests" })),
    );
    expect(zoned.errors).to.deep.equal([]);
    const names = (run: typeof plain) => run.resources.map((r) => `${r.type} ${r.name}`).sort();
    expect(names(zoned)).to.deep.equal(names(plain));
    for (const e of ["alice", "bob", "carol"]) {
      expect(zoned.byName(`office-${e}-desktop`).inputs.availabilityZone).to.equal("guests");
      expect(plain.byName(`office-${e}-desktop`).inputs.availabilityZone).to.equal(undefined);
    }
  });

  it("gives the network it creates and that network's router the pool's Neutron zone hints", async () => {
    const zoned = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ networkAvailabilityZoneHints: ["guests"] })),
    );
    expect(zoned.errors).to.deep.equal([]);
    const hinted = zoned.resources
      .filter((r) => r.type.endsWith("/network:Network") || r.type.endsWith("/router:Router"))
      .map((r) => [r.type.split(":").pop(), r.inputs.availabilityZoneHints]);
    expect(hinted).to.deep.equal([
      ["Network", ["guests"]],
      ["Router", ["guests"]],
    ]);
  });

  it("works on an existing network without floating IPs, and boots from volumes or an uploaded image", async () => {
    const lan = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "lab",
          officeArgs({
            networkCidr: undefined,
            networkId: "net-public",
            floatingIpPool: undefined,
            bootVolumeSizeGiB: 30,
            adminCidr: undefined,
            adminPublicKey: undefined,
          }),
        ),
    );
    expect(lan.errors).to.deep.equal([]);
    expect(lan.byType(T.floatingIp)).to.have.length(0);
    expect(lan.byType("openstack-blueprints:index:PrivateNetwork")).to.have.length(0);
    const server = lan.byName("lab-alice-desktop");
    expect(server.inputs.imageName).to.equal(undefined);
    expect(server.inputs.blockDevices).to.deep.equal([
      {
        uuid: "image-ubuntu-2404",
        sourceType: "image",
        destinationType: "volume",
        volumeSize: 30,
        bootIndex: 0,
        deleteOnTermination: true,
      },
    ]);
    const desktops = await outputValue(lan.value!.desktops);
    expect(desktops.alice.address)
      .to.equal(desktops.alice.fixedIp)
      .and.match(/^172\.24\.4\./);

    const uploaded = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "up",
          officeArgs({
            imageName: undefined,
            imageUrl: "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.qcow2",
          }),
        ),
    );
    expect(uploaded.errors).to.deep.equal([]);
    const image = uploaded.byName("up-image");
    expect(image.inputs).to.deep.include({
      imageSourceUrl: "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.qcow2",
      diskFormat: "qcow2",
      containerFormat: "bare",
    });
    expect(uploaded.byName("up-alice-desktop").inputs.imageId).to.equal(image.id);
  });

  it("with homeVolumes, gives each employee a Cinder volume that the server attaches at boot and outlives it", async () => {
    harness.forgetState();
    const homes = { homeVolumes: { sizeGiB: 20, volumeType: "ssd", availabilityZone: "nova" } };
    const run = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs(homes)));
    expect(run.thrown).to.equal(undefined);
    expect(run.errors).to.deep.equal([]);
    const pool = run.byName("office");
    for (const e of ["alice", "bob", "carol"]) {
      const volume = run.byName(`office-${e}-home`);
      expect(volume.type).to.equal(T.volume);
      expect(volume.parent).to.equal(pool.urn);
      expect(volume.inputs).to.deep.include({
        name: `office-${e}-home`,
        size: 20,
        volumeType: "ssd",
        availabilityZone: "nova",
        enableOnlineResize: true,
      });
      // Removing the employee or destroying the pool leaves the volume; a later type or zone
      // setting never replaces an existing home with a blank one.
      expect(volume.retainOnDelete, `${e}'s home is retained`).to.equal(true);
      expect(volume.protect).to.equal(false);
      expect(volume.ignoreChanges).to.have.members(["availabilityZone", "volumeType"]);
      const server = run.byName(`office-${e}-desktop`);
      // Deleted before its replacement is made: the volume (like the port) is free for the new server.
      expect(server.deleteBeforeReplace).to.equal(true);
      expect(server.inputs.imageName).to.equal(undefined);
      expect(server.inputs.imageId).to.equal("image-ubuntu-2404");
      expect(server.inputs.blockDevices).to.deep.equal([
        {
          uuid: "image-ubuntu-2404",
          sourceType: "image",
          destinationType: "local",
          bootIndex: 0,
          deleteOnTermination: true,
        },
        { uuid: volume.id, sourceType: "volume", destinationType: "volume", bootIndex: -1, deleteOnTermination: false },
      ]);
      // The guest finds the volume by its ID and mounts it before the users module makes the home.
      const doc = parseCloudConfig(server.inputs.userData as string);
      expect(doc.bootcmd).to.have.length(1);
      expect((doc.bootcmd as string[][])[0].slice(3)).to.deep.equal(["blueprints-home-volume", volume.id]);
      expect((doc.runcmd as string[][])[0].slice(3)).to.deep.equal(["blueprints-home-owner", e, "deskadmin"]);
      assertValidCloudConfig(server.inputs.userData as string, `${e}'s user data with a home volume`);
    }
    const desktops = await outputValue(run.value!.desktops);
    expect(desktops.alice.homeVolumeId).to.equal(run.byName("office-alice-home").id);

    // A password rotation changes the user data (the server is rebuilt), never the home volume.
    const rotated = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            ...homes,
            employees: officeArgs().employees.map((e) => (e.name === "alice" ? { ...e, passwordRotation: "r2" } : e)),
          }),
        ),
    );
    expect(rotated.errors).to.deep.equal([]);
    const masked = (inputs: unknown) => JSON.stringify(inputs).replace(/"([a-z]+-[a-z0-9-]+)-\d+"/g, '"$1-#"');
    expect(masked(rotated.byName("office-alice-home").inputs)).to.equal(masked(run.byName("office-alice-home").inputs));
    expect(rotated.byName("office-alice-desktop").inputs.userData).not.to.equal(
      run.byName("office-alice-desktop").inputs.userData,
    );

    // With a boot volume, the home volume is the second mapping; without homeVolumes there is none.
    const booted = await harness.runProgram(
      () => new ThinClientDesktopPool("lab", officeArgs({ ...homes, bootVolumeSizeGiB: 30 })),
    );
    expect(booted.errors).to.deep.equal([]);
    const blockDevices = booted.byName("lab-alice-desktop").inputs.blockDevices as Record<string, unknown>[];
    expect(blockDevices.map((b) => [b.sourceType, b.destinationType, b.bootIndex])).to.deep.equal([
      ["image", "volume", 0],
      ["volume", "volume", -1],
    ]);
    // Without homeVolumes the pool warns (at every preview) that a rebuild loses the employees' files.
    // The harness keeps the program's warnings (run.warnings) instead of printing them.
    const warnedBy = async (args: ThinClientDesktopPoolArgs) => {
      const r = await harness.runProgram(() => new ThinClientDesktopPool("office", args));
      return { run: r, warnings: r.warnings.filter((w) => w.includes("homes are on their desktops' root disks")) };
    };
    const { run: plain, warnings } = await warnedBy(officeArgs());
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain("Set homeVolumes");
    expect((await warnedBy(officeArgs(homes))).warnings).to.deep.equal([]);
    expect(plain.byType(T.volume)).to.have.length(0);
    expect(plain.byName("office-alice-desktop").inputs.blockDevices).to.equal(undefined);
    expect(plain.byName("office-alice-desktop").inputs.imageName).to.equal("ubuntu-24.04");
    expect(parseCloudConfig(plain.byName("office-alice-desktop").inputs.userData as string).bootcmd).to.equal(
      undefined,
    );
  });

  it("fails before creating anything when the active desktops do not fit the hosts, naming the numbers", async () => {
    const hosts = {
      computeHosts: [{ name: "server", vcpus: 16, ramMiB: 131072, reservedRamMiB: 0 }],
      flavorSizes: [
        { name: "m1.desktop", vcpus: 4, ramMiB: 4096 },
        { name: "m1.large", vcpus: 4, ramMiB: 8192 },
      ],
    };
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `user${i}` }));
    const run = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ ...hosts, employees: many })),
    );
    expect(run.thrown?.message).to.contain(
      "the desktops do not fit the compute hosts: 20 desktops need 80 vCPUs and 81920 MiB RAM; 1 host(s) offer 64 vCPUs",
    );
    expect(run.thrown?.message).to.contain("4 × m1.desktop do not fit");
    expect(run.resources.filter((r) => r.custom)).to.have.length(0);
    // Shelving four of them frees exactly the capacity needed; shutoff ones still count.
    const shelved = many.map((e, i) => ({
      ...e,
      powerState: i < 4 ? "shelved_offloaded" : i < 8 ? "shutoff" : "active",
    }));
    const ok = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ ...hosts, employees: shelved })),
    );
    expect(ok.thrown).to.equal(undefined);
    expect(await outputValue(ok.value!.capacitySummary)).to.equal(
      "16 desktops (4 shelved, not counted) use 64/64 vCPUs and 65536/131072 MiB (ratios cpu 4, ram 1); limited by vCPUs",
    );
    // The seed's ratios fit 48 of them.
    const seed = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            ...hosts,
            allocationRatios: "seed-2017",
            employees: Array.from({ length: 48 }, (_, i) => ({ name: `u${i}` })),
          }),
        ),
    );
    expect(seed.thrown).to.equal(undefined);
    const tooMany = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            ...hosts,
            allocationRatios: "seed-2017",
            employees: Array.from({ length: 49 }, (_, i) => ({ name: `u${i}` })),
          }),
        ),
    );
    expect(tooMany.thrown?.message).to.contain("49 desktops need 196 vCPUs and 200704 MiB RAM");
  });

  it("counts the desktops' root disks against the host's disk, unless they boot from volumes", async () => {
    const disk = {
      computeHosts: [{ name: "server", vcpus: 64, ramMiB: 524288, diskGiB: 100 }],
      flavorSizes: [
        { name: "m1.desktop", vcpus: 2, ramMiB: 2048, diskGiB: 20 },
        { name: "m1.large", vcpus: 2, ramMiB: 4096, diskGiB: 40 },
      ],
      employees: Array.from({ length: 6 }, (_, i) => ({ name: `user${i}` })),
    };
    const run = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs(disk)));
    expect(run.thrown?.message).to.contain(
      "6 desktops need 12 vCPUs and 12288 MiB RAM and 120 GiB disk; 1 host(s) offer 256 vCPUs and 523776 MiB and 100 GiB disk",
    );
    expect(run.thrown?.message).to.contain("Limited by disk");
    expect(run.resources.filter((r) => r.custom)).to.have.length(0);
    const volumes = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ ...disk, bootVolumeSizeGiB: 20 })),
    );
    expect(volumes.thrown).to.equal(undefined);
    expect(await outputValue(volumes.value!.capacitySummary)).to.contain("0/100 GiB disk");
  });

  it("checks the project's quota before creating anything and names each shortfall (a fresh DevStack project: 10 instances, 20 cores, 50 GiB)", async () => {
    const devstackDefaults = {
      instances: 10,
      cores: 20,
      ramMiB: 51200,
      floatingIps: 50,
      ports: 500,
      securityGroups: 10,
      securityGroupRules: 100,
    };
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `user${i}` }));
    const sizes = [{ name: "m1.desktop", vcpus: 2, ramMiB: 4096 }];
    const run = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            employees: many,
            flavorSizes: sizes,
            projectLimits: devstackDefaults,
            projectUsage: { instances: 1 },
          }),
        ),
    );
    expect(run.thrown?.message).to.contain(
      "the project's quota does not hold the pool (nothing was created): " +
        "instances: the pool declares 12, the project allows 10 (1 already in use), short by 3; cores: the pool declares 24, the project allows 20, short by 4",
    );
    expect(run.thrown?.message).to.contain("raise the quota (openstack quota set");
    expect(run.resources.filter((r) => r.custom)).to.have.length(0);
    const enough = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            employees: many,
            flavorSizes: sizes,
            projectLimits: { ...devstackDefaults, instances: -1, cores: 24 },
          }),
        ),
    );
    expect(enough.thrown).to.equal(undefined);
  });

  it('checkQuota "live": reads Nova\'s limits and the flavors through the provider, and refuses a shortfall before any child', async () => {
    // alice and carol on m1.desktop (4 vCPUs, 4 GiB), bob on m1.large (4 vCPUs, 8 GiB): 12 cores, 16 GiB.
    const fresh = harness.novaLimits;
    harness.novaLimits = { ...fresh, totalInstancesUsed: 2, totalCoresUsed: 10, totalRamUsed: 8192 };
    const short = await harness
      .runProgram(() => new ThinClientDesktopPool("office", officeArgs({ checkQuota: "live" })))
      .finally(() => (harness.novaLimits = fresh));
    expect(short.thrown).to.equal(undefined);
    const message = short.errors.map((e) => e.message).join("\n");
    expect(message).to.contain('checkQuota: "live"');
    expect(message).to.contain("cores: the pool declares 12, the project allows 20 (10 in use, 10 free), short by 2");
    expect(message).to.not.contain("instances:");
    expect(message).to.contain("openstack quota set --instances N --cores N --ram MiB");
    const tokens = harness.calls.map((c) => `${c.token} ${JSON.stringify(c.inputs.name ?? c.inputs.projectId)}`);
    expect(tokens).to.include.members([
      'openstack:compute/getLimitsV2:getLimitsV2 "mock-project"',
      'openstack:compute/getFlavor:getFlavor "m1.desktop"',
      'openstack:compute/getFlavor:getFlavor "m1.large"',
    ]);
    // Nothing but the pool itself was registered: no network, group, credential, port or server.
    expect(short.resources.map((r) => r.name)).to.deep.equal(["office"]);

    const fits = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ checkQuota: "live" })),
    );
    expect(fits.thrown).to.equal(undefined);
    expect(fits.errors).to.deep.equal([]);
    expect(fits.byType(T.instance)).to.have.length(3);
    const pool = fits.value as ThinClientDesktopPool;
    expect(Object.keys(await outputValue(pool.desktops))).to.deep.equal(["alice", "bob", "carol"]);
    expect(await outputIsSecret(pool.passwords)).to.equal(true);
    expect(await outputIsSecret(pool.passwordHashes)).to.equal(true);
  });

  it('checkQuota "live" as a project member (Nova refuses /limits?tenant_id=): the quota set, the use not counted', async () => {
    const fresh = harness.novaLimits;
    harness.novaLimits = { ...fresh, maxTotalCores: 10, totalCoresUsed: 9 };
    harness.novaLimitsForbidden = true;
    const short = await harness
      .runProgram(() => new ThinClientDesktopPool("office", officeArgs({ checkQuota: "live" })))
      .finally(() => {
        harness.novaLimits = fresh;
        harness.novaLimitsForbidden = false;
      });
    expect(harness.calls.map((c) => c.token)).to.include("openstack:compute/getQuotaSetV2:getQuotaSetV2");
    const message = short.errors.map((e) => e.message).join("\n");
    expect(message).to.contain("cores: the pool declares 12, the project allows 10, short by 2");
    expect(message).to.contain("os_compute_api:limits:other_project");
    expect(short.resources.map((r) => r.name)).to.deep.equal(["office"]);
  });

  it("passes session limits and clipboard/drive redirection to the desktops' xrdp settings", async () => {
    const run = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            disconnectedTimeLimitSeconds: 3600,
            idleTimeLimitSeconds: 900,
            clipboard: false,
            driveRedirection: false,
          }),
        ),
    );
    expect(run.thrown).to.equal(undefined);
    const userData = run.byName("office-alice-desktop").inputs.userData as string;
    assertValidCloudConfig(userData, "pool with session settings");
    for (const line of [
      "set_ini /etc/xrdp/sesman.ini Sessions KillDisconnected true",
      "set_ini /etc/xrdp/sesman.ini Sessions DisconnectedTimeLimit 3600",
      "set_ini /etc/xrdp/sesman.ini Sessions IdleTimeLimit 900",
      "set_ini /etc/xrdp/xrdp.ini Channels cliprdr false",
      "set_ini /etc/xrdp/xrdp.ini Channels rdpdr false",
    ])
      expect(userData).to.contain(line);
    // Unset, nothing is written: existing pools' user data stays as it was.
    const plain = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs()));
    expect(plain.byName("office-alice-desktop").inputs.userData as string)
      .not.to.contain("Channels")
      .and.not.to.contain("IdleTimeLimit");
    const jupyter = await harness.runProgram(
      () => new ThinClientDesktopPool("office", officeArgs({ workspace: "jupyter", clipboard: false })),
    );
    expect(jupyter.thrown?.message).to.contain('clipboard belong to workspace "desktop"');
  });

  it("refuses bad input before any resource, naming the field and the fix", async () => {
    const cases: [Partial<ThinClientDesktopPoolArgs>, string][] = [
      [{ employees: [{ name: "alice", powerState: "paused" }] }, "only shelving frees capacity"],
      [{ employees: [{ name: "alice" }, { name: "alice" }] }, 'employees[1].name: "alice" duplicates employees[0]'],
      [{ employees: [{ name: "deskadmin" }] }, "used by the pool itself"],
      [{ thinClientCidr: "" }, 'thinClientCidr: "" must be the thin clients\' IPv4 block'],
      [{ thinClientCidr: "0.0.0.0/0" }, "whole internet"],
      [{ adminPublicKey: undefined }, "SSH needs both adminCidr and adminPublicKey"],
      [{ imageId: "x" }, "exactly one of imageName, imageId or imageUrl (got 2)"],
      [{ networkId: "net-public" }, "not both"],
      [{ computeHosts: [{ vcpus: 16, ramMiB: 65536 }] }, "missing: m1.desktop, m1.large"],
      [
        { allocationRatios: "generous", computeHosts: [{ vcpus: 16, ramMiB: 65536 }] },
        'allocationRatios: "generous" is not one of',
      ],
      [{ passwordLength: 8 }, "passwordLength: 8 must be a whole number from 12 to 128"],
      [{ employees: [{ name: "alice", passwordRotation: "x".repeat(65) }] }, "employees[0].passwordRotation"],
      [{ workspace: "vdi" }, 'workspace: "vdi" is not one of "desktop", "jupyter"'],
      [{ jupyterPort: 9999 }, 'jupyterServer and jupyterPort go with workspace "jupyter"'],
      [{ workspace: "jupyter", jupyterPort: 80 }, "jupyterPort: 80 must be a whole number from 1024"],
      [{ workspace: "jupyter", jupyterServer: "hub" }, 'jupyterServer: "hub" is not one of "notebook", "lab"'],
      [{ workspace: "jupyter", rdpGroup: "rdp" }, 'rdpGroup belongs to workspace "desktop"'],
      [
        { workspace: "jupyter", extraPackages: ["bad pkg"] },
        'extraPackages[0]: "bad pkg" is not a Debian package name',
      ],
      [{ extraPackages: ["bad pkg"] }, 'extraPackages[0]: "bad pkg" is not a Debian package name'],
      [{ dnsNameservers: undefined }, "dnsNameservers: (not set) is needed with networkCidr"],
      [{ networkCidr: "10.201.10.5/24" }, "10.201.10.5/24"],
      [{ networkAvailabilityZoneHints: ["guests", "guests"] }, 'networkAvailabilityZoneHints[1]: "guests" repeats'],
      [
        { networkCidr: undefined, networkId: "net-1", networkAvailabilityZoneHints: ["guests"] },
        'networkAvailabilityZoneHints: ["guests"] goes with networkCidr',
      ],
      [{ homeVolumes: { sizeGiB: 0 } }, "homeVolumes.sizeGiB: 0 must be a whole number of GiB, 1 or more"],
      [{ homeVolumes: { sizeGiB: 2.5 } }, "homeVolumes.sizeGiB: 2.5 must be a whole number of GiB, 1 or more"],
      [{ homeVolumes: { sizeGiB: 10, volumeType: "" } }, "homeVolumes.volumeType"],
      [{ homeVolumes: { sizeGiB: 10, availabilityZone: "" } }, "homeVolumes.availabilityZone"],
      [{ homeVolumes: { sizeGB: 10 } as never }, "homeVolumes"],
    ];
    for (const [overrides, message] of cases) {
      const run = await harness.runProgram(() => new ThinClientDesktopPool("office", officeArgs(overrides)));
      expect(run.thrown?.message ?? run.errors.map((e) => e.message).join("; "), JSON.stringify(overrides)).to.contain(
        message,
      );
      expect(
        run.resources.filter((r) => r.custom),
        JSON.stringify(overrides),
      ).to.have.length(0);
    }
    const anywhere = await harness.runProgram(
      () =>
        new ThinClientDesktopPool("office", officeArgs({ thinClientCidr: "0.0.0.0/0", allowRdpFromAnywhere: true })),
    );
    expect(anywhere.thrown).to.equal(undefined);
  });

  it("reports every problem of a badly filled-in office at once, as one ComponentArgsError", async () => {
    // A small firm's office typed in by hand: a duplicated employee, a paused desktop, a thin-client
    // block with host bits, two image sources, a bad package and a too-short password all at once.
    const run = await harness.runProgram(
      () =>
        new ThinClientDesktopPool(
          "office",
          officeArgs({
            employees: [{ name: "alice" }, { name: "alice" }, { name: "bob", powerState: "paused" }],
            thinClientCidr: "192.168.50.7",
            imageId: "image-1",
            extraPackages: ["libre office"],
            passwordLength: 6,
          }),
        ),
    );
    expect(run.resources, "nothing is registered, the pool included").to.have.length(0);
    const error = run.thrown as ComponentArgsError;
    expect(error).to.be.instanceOf(ComponentArgsError).and.instanceOf(pulumi.InputPropertiesError);
    expect(error.problems.map((p) => p.field)).to.have.members([
      "employees[1].name",
      "employees[2].powerState",
      "thinClientCidr",
      "imageName",
      "extraPackages[0]",
      "passwordLength",
    ]);
    expect(error.message)
      .to.contain('employees[1].name: "alice" duplicates employees[0]')
      .and.contain('employees[2].powerState: "paused" is refused')
      .and.contain('thinClientCidr: "192.168.50.7" must be the thin clients\' IPv4 block')
      .and.contain("give exactly one of imageName, imageId or imageUrl (got 2)")
      .and.contain('extraPackages[0]: "libre office" is not a Debian package name')
      .and.contain("passwordLength: 6 must be a whole number from 12 to 128");
  });
});
