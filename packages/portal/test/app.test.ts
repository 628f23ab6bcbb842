// The portal's HTTP behaviour through Fastify's inject (no socket). The cloud behind it is a small
// in-memory Nova (the portal is under test here, not Nova; portal-browser.test.ts runs the real one).
import { expect } from "chai";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { sha512Crypt } from "@openstack-blueprints/components/thin-client";
import { buildPortal, DesktopAction, DesktopCloud, parsePortalConfig, reportTokenHash } from "../src";

const PASSWORDS = { alice: "AlicePassw0rd12", bob: "BobPassw0rd1234", root: "RootPassw0rd123" };
const HTTPS = { "x-forwarded-proto": "https" };
const hash = (pw: string) => sha512Crypt(pw, { salt: "0123456789abcdef" });

class MemoryNova implements DesktopCloud {
  readonly servers = new Map<string, string>([
    ["srv-a", "ACTIVE"],
    ["srv-b", "ACTIVE"],
  ]);
  readonly calls: string[] = [];
  async state(id: string) {
    return { status: this.servers.get(id) ?? "MISSING", taskState: null, addresses: ["10.0.0.99"] };
  }
  async act(id: string, action: DesktopAction) {
    this.calls.push(`${action} ${id}`);
    const next = { start: "ACTIVE", stop: "SHUTOFF", shelve: "SHELVED_OFFLOADED", unshelve: "ACTIVE" }[action];
    this.servers.set(id, next);
  }
  close() {}
}

/** A browser in miniature: keeps the session cookie, reads CSRF tokens from pages. */
class Browser {
  cookie = "";
  constructor(private readonly app: FastifyInstance) {}
  async get(url: string) {
    return this.keep(
      await this.app.inject({
        method: "GET",
        url,
        headers: { ...HTTPS, ...(this.cookie ? { cookie: this.cookie } : {}) },
      }),
    );
  }
  async post(url: string, form: Record<string, string>) {
    return this.keep(
      await this.app.inject({
        method: "POST",
        url,
        headers: {
          ...HTTPS,
          "content-type": "application/x-www-form-urlencoded",
          ...(this.cookie ? { cookie: this.cookie } : {}),
        },
        payload: new URLSearchParams(form).toString(),
      }),
    );
  }
  async csrf(url: string) {
    const page = await this.get(url);
    return /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  }
  async signIn(username: string, password: string) {
    return this.post("/signin", { _csrf: await this.csrf("/signin"), username, password });
  }
  private keep(r: LightMyRequestResponse) {
    const set = r.headers["set-cookie"];
    const first = Array.isArray(set) ? set[0] : set;
    if (first) this.cookie = first.split(";")[0];
    return r;
  }
}

describe("portal web app (two employees and an admin of a small firm's office)", () => {
  let app: FastifyInstance;
  let nova: MemoryNova;
  beforeEach(async () => {
    nova = new MemoryNova();
    const config = parsePortalConfig({
      cloud: "office",
      // As behind the HTTPS proxy a deployed portal has: requests say https, so Secure cookies are set.
      trustProxy: ["127.0.0.1"],
      signIn: { maxFailures: 3, lockoutMinutes: 15, attemptsPerMinutePerAddress: 100 },
      desktops: {
        alice: {
          serverId: "srv-a",
          passwordHash: hash(PASSWORDS.alice),
          address: "10.0.0.11",
          hostname: "office-alice",
        },
        bob: { serverId: "srv-b", passwordHash: hash(PASSWORDS.bob), address: "10.0.0.12" },
      },
      admins: { root: { passwordHash: hash(PASSWORDS.root) } },
    });
    app = await buildPortal(config, nova);
  });
  afterEach(() => app.close());

  it("signs an employee in with a HttpOnly, Secure, SameSite=Strict cookie and shows only their desktop", async () => {
    const alice = new Browser(app);
    const signedIn = await alice.signIn("alice", PASSWORDS.alice);
    expect(signedIn.statusCode).to.equal(303);
    expect(signedIn.headers.location).to.equal("/desktop");
    const cookie = String(signedIn.headers["set-cookie"]);
    expect(cookie)
      .to.match(/HttpOnly/i)
      .and.match(/Secure/)
      .and.match(/SameSite=Strict/i);
    const page = await alice.get("/desktop");
    expect(page.statusCode).to.equal(200);
    expect(page.body).to.include("office-alice").and.include("10.0.0.11").and.include("running");
    expect(page.body).not.to.include("10.0.0.12").and.not.to.include("bob").and.not.to.include("srv-b");
    expect(page.body).not.to.include(PASSWORDS.alice).and.not.to.include("$6$");
    expect(page.headers["content-security-policy"]).to.include("default-src 'self'");
    expect(page.headers["cache-control"]).to.equal("no-store");
  });

  it("serves the employee's .rdp file as the pool renders it, without a password", async () => {
    const alice = new Browser(app);
    await alice.signIn("alice", PASSWORDS.alice);
    const rdp = await alice.get("/desktop/connection.rdp");
    expect(rdp.headers["content-disposition"]).to.equal('attachment; filename="alice.rdp"');
    expect(rdp.body).to.include("full address:s:10.0.0.11\r\nusername:s:alice\r\n");
    const remmina = await alice.get("/desktop/connection.remmina");
    expect(remmina.body).to.include("server=10.0.0.11").and.include("password=\n");
  });

  it("shelves the employee's own desktop, and refuses a forged request for another's with a valid CSRF token", async () => {
    const alice = new Browser(app);
    await alice.signIn("alice", PASSWORDS.alice);
    const token = await alice.csrf("/desktop");
    const forged = await alice.post("/desktop/action", { _csrf: token, action: "shelve", server: "srv-b" });
    expect(forged.statusCode).to.equal(403);
    expect(forged.body).to.include("that desktop is not yours");
    expect(nova.servers.get("srv-b")).to.equal("ACTIVE");
    const own = await alice.post("/desktop/action", { _csrf: token, action: "shelve" });
    expect(own.statusCode).to.equal(303);
    expect(nova.calls).to.deep.equal(["shelve srv-a"]);
    const status = JSON.parse((await alice.get("/desktop/status")).body);
    expect(status).to.deep.include({ status: "SHELVED_OFFLOADED", statusText: "shelved", actions: ["unshelve"] });
    expect(status.progress).to.deep.include({ action: "shelve", done: true });
  });

  it("refuses any change without the session's CSRF token", async () => {
    const alice = new Browser(app);
    await alice.signIn("alice", PASSWORDS.alice);
    const noToken = await alice.post("/desktop/action", { action: "shelve" });
    expect(noToken.statusCode).to.equal(403);
    const otherToken = await new Browser(app).csrf("/signin");
    const wrongToken = await alice.post("/desktop/action", { _csrf: otherToken, action: "shelve" });
    expect(wrongToken.statusCode).to.equal(403);
    expect(nova.calls).to.deep.equal([]);
  });

  it("says the same for a wrong password and an unknown name, and locks a name out after 3 failures", async () => {
    const mallory = new Browser(app);
    const wrong = await mallory.signIn("alice", "guess-1");
    const unknown = await mallory.signIn("nobody", "guess-1");
    expect(wrong.statusCode).to.equal(401);
    expect(unknown.statusCode).to.equal(401);
    expect(wrong.body).to.include("Wrong user name or password.");
    expect(unknown.body).to.include("Wrong user name or password.");
    await mallory.signIn("alice", "guess-2");
    await mallory.signIn("alice", "guess-3");
    // Locked: even the right password is refused now.
    const locked = await new Browser(app).signIn("alice", PASSWORDS.alice);
    expect(locked.statusCode).to.equal(429);
    expect(locked.body).to.include("Too many failed sign-ins for this user name. Try again in 15 min");
    expect((await new Browser(app).signIn("bob", PASSWORDS.bob)).statusCode).to.equal(303);
  });

  it("shows the admin every desktop and who is active; an employee cannot open the admin page", async () => {
    const alice = new Browser(app);
    await alice.signIn("alice", PASSWORDS.alice);
    expect((await alice.get("/admin")).statusCode).to.equal(403);
    const root = new Browser(app);
    expect((await root.signIn("root", PASSWORDS.root)).headers.location).to.equal("/admin");
    const page = await root.get("/admin");
    expect(page.body).to.include("office-alice").and.include("10.0.0.12");
    expect(page.body).to.match(/data-employee="alice"[\s\S]*?yes, last at/);
    expect(page.body).to.match(/data-employee="bob"[\s\S]*?<td class="portal-active">no<\/td>/);
    // An admin acts on nobody's desktop through the employee form.
    const token = await root.csrf("/admin");
    expect((await root.post("/desktop/action", { _csrf: token, action: "stop", server: "srv-a" })).statusCode).to.equal(
      403,
    );
  });

  it("signs out: the old cookie no longer opens the desktop page", async () => {
    const alice = new Browser(app);
    await alice.signIn("alice", PASSWORDS.alice);
    const cookie = alice.cookie;
    await alice.post("/signout", { _csrf: await alice.csrf("/desktop") });
    const again = await app.inject({ method: "GET", url: "/desktop", headers: { ...HTTPS, cookie } });
    expect(again.statusCode).to.equal(303);
    expect(again.headers.location).to.equal("/signin");
  });
});

describe("portal AutoStop: guests report their sessions with their own token", () => {
  const MIN = 60_000;
  let clock = Date.UTC(2026, 11, 7, 8, 0);
  let app: FastifyInstance;
  let nova: MemoryNova;
  const tokens = { alice: "alice-report-token-0123456789abcdef", bob: "bob-report-token-0123456789abcdef" };
  beforeEach(async () => {
    nova = new MemoryNova();
    app = await buildPortal(
      parsePortalConfig({
        cloud: "office",
        autoStop: { idleMinutes: 60, reportTimeoutMinutes: 15 },
        desktops: {
          alice: {
            serverId: "srv-a",
            passwordHash: hash(PASSWORDS.alice),
            reportTokenHash: reportTokenHash(tokens.alice),
          },
          bob: { serverId: "srv-b", passwordHash: hash(PASSWORDS.bob), reportTokenHash: reportTokenHash(tokens.bob) },
        },
        admins: { root: { passwordHash: hash(PASSWORDS.root) } },
      }),
      nova,
      { now: () => clock },
    );
  });
  afterEach(() => app.close());
  const report = (employee: string, token: string, active: boolean) =>
    app.inject({
      method: "POST",
      url: `/api/desktops/${employee}/session`,
      headers: { authorization: `Bearer ${token}` },
      payload: { active },
    });

  it("refuses a report without the desktop's own token (another desktop's token included)", async () => {
    expect((await report("alice", tokens.bob, false)).statusCode).to.equal(401);
    expect((await report("alice", "", false)).statusCode).to.equal(401);
    expect((await report("nobody", tokens.alice, false)).statusCode).to.equal(401);
    expect((await report("alice", tokens.alice, false)).statusCode).to.equal(204);
  });

  it("shelves the desktop with no session past the limit and keeps the one with an active session", async () => {
    for (let m = 0; m <= 70; m += 5) {
      await report("alice", tokens.alice, true);
      await report("bob", tokens.bob, false);
      clock += 5 * MIN;
    }
    const plan = await app.autoStopOnce();
    expect(plan.map((d) => [d.employee, d.action])).to.deep.equal([
      ["alice", "keep"],
      ["bob", "shelve"],
    ]);
    expect(nova.calls).to.deep.equal(["shelve srv-b"]);
    expect(nova.servers.get("srv-a")).to.equal("ACTIVE");
    // Shelved now: the next round leaves it alone.
    expect((await app.autoStopOnce()).find((d) => d.employee === "bob")?.reason).to.equal(
      "not running (SHELVED_OFFLOADED)",
    );
  });
});
