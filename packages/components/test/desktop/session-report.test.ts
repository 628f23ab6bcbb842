// The guests' AutoStop reporter in the pool's user data: real cloud-init schema checks of every
// kind of desktop document that carries it, the token only in a root-only file, and the reporter
// compiled by the real python3. (packages/portal/test/session-report.test.ts runs it against a
// portal; packages/portal/test/autostop-guest.test.ts in a booted guest.)
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCloudConfig } from "../../src/cloudinit/cloud-config";
import { renderBakedDesktopUserData, renderDesktopUserData } from "../../src/desktop/desktop-user-data";
import { jupyterPasswordHash, renderJupyterUserData } from "../../src/desktop/jupyter-user-data";
import {
  SESSION_REPORT_CA_PATH,
  SESSION_REPORT_CONFIG_PATH,
  SESSION_REPORT_SCRIPT,
  SESSION_REPORT_SCRIPT_PATH,
  SESSION_REPORT_SERVICE,
  SESSION_REPORT_SERVICE_UNIT,
  SESSION_REPORT_TIMER,
  SESSION_REPORT_TIMER_UNIT,
  SESSION_REPORT_TOKEN_PATH,
  sessionReportCloudConfig,
  sessionReportTokenHash,
  sessionReportUrl,
} from "../../src/desktop/session-report";
import { sha512Crypt } from "../../src/desktop/sha512-crypt";
import { assertValidCloudConfig } from "@openstack-blueprints/test-harness";

const HASH = sha512Crypt("not-a-real-password", { salt: "unitTestSalt0123" });
const TOKEN = "ReportTokenForUnitTests0123456789abcdefABCDEF0123";
const CA = "-----BEGIN CERTIFICATE-----\nMIIBunitTestOnly\n-----END CERTIFICATE-----\n";
const REPORT = { portalUrl: "https://portal.office.example/", token: TOKEN };
const ALICE = { user: "alice", hashedPassword: HASH, hostname: "office-alice" };

function file(text: string, filePath: string) {
  const f = parseCloudConfig(text).write_files?.find((w) => w.path === filePath);
  expect(f, `${filePath} in the document`).to.not.equal(undefined);
  return f!;
}

describe("AutoStop session reporter in the guests' user data", () => {
  it("desktop, baked desktop and Jupyter documents with the reporter pass cloud-init schema", () => {
    const desktop = renderDesktopUserData({ installPackages: false }, ALICE, REPORT);
    const baked = renderBakedDesktopUserData(ALICE, { ...REPORT, caCertificate: CA });
    const jupyter = renderJupyterUserData(
      { port: 8899 },
      { user: "carol", hostname: "lab-carol", passwordHash: jupyterPasswordHash("x".repeat(20), "saltsalt") },
      REPORT,
    );
    for (const [label, text] of [
      ["desktop", desktop],
      ["baked desktop", baked],
      ["jupyter", jupyter],
    ] as const) {
      assertValidCloudConfig(text, `${label} user data with the session reporter`);
      const doc = parseCloudConfig(text);
      // The timer is enabled after the workspace's own setup (its runcmd comes last).
      expect(doc.runcmd?.at(-1)).to.deep.equal(["systemctl", "enable", "--now", "--quiet", SESSION_REPORT_TIMER]);
      // The token is in the root-only token file and nowhere else in the document.
      const token = file(text, SESSION_REPORT_TOKEN_PATH);
      expect([token.owner, token.permissions, token.content]).to.deep.equal(["root:root", "0600", `${TOKEN}\n`]);
      expect(text.split(TOKEN).length - 1, `${label}: the token appears once`).to.equal(1);
      expect(file(text, SESSION_REPORT_SCRIPT_PATH).content).to.equal(SESSION_REPORT_SCRIPT);
    }
    const config = (text: string) => JSON.parse(file(text, SESSION_REPORT_CONFIG_PATH).content);
    expect(config(desktop)).to.deep.equal({
      url: "https://portal.office.example/api/desktops/alice/session",
      port: 3389,
      tokenFile: SESSION_REPORT_TOKEN_PATH,
    });
    expect(config(baked).caFile).to.equal(SESSION_REPORT_CA_PATH);
    expect(file(baked, SESSION_REPORT_CA_PATH).content).to.equal(CA);
    expect(config(jupyter)).to.include({ url: "https://portal.office.example/api/desktops/carol/session", port: 8899 });
  });

  it("leaves the documents as they were without a portal", () => {
    const text = renderDesktopUserData({ installPackages: false }, ALICE);
    expect(text).not.to.contain("session-report");
    expect(renderBakedDesktopUserData(ALICE)).not.to.contain("session-report");
  });

  it("refuses a portal URL with credentials or of another scheme, and a short token", () => {
    const make = (portalUrl: string, token = TOKEN) =>
      sessionReportCloudConfig({ portalUrl, token, employee: "alice", port: 3389 });
    expect(() => make("ftp://portal/")).to.throw(/portalUrl "ftp:\/\/portal\/" must be an http\(s\) URL/);
    expect(() => make("https://u:p@portal/")).to.throw(/must not carry a user name or password/);
    expect(() => make("portal.office")).to.throw(/is not a URL/);
    expect(() => make("https://portal/", "short")).to.throw(/32 to 256 URL-safe characters/);
    expect(sessionReportUrl("https://portal.example/office", "bob")).to.equal(
      "https://portal.example/office/api/desktops/bob/session",
    );
    expect(sessionReportTokenHash("abc")).to.equal(
      "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("its systemd service and timer pass systemd-analyze verify", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "session-report-units-"));
    try {
      const units = [
        [SESSION_REPORT_SERVICE, SESSION_REPORT_SERVICE_UNIT],
        [SESSION_REPORT_TIMER, SESSION_REPORT_TIMER_UNIT],
      ].map(([name, text]) => {
        fs.writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
      });
      const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...units], { encoding: "utf8" });
      expect(r.error, "systemd-analyze (package systemd) is needed").to.equal(undefined);
      expect(`${r.stdout}${r.stderr}`.trim()).to.equal("");
      expect(r.status).to.equal(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the reporter compiles with the real python3", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "session-report-"));
    try {
      const script = path.join(dir, "blueprints-session-report.py");
      fs.writeFileSync(script, SESSION_REPORT_SCRIPT);
      const r = spawnSync("python3", ["-m", "py_compile", script], { encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
