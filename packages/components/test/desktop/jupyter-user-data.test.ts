import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { parseCloudConfig, CloudConfigUser } from "../../src/cloudinit/cloud-config";
import {
  JUPYTER_CONFIG_PATH,
  JUPYTER_SETUP_SCRIPT_PATH,
  JUPYTER_UNIT,
  jupyterConfig,
  jupyterPackages,
  jupyterPasswordHash,
  jupyterSetupScript,
  jupyterUnit,
  renderJupyterUserData,
} from "../../src/desktop/jupyter-user-data";
import { assertValidCloudConfig, assertValidShellScript } from "@openstack-blueprints/test-harness";

const SECRET = "notARealSecret2026xyz";
const HASH = jupyterPasswordHash(SECRET, "unitTestSalt0123");
const ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlueprintsTestKeyOnlyNotARealOneAAAAAAAAAAAAA admin@example";

describe("Jupyter workspace user data", () => {
  it("hashes the way Jupyter's passwd_check verifies (Python's hashlib recomputes it)", () => {
    expect(HASH).to.match(/^sha512:unitTestSalt0123:[0-9a-f]{128}$/);
    // passwd_check: algorithm, salt, digest = hashed.split(":", 2); hashlib.new(algorithm)(passphrase + salt).
    const python = spawnSync(
      "python3",
      [
        "-c",
        [
          "import hashlib, sys",
          "algorithm, salt, digest = sys.argv[1].split(':', 2)",
          "h = hashlib.new(algorithm); h.update(sys.argv[2].encode('utf-8') + salt.encode('ascii'))",
          "print(h.hexdigest() == digest)",
        ].join("\n"),
        HASH,
        SECRET,
      ],
      { encoding: "utf8" },
    );
    expect(python.stdout.trim(), python.stderr).to.equal("True");
    expect(() => jupyterPasswordHash(SECRET, "a:b")).to.throw("salt");
  });

  it("renders a document real cloud-init accepts: packages, service, config with the hash only, HTTPS", () => {
    const text = renderJupyterUserData(
      { extraPackages: ["python3-pandas", "python3-sklearn"] },
      {
        user: "alice",
        fullName: "Alice A.",
        passwordHash: HASH,
        hostname: "ml-alice",
        adminUser: "deskadmin",
        adminPublicKey: ADMIN_KEY,
      },
    );
    assertValidCloudConfig(text, "jupyter user data");
    expect(text).not.to.contain(SECRET);
    const doc = parseCloudConfig(text);
    expect(doc.packages).to.deep.equal([
      "jupyter-notebook",
      "python3-ipykernel",
      "ssl-cert",
      "python3-pandas",
      "python3-sklearn",
    ]);
    expect(doc.ssh_pwauth).to.equal(false);
    const [alice, admin] = doc.users as CloudConfigUser[];
    expect(alice).to.include({ name: "alice", lock_passwd: true, gecos: "Alice A." });
    expect(alice.hashed_passwd).to.equal(undefined);
    expect(admin).to.include({ name: "deskadmin", lock_passwd: true });
    const files = Object.fromEntries(doc.write_files!.map((f) => [f.path, f]));
    const config = files[JUPYTER_CONFIG_PATH];
    expect(config).to.include({ owner: "root:alice", permissions: "0640", defer: true });
    const parsed = JSON.parse(config.content);
    for (const section of ["NotebookApp", "ServerApp"]) {
      expect(parsed[section]).to.include({
        password: HASH,
        token: "",
        ip: "0.0.0.0",
        port: 8888,
        open_browser: false,
        allow_root: false,
      });
      expect(parsed[section].certfile).to.equal("/etc/ssl/certs/ssl-cert-snakeoil.pem");
    }
    expect(parsed.NotebookApp.notebook_dir).to.equal("/home/alice");
    expect(files[`/etc/systemd/system/${JUPYTER_UNIT}`].content)
      .to.contain("User=alice")
      .and.contain("SupplementaryGroups=ssl-cert")
      .and.contain(
        "ExecStart=/usr/bin/jupyter-notebook --config=/etc/openstack-blueprints/jupyter/jupyter_config.json",
      );
    expect(doc.runcmd).to.deep.equal([[JUPYTER_SETUP_SCRIPT_PATH]]);
  });

  it("serves JupyterLab from PyPI when asked (not runnable here: no PyPI), installs nothing for prepared images", () => {
    const lab = parseCloudConfig(
      renderJupyterUserData({ server: "lab" }, { user: "bob", passwordHash: HASH, hostname: "ml-bob" }),
    );
    expect(lab.packages).to.deep.equal(["python3-venv", "python3-pip", "ssl-cert"]);
    expect(jupyterUnit("bob", "lab")).to.contain("ExecStart=/opt/blueprints-jupyterlab/bin/jupyter-lab --config=");
    const script = jupyterSetupScript("bob", { server: "lab" });
    expect(script).to.contain("pip install --quiet --disable-pip-version-check jupyterlab");
    const prepared = parseCloudConfig(
      renderJupyterUserData({ installPackages: false }, { user: "bob", passwordHash: HASH, hostname: "ml-bob" }),
    );
    expect(prepared.packages).to.equal(undefined);
    expect(prepared.package_update).to.equal(undefined);
    expect(jupyterPackages({ server: "lab", extraPackages: ["ssl-cert"] })).to.deep.equal([
      "python3-venv",
      "python3-pip",
      "ssl-cert",
    ]);
  });

  it("writes setup scripts that pass bash -n and shellcheck, for both servers", () => {
    assertValidShellScript(jupyterSetupScript("alice"), "jupyter setup (notebook)");
    assertValidShellScript(jupyterSetupScript("alice", { server: "lab" }), "jupyter setup (lab)");
    assertValidShellScript(
      jupyterSetupScript("alice", { server: "lab", installPackages: false }),
      "jupyter setup (lab, prepared image)",
    );
  });

  it("refuses clear secrets, bad names, ports, servers and packages", () => {
    expect(() => jupyterConfig({ user: "alice", passwordHash: SECRET })).to.throw("not a Jupyter SHA-512 hash");
    expect(() => jupyterConfig({ user: "alice", passwordHash: HASH }, 80)).to.throw("jupyterPort 80");
    expect(() => renderJupyterUserData({}, { user: "root", passwordHash: HASH, hostname: "x" })).to.throw(
      "system account",
    );
    expect(() =>
      renderJupyterUserData({ server: "hub" as never }, { user: "alice", passwordHash: HASH, hostname: "x" }),
    ).to.throw('jupyterServer "hub"');
    expect(() =>
      renderJupyterUserData({ extraPackages: ["rm -rf"] }, { user: "alice", passwordHash: HASH, hostname: "x" }),
    ).to.throw('extraPackages[0] "rm -rf"');
    expect(() =>
      renderJupyterUserData({}, { user: "alice", passwordHash: HASH, hostname: "x", adminUser: "deskadmin" }),
    ).to.throw("go together");
  });
});
