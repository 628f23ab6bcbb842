// The guests' session reporter (the pool renders it into every desktop's user data) run for real
// with python3 on this machine against the portal listening on a real socket: no connection on the
// watched port → the portal's ledger says idle; a real TCP connection to it → active; a wrong token
// → refused (401), the token never printed. The cloud behind the portal is the in-memory Nova of
// app.test.ts (Nova is not under test; autostop-guest.test.ts shelves on minicloud's real one).
import { expect } from "chai";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { SESSION_REPORT_SCRIPT, sessionReportUrl } from "../../components/src/desktop/session-report";
import { sha512Crypt } from "@openstack-blueprints/components/thin-client";
import { buildPortal, DesktopAction, DesktopCloud, parsePortalConfig, reportTokenHash } from "../src";

const MIN = 60_000;

class MemoryNova implements DesktopCloud {
  readonly servers = new Map([["srv-a", "ACTIVE"]]);
  readonly calls: string[] = [];
  async state(id: string) {
    return { status: this.servers.get(id) ?? "MISSING", taskState: null, addresses: [] };
  }
  async act(id: string, action: DesktopAction) {
    this.calls.push(`${action} ${id}`);
    this.servers.set(id, action === "shelve" ? "SHELVED_OFFLOADED" : "ACTIVE");
  }
  close() {}
}

describe("session reporter (python3) against the portal on a real socket", function () {
  this.timeout(60_000);
  const token = randomBytes(36).toString("base64url");
  let dir: string;
  let app: FastifyInstance;
  let nova: MemoryNova;
  let clock = Date.UTC(2026, 11, 7, 8, 0);
  let sessionPort: number;
  let listener: net.Server;
  const sockets: net.Socket[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "session-report-"));
    nova = new MemoryNova();
    app = await buildPortal(
      parsePortalConfig({
        cloud: "office",
        insecureHttpCookies: true,
        autoStop: { idleMinutes: 30 },
        desktops: {
          alice: {
            serverId: "srv-a",
            passwordHash: sha512Crypt("AlicePassw0rd12", { salt: "0123456789abcdef" }),
            reportTokenHash: reportTokenHash(token),
          },
        },
      }),
      nova,
      { now: () => clock },
    );
    await app.listen({ host: "127.0.0.1", port: 0 });
    // Stands for xrdp's 3389: the reporter counts established connections to this port.
    listener = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    sessionPort = (listener.address() as net.AddressInfo).port;
    fs.writeFileSync(path.join(dir, "reporter.py"), SESSION_REPORT_SCRIPT);
    const portalUrl = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}/`;
    for (const [name, t] of [
      ["token", token],
      ["wrong-token", randomBytes(36).toString("base64url")],
    ]) {
      fs.writeFileSync(path.join(dir, name), `${t}\n`, { mode: 0o600 });
      fs.writeFileSync(
        path.join(dir, `${name}.json`),
        JSON.stringify({
          url: sessionReportUrl(portalUrl, "alice"),
          port: sessionPort,
          tokenFile: path.join(dir, name),
        }),
      );
    }
  });

  after(async () => {
    sockets.forEach((s) => s.destroy());
    listener?.close();
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronously: the portal answers from this same process.
  const runReporter = (config = "token.json") =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
      execFile("python3", [path.join(dir, "reporter.py"), path.join(dir, config)], (error, stdout, stderr) =>
        resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const aliceReason = async () => (await app.autoStopOnce()).find((d) => d.employee === "alice")!.reason;

  it("reports no session, then a session while a client is connected, and the portal follows", async () => {
    const idle = await runReporter();
    expect(idle.status, idle.stderr).to.equal(0);
    expect(idle.stdout).to.match(/^reported active=false \(0 connection\(s\) on port \d+\): HTTP 204/);
    expect(await aliceReason()).to.equal("idle for 0 of 30 min");

    const client = net.connect(sessionPort, "127.0.0.1");
    sockets.push(client);
    await new Promise((resolve) => client.once("connect", resolve));
    const active = await runReporter();
    expect(active.status, active.stderr).to.equal(0);
    expect(active.stdout).to.match(/^reported active=true \([12] connection\(s\)/);
    expect(await aliceReason()).to.equal("a session is active");

    // The client leaves; 31 minutes later the guest still reports no session: shelved.
    sockets.forEach((s) => s.destroy());
    await new Promise((r) => setTimeout(r, 200));
    expect((await runReporter()).stdout).to.match(/^reported active=false/);
    clock += 31 * MIN;
    expect((await runReporter()).stdout).to.match(/^reported active=false/);
    expect(await aliceReason()).to.match(/^no session for 31 min/);
    expect(nova.calls).to.deep.equal(["shelve srv-a"]);
  });

  it("a wrong token is refused with 401 and the token is not printed", async () => {
    const wrong = await runReporter("wrong-token.json");
    expect(wrong.status).to.equal(1);
    expect(wrong.stderr).to.contain("the portal refused the report: HTTP 401");
    const wrongToken = fs.readFileSync(path.join(dir, "wrong-token"), "utf8").trim();
    expect(wrong.stderr + wrong.stdout).not.to.contain(wrongToken);
  });
});
