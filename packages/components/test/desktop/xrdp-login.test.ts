/**
 * The real desktop test: the user data ThinClientDesktopPool generates for one employee is run by
 * real cloud-init (NoCloud seed) in a Debian bookworm guest booted with real systemd
 * (debootstrap + systemd-nspawn, test/hosts), then `xfreerdp` on this machine, under Xvfb, logs
 * in over RDP/TLS as that employee with the generated password read from the component's secret
 * output. What is real: cloud-init, systemd, xrdp/sesman, PAM, xfce, FreeRDP. What is not: Nova
 * and the Pulumi engine (the program runs under the mock harness) — and the guests have no
 * internet, so the desktop packages come with the guest's root (as in a baked image) and the
 * document is rendered with imageHasDesktopPackages (no apt step).
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { diagnostics, requireHostTools, sesmanLog, sleep, startRdpClient, stopProcess, waitUntil } from "./rdp-client";
import { installMocks, outputValue } from "@openstack-blueprints/test-harness";
import { Guest, requireTestHosts, TestLab } from "../../../../test/hosts";
import { bootSeededGuest } from "./support/seeded-guest";
import { desktopPackages, XRDP_TLS_CERT_PATH, XRDP_TLS_KEY_PATH } from "../../src/desktop/desktop-user-data";
import { freerdpFingerprintOption } from "../../src/desktop/xrdp-certificate";
import { ThinClientDesktopPool } from "../../src/desktop/thin-client-desktop-pool";

const harness = installMocks();
const ARTIFACTS = path.resolve(__dirname, "../../../../artifacts");
const EMPLOYEE = "alice";
const HOSTNAME = "dt-alice";
const SESSION_STARTED = new RegExp(`Session started successfully for user ${EMPLOYEE}`);

/** Hashes of everything the user data manages, to prove a second run changes nothing. */
async function managedState(guest: Guest): Promise<string> {
  const files = [
    "/etc/xrdp/sesman.ini",
    "/etc/xrdp/xrdp.ini",
    "/etc/passwd",
    "/etc/shadow",
    "/etc/group",
    "/etc/gshadow",
    "/etc/hosts",
    "/etc/hostname",
    "/etc/ssl/certs/ssl-cert-snakeoil.pem",
    "/etc/ssl/private/ssl-cert-snakeoil.key",
    XRDP_TLS_CERT_PATH,
    XRDP_TLS_KEY_PATH,
    "/etc/polkit-1/rules.d/45-blueprints-colord.rules",
    "/usr/local/sbin/blueprints-desktop-setup",
    "/etc/alternatives/x-session-manager",
    "/etc/ssh/sshd_config",
  ];
  const r = await guest.exec(
    `sha256sum ${files.join(" ")} 2>&1; readlink /etc/alternatives/x-session-manager; ls -l --time-style=+ /etc/ssh/sshd_config.d 2>/dev/null || true`,
    { allowFailure: true },
  );
  return r.stdout;
}

describe("desktop pool: real xrdp login in a cloud-init guest (systemd-nspawn)", function () {
  this.timeout(20 * 60_000);
  let lab: TestLab | undefined;
  let xvfb: ChildProcess | undefined;
  const clients: ChildProcess[] = [];

  before(function () {
    requireTestHosts(this);
    requireHostTools(this);
  });

  after(async () => {
    clients.forEach(stopProcess);
    stopProcess(xvfb);
    await lab?.cleanup();
  });

  it("runs the employee's user data, logs in with the generated password, refuses a wrong one, and re-runs cleanly", async () => {
    // 1. The program, under the harness: one employee; user data and secret password from it.
    const run = await harness.runProgram(
      () =>
        new ThinClientDesktopPool("dt", {
          employees: [{ name: EMPLOYEE, fullName: "Alice Example" }],
          flavor: "m1.desktop",
          imageName: "debian-12",
          imageHasDesktopPackages: true,
          networkId: "net-public",
          thinClientCidr: "10.201.0.0/16",
        }),
    );
    expect(run.errors).to.deep.equal([]);
    const pool = run.value!;
    const userData = run.byName(`dt-${EMPLOYEE}-desktop`).inputs.userData as string;
    const password = (await outputValue(pool.passwords))[EMPLOYEE];
    const rdpFileText = (await outputValue(pool.rdpFiles))[EMPLOYEE];
    expect(userData).to.contain(`hostname: ${HOSTNAME}`);
    expect(userData).not.to.contain(password);
    // The desktop's TLS certificate: made by the pool, its fingerprint printed on the sheet, which
    // is what the thin client below pins (read from the sheet, as an admin would).
    const sheet = await outputValue(pool.connectionSheet);
    const fingerprint = sheet.match(new RegExp(`^- ${EMPLOYEE} \\(${HOSTNAME}\\): \`([0-9A-F:]{95})\``, "m"))?.[1];
    expect(fingerprint, sheet).to.be.a("string");
    expect((await outputValue(pool.tlsFingerprints))[EMPLOYEE]).to.equal(fingerprint);
    expect(sheet).not.to.contain("PRIVATE KEY");
    expect(userData).to.contain("BEGIN PRIVATE KEY");
    const pinned = `deny,${freerdpFingerprintOption(fingerprint!)}`;

    // 2. A Debian guest with cloud-init and the desktop packages, seeded with that user data.
    lab = await TestLab.create({ prefix: "dt", subnet: "10.201.0.0/16" });
    const guest = await bootSeededGuest(lab, {
      rootfsName: "desktop",
      packages: desktopPackages(),
      guestName: "dtdesk",
      userData,
      instanceId: "dt-alice-0001",
      hostname: HOSTNAME,
      diagnostics:
        "journalctl -b --no-pager -n 80 -u ssh -u xrdp -u xrdp-sesman -u cloud-config -u cloud-final; systemctl status ssh xrdp --no-pager",
    });

    // 3. What cloud-init and the setup script did, seen inside the guest.
    const facts = await guest.exec(
      [
        "hostname",
        "grep -c dt-alice /etc/hosts",
        "id -nG alice",
        "passwd -S alice | cut -d' ' -f2",
        "systemctl is-active xrdp xrdp-sesman",
        "id -nG xrdp",
        "grep -E '^(AllowRootLogin|TerminalServerUsers|AlwaysGroupCheck)=' /etc/xrdp/sesman.ini",
        "grep -E '^(security_layer|ssl_protocols)=' /etc/xrdp/xrdp.ini",
        "openssl x509 -noout -subject -in /etc/ssl/certs/ssl-cert-snakeoil.pem",
        `grep -E '^(certificate|key_file)=' /etc/xrdp/xrdp.ini; stat -c '%U:%G %a' ${XRDP_TLS_CERT_PATH} ${XRDP_TLS_KEY_PATH}; openssl x509 -noout -fingerprint -sha256 -in ${XRDP_TLS_CERT_PATH}`,
        "sshd -T 2>/dev/null | grep -i '^passwordauthentication' || grep -ri '^PasswordAuthentication' /etc/ssh/sshd_config /etc/ssh/sshd_config.d",
      ].join("; echo ---; "),
      { allowFailure: true },
    );
    const [host, hostsCount, groups, passwdState, xrdpActive, xrdpGroups, sesman, xrdpIni, subject, tlsFacts, sshPw] =
      facts.stdout.split("---\n").map((s) => s.trim());
    expect(host).to.equal(HOSTNAME);
    expect(Number(hostsCount)).to.be.greaterThan(0);
    expect(groups.split(/\s+/)).to.include("tsusers");
    expect(passwdState, "alice has a usable password (P), not locked (L)").to.equal("P");
    expect(xrdpActive.split("\n")).to.deep.equal(["active", "active"]);
    expect(xrdpGroups.split(/\s+/)).to.include("ssl-cert");
    expect(sesman.split("\n")).to.have.members([
      "AllowRootLogin=false",
      "TerminalServerUsers=tsusers",
      "AlwaysGroupCheck=true",
    ]);
    expect(xrdpIni.split("\n")).to.have.members(["security_layer=tls", "ssl_protocols=TLSv1.2, TLSv1.3"]);
    expect(subject).to.contain(HOSTNAME);
    // xrdp serves the pool's pair: key readable by root and group xrdp (the daemon) only.
    expect(tlsFacts.split("\n")).to.deep.equal([
      `certificate=${XRDP_TLS_CERT_PATH}`,
      `key_file=${XRDP_TLS_KEY_PATH}`,
      "root:root 644",
      "root:xrdp 640",
      `sha256 Fingerprint=${fingerprint}`,
    ]);
    expect(sshPw.toLowerCase()).to.contain("passwordauthentication no");

    // 4. An RDP client on this machine, under Xvfb, with the .rdp file the pool produced.
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const display = ":201";
    xvfb = spawn("Xvfb", [display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: "ignore" });
    await sleep(1500);
    expect(xvfb.exitCode, "Xvfb did not start (display :201 in use?)").to.equal(null);
    const rdpFile = path.join(ARTIFACTS, `${EMPLOYEE}.rdp`);
    fs.writeFileSync(rdpFile, rdpFileText);

    const before = (await sesmanLog(guest)).split("\n").length;
    // The client pins the sheet's fingerprint and refuses any other certificate (deny: no prompt).
    const good = startRdpClient(display, rdpFile, guest.ip, password, pinned);
    clients.push(good);
    const started = await waitUntil(
      "sesman to start alice's session",
      45_000,
      async () => {
        const lines = (await sesmanLog(guest)).split("\n").slice(before - 1);
        return lines.find((l) => SESSION_STARTED.test(l));
      },
      () => diagnostics(guest, good),
    );
    expect(started).to.match(SESSION_STARTED);
    // Give xfce time to draw, then keep the proof.
    await sleep(15_000);
    const shot = path.join(ARTIFACTS, "desktop-xrdp-alice.png");
    const capture = spawnSync("import", ["-window", "root", shot], {
      env: { ...process.env, DISPLAY: display },
      encoding: "utf8",
    });
    expect(capture.status, capture.stderr).to.equal(0);
    expect(fs.statSync(shot).size).to.be.greaterThan(10_000);
    // The session manager runs through the x-session-manager alternative: check what it really is.
    const processes = await guest.exec("for p in $(pgrep -u alice); do readlink -f /proc/$p/exe; done | sort -u", {
      allowFailure: true,
    });
    expect(
      processes.stdout.split("\n"),
      `alice's programs:\n${processes.stdout}${processes.stderr}`,
    ).to.include.members(["/usr/bin/xfce4-session", "/usr/bin/xfce4-panel", "/usr/bin/xfwm4", "/usr/bin/xfdesktop"]);
    stopProcess(good);
    await sleep(2000);

    // 5. A wrong fingerprint (one byte changed): the client refuses the desktop's certificate
    // before it sends the password, so sesman sees no login at all.
    const wrongFingerprint = fingerprint!.replace(/^../, (b) => (b === "00" ? "01" : "00"));
    const markTls = (await sesmanLog(guest)).split("\n").length;
    const mitm = startRdpClient(
      display,
      rdpFile,
      guest.ip,
      password,
      `deny,${freerdpFingerprintOption(wrongFingerprint)}`,
    );
    clients.push(mitm);
    const exitCode = await waitUntil(
      "xfreerdp to give up on a certificate that does not match the pinned fingerprint",
      30_000,
      async () => (mitm.exitCode === null ? undefined : mitm.exitCode),
      () => diagnostics(guest, mitm),
    );
    expect(exitCode, "xfreerdp exits with an error").not.to.equal(0);
    await sleep(2000);
    const afterTls = (await sesmanLog(guest)).split("\n").slice(markTls - 1);
    expect(
      afterTls.filter((l) => /AUTH|Session started/.test(l)),
      "no login reaches sesman when the certificate is not the pinned one",
    ).to.deep.equal([]);

    // 6. A wrong password: sesman refuses it and starts no session.
    const mark = (await sesmanLog(guest)).split("\n").length;
    const bad = startRdpClient(display, rdpFile, guest.ip, `${password}-wrong`, pinned);
    clients.push(bad);
    const refused = await waitUntil(
      "sesman to refuse the wrong password",
      60_000,
      async () => {
        const lines = (await sesmanLog(guest)).split("\n").slice(mark - 1);
        return lines.find((l) => new RegExp(`AUTHFAIL: user=${EMPLOYEE} `).test(l));
      },
      () => diagnostics(guest, bad),
    );
    expect(refused).to.contain(`AUTHFAIL: user=${EMPLOYEE}`);
    await sleep(5000);
    const after = (await sesmanLog(guest)).split("\n").slice(mark - 1);
    expect(
      after.filter((l) => SESSION_STARTED.test(l)),
      "no session for a wrong password",
    ).to.deep.equal([]);
    stopProcess(bad);

    // 7. cloud-init's modules again (forced): no error, no change.
    const stateBefore = await managedState(guest);
    const rerun = await guest.exec(
      [
        "set -e",
        ...[
          "write_files",
          "write_files_deferred",
          "users_groups",
          "set_passwords",
          "set_hostname",
          "update_etc_hosts",
          "runcmd",
          "scripts_user",
        ].map((m) => `echo "== ${m}"; cloud-init single --name ${m} --frequency always 2>&1`),
      ].join("\n"),
      { allowFailure: true },
    );
    expect(rerun.exitCode, rerun.stdout + rerun.stderr).to.equal(0);
    expect(rerun.stdout, "the setup script reports no change on the second run").not.to.match(/changed:/);
    expect(rerun.stdout).not.to.match(/Traceback|failed|ERROR/i);
    expect(await managedState(guest)).to.equal(stateBefore);
    const xrdpStill = await guest.exec("systemctl is-active xrdp");
    expect(xrdpStill.stdout.trim()).to.equal("active");
  });
});
