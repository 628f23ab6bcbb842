/**
 * ThinClientDesktopPool's Jupyter workspace end to end on minicloud's real guests, through the real
 * Pulumi engine: a college lab of one student (test/engine/programs/jupyter-guests), whose
 * notebook server is booted by Nova's libvirt driver (QEMU TCG) in zone `guests` from the desktop
 * variant of the guest image (`debian-12-desktop`: Debian's jupyter-notebook and python3-ipykernel
 * are baked beside xrdp, as the guests have no internet; imageHasDesktopPackages), on the network
 * and router the pool makes with the zone hint `guests`. Then what the student relies on:
 *  - the server runs as the student, and this host (a thin client, 172.24.4.1) logs in over HTTPS
 *    through the floating IP with the generated password, read from the stack's secret output;
 *    TLS accepts only the certificate the admin read from the guest over their key-only SSH (its
 *    public key pinned: a wrong pin is refused); a Python kernel starts and runs code as the
 *    student over its WebSocket, as the notebook page does; a wrong password is refused;
 *  - AutoStop's session reports (`sessionReports`): the real self-service portal (startPortal,
 *    against minicloud's Nova) on this host's address on `public`; the guest's timer posts its
 *    first report with its own token; while the kernel's WebSocket is open the reporter (its unit
 *    run now) counts the connection on Jupyter's port and the portal hears "a session is active";
 *    closed, it hears idle again;
 *  - a thin client outside `thinClientCidr` (172.24.4.254) has Jupyter's port dropped by the
 *    security group while the block's address connects (desktops-guests.engine.test.ts shows with
 *    an added rule that the path itself works: the same network path and driver);
 *  - destroy leaves nothing in the cloud (checked through the APIs, not Pulumi's state).
 * Not exercised here: JupyterLab ("lab" installs from PyPI, which the guests cannot reach).
 *
 * Needs the engine, the guests profile (`minicloud up --guests`), the desktop guest image built by
 * the machine's setup (.ci/setup.d/15-guest-image.sh; uploaded here when Glance lacks that build)
 * and root (the outside address on the provider veth). Elsewhere it skips with the reason; under
 * CI it fails. Run it under the exclusive lock (`flock /tmp/minicloud.lock`): it boots a TCG guest.
 */
import { expect } from "chai";
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import { DESKTOP_GUEST_IMAGE, ensureGuestImage, guestImageScript } from "../../packages/minicloud/src/guests";
import { EXTERNAL_NETWORK, GUESTS_AZ, GUESTS_HOST, PROVIDER_PEER, endpoint } from "../../packages/minicloud/src/layout";
import { NOVA_MICROVERSION, request } from "../../packages/minicloud/src/rest";
import { session } from "../../packages/minicloud/test/cloud-access";
import { guestSsh, requireGuests, serverConsoleTail, waitUntil } from "../../packages/minicloud/test/guest-scenario";
import { SESSION_REPORT_SERVICE } from "../../packages/components/src/desktop/session-report";
import { JUPYTER_PORT, JUPYTER_UNIT } from "../../packages/components/src/desktop/jupyter-user-data";
import {
  JupyterTls,
  curl,
  deleteKernel,
  login,
  openKernel,
  startKernel,
} from "../../packages/components/test/desktop/support/jupyter-client";
import {
  AutoStopDecision,
  desktopsFromStackOutputs,
  parsePortalConfig,
  RunningPortal,
  startPortal,
} from "../../packages/portal/src";
import { leftovers } from "./cloud-checks";
import { CloudResource, EngineStack, REPO_ROOT, changes, requireEngine } from "./pulumi-engine";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";
import { freePort, probeFrom } from "@openstack-blueprints/test-harness/src/tcp-probes";

const execFileP = promisify(execFile);
const CLOUD = "minicloud-a";
const PROJECT = "engine-test-jupyter-guests";
const STUDENT = "carol";
/** The thin clients' block: holds this host's address on `public` (172.24.4.1), not .254. */
const THIN_CLIENT_CIDR = "172.24.4.0/29";
const ADMIN_CIDR = `${EXTERNAL_NETWORK.gateway}/32`;
/** A thin client outside the block: on `public`, beyond the floating-IP pool (.10–.250). */
const OUTSIDE_ADDRESS = "172.24.4.254";
const ADMIN_USER = "deskadmin";
const IDLE_MINUTES = 30;
const SNAKEOIL_CERT = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

type Desktop = { serverId: string; floatingIp: string; fixedIp: string; hostname: string };

describe("real engine: ThinClientDesktopPool's Jupyter workspace on minicloud's real guests (HTTPS login through a floating IP)", function () {
  this.timeout(20 * 60_000);
  let bin: string;
  let client: OpenStackClient | undefined;
  let stack: EngineStack | undefined;
  let work = "";
  let keyFile = "";
  let addedOutside = false;
  let ids: CloudResource[] = [];
  let desktop: Desktop | undefined;
  let password = "";
  let base = "";
  let tls: JupyterTls | undefined;
  let portal: RunningPortal | undefined;
  let portalUrl = "";
  const t0 = Date.now();
  const phase = (name: string, since: number) =>
    console.log(`    ${name}: ${((Date.now() - since) / 1000).toFixed(1)} s`);

  before(async function () {
    bin = requireEngine(this);
    await requireGuests(this);
    const built =
      spawnSync("bash", [guestImageScript(), "--variant", DESKTOP_GUEST_IMAGE.variant, "--print-dir"]).status === 0;
    const why =
      process.getuid?.() !== 0
        ? "root is needed (the outside thin client's address on the provider veth)"
        : !built
          ? "the desktop guest image (with Jupyter) is not built for this recipe: run `bash .ci/setup.d/15-guest-image.sh` (or build-guest-image.sh --variant desktop)"
          : undefined;
    if (why) unavailableHere(this, why);
    let start = Date.now();
    const admin = await session("minicloud-admin");
    const imageId = await ensureGuestImage(admin, (m) => console.log(`    ${m}`), DESKTOP_GUEST_IMAGE);
    phase(`desktop image ${DESKTOP_GUEST_IMAGE.name} uploaded (already there: a lookup)`, start);
    client = await new OpenStackClient(loadCloud(CLOUD)).connect();

    work = fs.mkdtempSync(path.join(os.tmpdir(), "jupyter-guests-"));
    keyFile = path.join(work, "admin_ed25519");
    await execFileP("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "jupyter-guests-admin", "-f", keyFile]);
    const addrs = spawnSync("ip", ["-o", "-4", "addr", "show", "dev", PROVIDER_PEER], { encoding: "utf8" }).stdout;
    if (!addrs.includes(` ${OUTSIDE_ADDRESS}/32 `)) {
      const r = spawnSync("ip", ["addr", "add", `${OUTSIDE_ADDRESS}/32`, "dev", PROVIDER_PEER], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`ip addr add ${OUTSIDE_ADDRESS}/32 dev ${PROVIDER_PEER}: ${r.stderr}`);
      addedOutside = true;
    }
    // The portal as the guest reaches it (this host on `public`, behind the router's SNAT); its
    // port is chosen now: the URL goes into the user data.
    portalUrl = `http://${EXTERNAL_NETWORK.gateway}:${await freePort(EXTERNAL_NETWORK.gateway)}/`;

    start = Date.now();
    stack = new EngineStack(bin, {
      programDir: path.join(REPO_ROOT, "test/engine/programs/jupyter-guests"),
      runName: "jupyter-guests",
      cloud: CLOUD,
      config: {
        [`${PROJECT}:thinClientCidr`]: THIN_CLIENT_CIDR,
        [`${PROJECT}:adminCidr`]: ADMIN_CIDR,
        [`${PROJECT}:dnsNameserver`]: EXTERNAL_NETWORK.gateway,
        [`${PROJECT}:portalUrl`]: portalUrl,
        [`${PROJECT}:adminPublicKey`]: fs.readFileSync(`${keyFile}.pub`, "utf8").trim(),
        [`${PROJECT}:imageId`]: imageId,
      },
      timeoutMs: 15 * 60_000,
    });
    await stack.init();
    phase("stack init", start);
  });

  after(async function () {
    await portal?.close().catch(() => undefined);
    const problems: string[] = [];
    if (stack) {
      const start = Date.now();
      const left = await stack.cloudResources().catch(() => []);
      if (left.length > 0) {
        const r = await stack.run(["destroy", "--yes", "--skip-preview"]);
        if (r.code !== 0) problems.push(`destroy in after() exited ${r.code}: ${r.stderr.slice(-500)}`);
        phase("destroy (cleanup after a failure)", start);
      }
      await stack.remove();
    }
    if (addedOutside) spawnSync("ip", ["addr", "del", `${OUTSIDE_ADDRESS}/32`, "dev", PROVIDER_PEER]);
    client?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (problems.length) throw new Error(problems.join("\n"));
  });

  const ssh = (command: string, timeoutMs = 60_000): Promise<string> =>
    guestSsh({ keyFile, user: ADMIN_USER }, desktop!.floatingIp, command, timeoutMs);

  it("up: the notebook server ACTIVE on the libvirt host in zone `guests`, a floating IP, the password only as a secret", async () => {
    const start = Date.now();
    const up = await stack!.up();
    phase("pulumi up (network, router, security group, server to ACTIVE, floating IP)", start);
    expect(changes(up.summary)).to.have.keys("create");
    ids = await stack!.cloudResources();
    const outputs = await stack!.outputs();
    desktop = (outputs.desktops as Record<string, Desktop>)[STUDENT];
    password = (outputs.passwords as Record<string, string>)[STUDENT];
    const token = (outputs.reportTokens as Record<string, string>)[STUDENT];
    const url = (outputs.jupyterUrls as Record<string, string>)[STUDENT];
    expect(password).to.match(/^[A-Za-z0-9]{20}$/);
    expect(token).to.match(/^[A-Za-z0-9]{48}$/);
    const plain = await stack!.plainOutputs();
    const state = JSON.stringify(await stack!.exportState());
    for (const secret of [password, token]) {
      expect(plain, "the plain outputs never show the password or the report token").not.to.include(secret);
      expect(state, "the state holds the password and the token only encrypted").not.to.include(secret);
    }
    expect(desktop.floatingIp).to.match(/^172\.24\.4\.\d+$/);
    expect(url, "the pool's URL for the student").to.equal(`https://${desktop.floatingIp}:${JUPYTER_PORT}/`);
    base = url;
    const admin = await session("minicloud-admin");
    const sv = (
      await request(admin, "GET", `${endpoint("nova")}/servers/${desktop.serverId}`, { headers: NOVA_MICROVERSION })
    ).body.server;
    expect(sv.status).to.equal("ACTIVE");
    expect(sv["OS-EXT-AZ:availability_zone"]).to.equal(GUESTS_AZ);
    expect(sv["OS-EXT-SRV-ATTR:host"]).to.equal(GUESTS_HOST);
    console.log(`    ${STUDENT}: ${desktop.hostname} ${desktop.fixedIp} -> ${desktop.floatingIp}`);

    // The real portal, configured from the stack's outputs (it keeps the token's hash only).
    const listen = new URL(portalUrl);
    portal = await startPortal(
      parsePortalConfig({
        cloud: CLOUD,
        listen: { host: listen.hostname, port: Number(listen.port) },
        insecureHttpCookies: true,
        autoStop: { idleMinutes: IDLE_MINUTES, checkEveryMinutes: 60 },
        desktops: desktopsFromStackOutputs(outputs, "the jupyter-guests stack's outputs", ""),
      }),
    );
    expect(portal.url).to.equal(portalUrl);
  });

  it("the student logs in over HTTPS through the floating IP (the server's key pinned) and a kernel runs code as them; a wrong password is refused", async () => {
    expect(desktop, "the up step deployed the pool").to.not.equal(undefined);
    let start = Date.now();
    await waitUntil(`ssh as ${ADMIN_USER} on ${desktop!.floatingIp}`, 600, async () =>
      (await ssh("true", 20_000)) === "" ? true : undefined,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\nconsole:\n${await serverConsoleTail(CLOUD, desktop!.serverId, 40)}`);
    });
    phase(`ssh on the floating IP (since the suite began: ${((Date.now() - t0) / 1000).toFixed(0)} s)`, start);
    const status = await waitUntil("cloud-init", 600, () => ssh("cloud-init status --wait --long; true", 10 * 60_000));
    phase("cloud-init done", start);
    if (!/^status: done$/m.test(status))
      console.log(
        await ssh(
          `sudo tail -n 40 /var/log/cloud-init-output.log; sudo journalctl -n 30 --no-pager -u ${JUPYTER_UNIT}`,
        ),
      );
    expect(status).to.match(/^status: done$/m);
    expect(status, "cloud-init ran without errors (nothing needed the internet)").to.not.match(/errors:\s*\n\s*-/);
    expect(
      (await ssh(`sudo systemctl is-active ${JUPYTER_UNIT}; ps -o user= -C jupyter-notebook | sort -u`)).trim(),
    ).to.equal(`active\n${STUDENT}`);

    // The certificate the server presents, read by the admin over SSH (the connection sheet's
    // way): its public key is the only one this thin client accepts.
    tls = { certificatePem: await ssh(`cat ${SNAKEOIL_CERT}`) };
    expect(tls.certificatePem).to.contain("BEGIN CERTIFICATE");
    // The server may still be starting (Python imports are slow under TCG).
    const reachable = await waitUntil("Jupyter on its floating IP over HTTPS", 180, async () => {
      const probe = path.join(work, "probe-jar");
      return curl(probe, [`${base}login`], tls).status === 200 ? true : undefined;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await ssh(`sudo journalctl -n 30 --no-pager -u ${JUPYTER_UNIT}`)}`);
    });
    expect(reachable).to.equal(true);
    phase("Jupyter answers through the floating IP", start);
    // Another key is refused before anything is sent (curl: 90, SSL public key does not match).
    const otherKey = spawnSync(
      "curl",
      [
        "-sk",
        "--pinnedpubkey",
        "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "-o",
        "/dev/null",
        `${base}login`,
      ],
      { encoding: "utf8" },
    );
    expect(otherKey.status, "curl with a wrong pin").to.equal(90);

    start = Date.now();
    const good = login(base, password, tls);
    expect(good.answer.status, good.answer.body.slice(0, 400)).to.equal(302);
    expect(good.answer.location).to.match(/\/tree$/);
    const contents = curl(good.jar, [`${base}api/contents`], tls);
    expect(contents.status).to.equal(200);
    expect(JSON.parse(contents.body)).to.include({ type: "directory", path: "" });
    const kernelId = startKernel(base, good.jar, tls);
    const kernel = await openKernel(base, good.jar, kernelId, tls);
    try {
      const ran = await kernel.execute("import getpass, socket; print(getpass.getuser(), socket.gethostname(), 6 * 7)");
      expect(ran.status).to.equal("ok");
      expect(ran.stdout.trim(), "the kernel ran the cell as the student, on their server").to.equal(
        `${STUDENT} ${desktop!.hostname} 42`,
      );
      phase("login -> kernel started -> code ran", start);

      // AutoStop's reporter: the first report (the guest's timer) reached the portal with the
      // guest's own token; with the kernel's WebSocket open (a notebook tab), the reporter's unit,
      // run now, counts the connection on Jupyter's port and the portal hears an active session.
      start = Date.now();
      const reason = async () =>
        ((await portal!.app.autoStopOnce()) as AutoStopDecision[]).find((d) => d.employee === STUDENT)?.reason ?? "";
      const reporterLog = () =>
        ssh(`sudo journalctl -u ${SESSION_REPORT_SERVICE} -n 5 --no-pager`).catch((err: Error) => err.message);
      const first = await waitUntil("the guest's first session report at the portal", 150, async () => {
        const r = await reason();
        return r.startsWith("no report") ? undefined : r;
      }).catch(async (err: Error) => {
        throw new Error(`${err.message}\nthe reporter:\n${await reporterLog()}`);
      });
      phase(`first report heard by the portal (${first})`, start);
      expect(await reporterLog()).to.match(
        new RegExp(`reported active=(true|false) \\(\\d+ connection\\(s\\) on port ${JUPYTER_PORT}\\): HTTP 204`),
      );
      await ssh(`sudo systemctl start ${SESSION_REPORT_SERVICE}`);
      expect(await reason(), "with the notebook's WebSocket open").to.equal("a session is active");
      expect(await reporterLog()).to.match(
        new RegExp(`reported active=true \\([1-9]\\d* connection\\(s\\) on port ${JUPYTER_PORT}\\): HTTP 204`),
      );
    } finally {
      await kernel.close();
    }
    deleteKernel(base, good.jar, kernelId, tls);
    const idle = await waitUntil("the portal to hear the student idle after the tab closed", 60, async () => {
      await ssh(`sudo systemctl start ${SESSION_REPORT_SERVICE}`);
      const r = ((await portal!.app.autoStopOnce()) as AutoStopDecision[]).find((d) => d.employee === STUDENT)?.reason;
      return r?.startsWith("idle for") ? r : undefined;
    });
    expect(idle).to.match(new RegExp(`^idle for \\d+ of ${IDLE_MINUTES} min$`));

    // A wrong password: no session, the API stays closed.
    const bad = login(base, `${password}-wrong`, tls);
    expect(bad.answer.status, "the wrong password's answer").not.to.equal(302);
    expect(curl(bad.jar, [`${base}api/contents`], tls).status).to.equal(403);
  });

  it("a thin client outside thinClientCidr is dropped by the security group; the block's address connects", async () => {
    expect(desktop, "the up step deployed the pool").to.not.equal(undefined);
    const fip = desktop!.floatingIp;
    expect(await probeFrom(EXTERNAL_NETWORK.gateway, fip, JUPYTER_PORT), "from inside the block").to.equal("connected");
    expect(await probeFrom(OUTSIDE_ADDRESS, fip, JUPYTER_PORT), `from ${OUTSIDE_ADDRESS}`).to.equal("timeout");
    expect(await probeFrom(OUTSIDE_ADDRESS, fip, 22), "SSH from outside the admin's address").to.equal("timeout");
  });

  it("destroy leaves nothing: the APIs show none of the stack's resources", async () => {
    expect(ids.length, "the up step recorded the stack's resources").to.be.greaterThan(0);
    const start = Date.now();
    const destroyed = await stack!.destroy();
    phase("pulumi destroy", start);
    expect(changes(destroyed.summary)).to.have.keys("delete");
    expect(await leftovers(client!, ids)).to.deep.equal([]);
    console.log(`    whole suite: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
