/**
 * The portal in a real headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * minicloud's real Nova (fake compute driver, real state machine: shelve → SHELVED_OFFLOADED,
 * unshelve → ACTIVE). A small firm's office: alice and bob each have a desktop, root is the admin.
 * Alice signs in at a phone's screen size with the keyboard, downloads her .rdp file, shelves and
 * unshelves her desktop (Nova's state checked through the API), and is refused on bob's desktop,
 * also by a forged POST carrying her own valid CSRF token; a wrong password fails; the admin sees
 * both desktops. Screenshots go to artifacts/portal/.
 *
 * Needs minicloud (clouds minicloud-a in clouds.yaml) and /usr/bin/chromium (apt-get install
 * chromium); without them the suite is skipped with the reason, and FAILS under CI.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Browser, BrowserContext, chromium, Page } from "playwright-core";
import { sha512Crypt } from "@openstack-blueprints/components/thin-client";
import { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { parsePortalConfig, RunningPortal, startPortal } from "../src";
import { Cleanup, CLOUD, connectMinicloud, NOVA_TIMEOUT, officeServers, unavailable } from "./minicloud-office";

const CHROMIUM = process.env.PORTAL_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = path.resolve(__dirname, "../../../artifacts/portal");
const SUITE = "portal browser test";

const password = () => randomBytes(12).toString("base64url");

describe("portal in headless Chromium against minicloud (a small firm's office)", function () {
  this.timeout(15 * 60_000);
  let cloud: OpenStackClient | undefined;
  let browser: Browser | undefined;
  let portal: RunningPortal | undefined;
  const cleanup = new Cleanup();
  let servers: Record<"alice" | "bob", string>;
  const passwords = { alice: password(), bob: password(), root: password() };
  let alice: { context: BrowserContext; page: Page };

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const novaStatus = async (id: string) => (await cloud!.nova.getServer(id)).status;

  before(async function () {
    if (!fs.existsSync(CHROMIUM))
      unavailable(
        this,
        SUITE,
        `${CHROMIUM} is missing; install it with: apt-get install -y --no-install-recommends chromium`,
      );
    cloud = await connectMinicloud(this, SUITE);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    servers = await officeServers(cloud, {
      prefix: "portal-test",
      cidr: "10.91.7.0/24",
      employees: ["alice", "bob"],
      cleanup,
    });

    const hash = (pw: string) => sha512Crypt(pw, { salt: randomBytes(12).toString("base64").replace(/[+=]/g, ".") });
    portal = await startPortal(
      parsePortalConfig({
        cloud: CLOUD,
        listen: { host: "127.0.0.1", port: 0 },
        // http://127.0.0.1 in this test: Chromium would drop a Secure cookie over plain http.
        insecureHttpCookies: true,
        // No address given: the portal shows, and writes into the .rdp file, the one Nova reports.
        desktops: {
          alice: { serverId: servers.alice, passwordHash: hash(passwords.alice), hostname: "office-alice" },
          bob: { serverId: servers.bob, passwordHash: hash(passwords.bob), hostname: "office-bob" },
        },
        admins: { root: { passwordHash: hash(passwords.root) } },
      }),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false });
    // A phone's screen: the pages must work small.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
    alice = { context, page: await context.newPage() };
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await portal?.close().catch(() => undefined);
    // Servers first, then the subnet and network they used: even when a test failed halfway.
    await cleanup.runAll();
    cloud?.close();
  });

  /** Signs in with the keyboard only: type, Tab, type, Enter. */
  async function signIn(page: Page, user: string, pw: string) {
    await page.goto(portal!.url);
    await page.getByLabel("User name").focus();
    await page.keyboard.type(user);
    await page.keyboard.press("Tab");
    await page.keyboard.type(pw);
    await Promise.all([page.waitForEvent("framenavigated"), page.keyboard.press("Enter")]);
    await page.waitForLoadState("load");
  }

  it("refuses a wrong password with the same words as an unknown name", async () => {
    const { page } = alice;
    await signIn(page, "alice", `${passwords.alice}x`);
    expect(await page.locator("#signin-error").textContent()).to.equal("Wrong user name or password.");
    expect(new URL(page.url()).pathname).to.equal("/signin");
    await shot(page, "signin-wrong-password");
  });

  it("signs alice in and shows her desktop only: state, Nova's address, her files", async () => {
    const { page } = alice;
    await signIn(page, "alice", passwords.alice);
    expect(new URL(page.url()).pathname).to.equal("/desktop");
    expect(await page.locator("#status").textContent()).to.equal("running");
    const address = (await page.locator("#address").textContent())!;
    expect(address).to.match(/^10\.91\.7\.\d+$/);
    const body = (await page.locator("body").textContent())!;
    expect(body).to.include("office-alice").and.not.to.include("office-bob").and.not.to.include(servers.bob);
    expect(await page.content()).not.to.include(passwords.alice);
    const cookies = await alice.context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).to.deep.equal([["portal_session", true, "Strict"]]);
    await shot(page, "employee-desktop");
  });

  it("downloads alice's .rdp file, addressed to her desktop and holding no password", async () => {
    const { page } = alice;
    const address = (await page.locator("#address").textContent())!;
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#download-rdp").click()]);
    expect(download.suggestedFilename()).to.equal("alice.rdp");
    const rdp = fs.readFileSync((await download.path())!, "utf8");
    expect(rdp).to.include(`full address:s:${address}\r\n`).and.include("username:s:alice\r\n");
    expect(rdp).to.include("prompt for credentials:i:1").and.not.to.include(passwords.alice);
  });

  /** Clicks an action and waits until the progress display reloads the page on Nova's end state. */
  async function act(page: Page, action: string, expectedText: string) {
    await Promise.all([page.waitForEvent("framenavigated"), page.locator(`#action-${action}`).click()]);
    await page.waitForLoadState("load");
    await shot(page, `employee-${action}-progress`);
    // The page's own script polls Nova's state and reloads when the action is done: the reloaded
    // page no longer polls (no data-poll) and shows the end state.
    await page.locator("#progress:not([data-poll])").waitFor({ state: "attached", timeout: NOVA_TIMEOUT });
    expect(await page.locator("#status").textContent()).to.equal(expectedText);
    expect(await page.locator("#task").count()).to.equal(0);
  }

  it("shelves alice's desktop: Nova says SHELVED_OFFLOADED, and the page offers unshelve", async () => {
    const { page } = alice;
    await act(page, "shelve", "shelved");
    expect(await novaStatus(servers.alice)).to.equal("SHELVED_OFFLOADED");
    await page.locator("#action-unshelve").waitFor();
    expect(await page.locator("#action-shelve").count()).to.equal(0);
    expect(await novaStatus(servers.bob)).to.equal("ACTIVE");
    await shot(page, "employee-shelved");
  });

  it("unshelves it again: Nova says ACTIVE, with the progress shown until then", async () => {
    const { page } = alice;
    await act(page, "unshelve", "running");
    expect(await novaStatus(servers.alice)).to.equal("ACTIVE");
    await page.locator("#action-shelve").waitFor();
    await shot(page, "employee-unshelved");
  });

  it("refuses alice on bob's desktop, also by a forged POST with her own valid CSRF token", async () => {
    const { page, context } = alice;
    await page.goto(`${portal!.url}desktop`);
    const token = (await page.locator('input[name="_csrf"]').first().getAttribute("value"))!;
    const forged = await context.request.post(`${portal!.url}desktop/action`, {
      form: { _csrf: token, action: "stop", server: servers.bob },
      maxRedirects: 0,
    });
    expect(forged.status()).to.equal(403);
    expect(await forged.text()).to.include("that desktop is not yours");
    // The token itself was good: with it, a POST about her own desktop gets past the CSRF check
    // to the state check (starting a running desktop is refused with 409, and nothing changes).
    const own = await context.request.post(`${portal!.url}desktop/action`, {
      form: { _csrf: token, action: "start" },
      maxRedirects: 0,
    });
    expect(own.status()).to.equal(409);
    expect(await own.text()).to.include("a desktop that is running cannot start");
    const noToken = await context.request.post(`${portal!.url}desktop/action`, {
      form: { action: "stop" },
      maxRedirects: 0,
    });
    expect(noToken.status()).to.equal(403);
    expect(await (await context.request.get(`${portal!.url}admin`)).text()).to.include("this page is for admins");
    expect(await novaStatus(servers.bob)).to.equal("ACTIVE");
    expect(await novaStatus(servers.alice)).to.equal("ACTIVE");
  });

  it("shows the admin both desktops, and alice as active", async () => {
    const context = await browser!.newContext({ viewport: { width: 1024, height: 700 } });
    try {
      const page = await context.newPage();
      await signIn(page, "root", passwords.root);
      expect(new URL(page.url()).pathname).to.equal("/admin");
      const rows = page.locator("#desktops tbody tr");
      expect(await rows.count()).to.equal(2);
      expect(await page.locator('tr[data-employee="alice"] td.state').textContent()).to.equal("running");
      expect(await page.locator('tr[data-employee="bob"] td.state').textContent()).to.equal("running");
      expect(await page.locator('tr[data-employee="alice"] td.portal-active').textContent()).to.match(/^yes, last at /);
      expect(await page.locator('tr[data-employee="bob"] td.portal-active').textContent()).to.equal("no");
      await shot(page, "admin-desktops");
    } finally {
      await context.close();
    }
  });
});
