/**
 * The real Jupyter workspace test: the user data a `workspace: "jupyter"` ThinClientDesktopPool
 * generates for one employee is run by real cloud-init (NoCloud seed) in a Debian bookworm guest
 * booted with real systemd (debootstrap + systemd-nspawn, test/hosts); then this machine logs in
 * over HTTPS with the generated password read from the component's secret output, starts a
 * Python kernel through the API, and is refused with a wrong password.
 * What is real: cloud-init, systemd, Jupyter Notebook (Debian's jupyter-notebook 6.4) and its
 * password check, TLS. What is not: Nova and the Pulumi engine (the program runs under the mock
 * harness) — and the guest has no internet, so the packages come with the guest's root (as in a
 * prepared image: imageHasDesktopPackages) and the document skips the apt step. The "lab" server
 * (JupyterLab from PyPI) cannot run here: no PyPI.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installMocks, outputValue } from "@openstack-blueprints/test-harness";
import { Guest, requireTestHosts, TestLab } from "../../../../test/hosts";
import { bootSeededGuest } from "./support/seeded-guest";
import { curl, deleteKernel, login, startKernel } from "./support/jupyter-client";
import { JUPYTER_CONFIG_PATH, JUPYTER_UNIT, jupyterPackages } from "../../src/desktop/jupyter-user-data";
import { ThinClientDesktopPool } from "../../src/desktop/thin-client-desktop-pool";

const harness = installMocks();
const EMPLOYEE = "alice";
const HOSTNAME = "jp-alice";

async function serviceState(guest: Guest): Promise<string> {
  const r = await guest.exec(
    `systemctl show ${JUPYTER_UNIT} -p ActiveState -p MainPID -p ExecMainStartTimestampMonotonic; stat -c '%U:%G %a' ${JUPYTER_CONFIG_PATH}; sha256sum ${JUPYTER_CONFIG_PATH} /etc/systemd/system/${JUPYTER_UNIT} /etc/passwd /etc/group /etc/hosts /etc/hostname /etc/ssl/certs/ssl-cert-snakeoil.pem`,
    { allowFailure: true },
  );
  return r.stdout;
}

describe("desktop pool, Jupyter workspace: real login in a cloud-init guest (systemd-nspawn)", function () {
  this.timeout(20 * 60_000);
  let lab: TestLab | undefined;

  before(function () {
    requireTestHosts(this);
  });

  after(async () => {
    await lab?.cleanup();
  });

  it("runs the employee's user data, logs in over HTTPS with the generated password, refuses a wrong one, and re-runs cleanly", async () => {
    // 1. The program, under the harness: one employee; user data, secret password and URL from it.
    const run = await harness.runProgram(
      () =>
        new ThinClientDesktopPool("jp", {
          employees: [{ name: EMPLOYEE, fullName: "Alice Example" }],
          workspace: "jupyter",
          flavor: "m1.desktop",
          imageName: "debian-12",
          imageHasDesktopPackages: true,
          networkId: "net-public",
          thinClientCidr: "10.205.0.0/16",
        }),
    );
    expect(run.errors).to.deep.equal([]);
    const pool = run.value!;
    const userData = run.byName(`jp-${EMPLOYEE}-desktop`).inputs.userData as string;
    const password = (await outputValue(pool.passwords))[EMPLOYEE];
    expect(userData).not.to.contain(password);

    // 2. A Debian guest with cloud-init and the Jupyter packages, seeded with that user data.
    lab = await TestLab.create({ prefix: "jp", subnet: "10.205.0.0/16" });
    const guest = await bootSeededGuest(lab, {
      rootfsName: "jupyter",
      packages: jupyterPackages(),
      guestName: "jpnote",
      userData,
      instanceId: "jp-alice-0001",
      hostname: HOSTNAME,
      diagnostics: `journalctl -b --no-pager -n 80 -u ${JUPYTER_UNIT} -u cloud-config -u cloud-final`,
    });

    // 3. What cloud-init and the setup script did, seen inside the guest.
    const facts = await guest.exec(
      [
        "hostname",
        `systemctl is-active ${JUPYTER_UNIT}`,
        `systemctl show ${JUPYTER_UNIT} -p User --value`,
        `stat -c '%U:%G %a' ${JUPYTER_CONFIG_PATH}`,
        "passwd -S alice | cut -d' ' -f2",
        "openssl x509 -noout -subject -in /etc/ssl/certs/ssl-cert-snakeoil.pem",
        `ps -o user= -C jupyter-notebook | sort -u`,
      ].join("; echo ---; "),
      { allowFailure: true },
    );
    const [host, active, unitUser, configMode, passwdState, subject, processUser] = facts.stdout
      .split("---\n")
      .map((s) => s.trim());
    expect(host).to.equal(HOSTNAME);
    expect(active).to.equal("active");
    expect(unitUser).to.equal(EMPLOYEE);
    expect(configMode, "the hash is readable by alice's server only").to.equal("root:alice 640");
    expect(passwdState, "no OS password for a Jupyter user (L = locked)").to.equal("L");
    expect(subject).to.contain(HOSTNAME);
    expect(processUser).to.equal(EMPLOYEE);

    // 4. This machine logs in over HTTPS with the generated password, at the URL the pool gives
    //    (with the guest's address: the mock cloud's fixed IP is not the lab's).
    const url = (await outputValue(pool.jupyterUrls))[EMPLOYEE];
    expect(url).to.match(/^https:\/\/[0-9.]+:8888\/$/);
    const base = `https://${guest.ip}:8888/`;
    const reachable = await (async () => {
      for (let i = 0; i < 30; i++) {
        const r = spawnSync("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", `${base}login`], {
          encoding: "utf8",
        });
        if (r.stdout === "200") return true;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      return false;
    })();
    expect(reachable, "Jupyter answers on 8888 over HTTPS").to.equal(true);
    const good = login(base, password);
    expect(good.answer.status, good.answer.body.slice(0, 400)).to.equal(302);
    expect(good.answer.location).to.match(/\/tree$/);
    const contents = curl(good.jar, [`${base}api/contents`]);
    expect(contents.status).to.equal(200);
    expect(JSON.parse(contents.body)).to.include({ type: "directory", path: "" });
    // A Python kernel starts as alice (POST with the XSRF token, as the web UI does).
    const kernelId = startKernel(base, good.jar);
    const kernelUser = await guest.exec(
      `sleep 3; ps -o user=,args= -C python3 | grep ipykernel_launcher | grep -c '^alice '`,
      { allowFailure: true },
    );
    expect(Number(kernelUser.stdout.trim()), "an ipykernel process runs as alice").to.be.greaterThan(0);
    // What jupyterUnit's comment says of the TLS key: the server reads it through group ssl-cert,
    // and the employee's kernel (same uid, started by the server) inherits that group, so the
    // employee's own code can read the key; alice herself, outside the service, is not in it.
    const keyFacts = await guest.exec(
      [
        "stat -c '%U:%G %a' /etc/ssl/private/ssl-cert-snakeoil.key",
        "getent group ssl-cert | cut -d: -f3",
        "grep '^Groups:' /proc/$(pgrep -u alice -f ipykernel_launcher | head -1)/status",
        "id -nG alice",
      ].join("; echo ---; "),
      { allowFailure: true },
    );
    const [keyMode, sslCertGid, kernelGroups, aliceGroups] = keyFacts.stdout.split("---\n").map((x) => x.trim());
    expect(keyMode).to.equal("root:ssl-cert 640");
    expect(kernelGroups.split(/\s+/).slice(1), "the kernel inherits ssl-cert").to.include(sslCertGid);
    expect(aliceGroups.split(/\s+/), "alice's own groups").not.to.include("ssl-cert");
    deleteKernel(base, good.jar, kernelId);

    // 5. A wrong password: no session, the API stays closed; no token login either.
    const bad = login(base, `${password}-wrong`);
    expect(bad.answer.status).not.to.equal(302);
    expect(curl(bad.jar, [`${base}api/contents`]).status).to.equal(403);
    const jar = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "jupyter-jar-")), "cookies");
    expect(curl(jar, [`${base}api/contents?token=`]).status).to.equal(403);

    // 6. cloud-init's modules again (forced): no error, no change, the server not restarted.
    const stateBefore = await serviceState(guest);
    const rerun = await guest.exec(
      [
        "set -e",
        ...[
          "write_files",
          "users_groups",
          "set_hostname",
          "update_etc_hosts",
          "write_files_deferred",
          "runcmd",
          "scripts_user",
        ].map((m) => `echo "== ${m}"; cloud-init single --name ${m} --frequency always 2>&1`),
      ].join("\n"),
      { allowFailure: true },
    );
    expect(rerun.exitCode, rerun.stdout + rerun.stderr).to.equal(0);
    expect(rerun.stdout, "the setup script reports no change on the second run").not.to.match(/changed:/);
    expect(rerun.stdout).not.to.match(/Traceback|failed|ERROR/i);
    expect(await serviceState(guest)).to.equal(stateBefore);
  });
});
