import { expect } from "chai";
import {
  assertUserDataFits,
  base64Size,
  NOVA_USER_DATA_MAX_BASE64,
  parseCloudConfig,
  renderCloudConfig,
} from "../../src/cloudinit/cloud-config";
import { CLOUD_INIT_MODULE_KEYS } from "../../src/cloudinit/known-keys";
import { assertValidCloudConfig } from "@openstack-blueprints/test-harness";
import * as fs from "node:fs";

describe("cloud-config builder", () => {
  it("renders a document that real cloud-init accepts and that parses back", () => {
    const text = renderCloudConfig({
      hostname: "desk-alice",
      users: [{ name: "alice", lock_passwd: false, hashed_passwd: "$6$salt$hash", shell: "/bin/bash" }],
      chpasswd: { expire: false },
      ssh_pwauth: false,
      packages: ["xrdp", "xfce4"],
      write_files: [{ path: "/etc/motd", content: "hello\n", permissions: "0644" }],
      runcmd: [["systemctl", "enable", "--now", "xrdp"]],
      timezone: undefined,
    });
    expect(text.startsWith("#cloud-config\n")).to.equal(true);
    expect(text).not.to.contain("timezone");
    assertValidCloudConfig(text);
    expect(parseCloudConfig(text).users).to.have.length(1);
  });

  it("is deterministic", () => {
    const doc = { packages: ["a", "b"], runcmd: ["echo hi"] };
    expect(renderCloudConfig(doc)).to.equal(renderCloudConfig({ ...doc }));
  });

  it("refuses keys cloud-init does not know, naming them", () => {
    expect(() => renderCloudConfig({ package: ["xrdp"] } as never)).to.throw('"package"');
  });

  it("refuses documents over Nova's user-data limit, measured as base64", () => {
    expect(base64Size("abc")).to.equal(4);
    const limitRaw = (NOVA_USER_DATA_MAX_BASE64 / 4) * 3; // 49151.25 -> largest raw that fits is 49149
    expect(() => assertUserDataFits("x".repeat(49149))).not.to.throw();
    expect(() => assertUserDataFits("x".repeat(49152))).to.throw("Nova accepts at most 65535");
    expect(limitRaw).to.be.greaterThan(49149);
    expect(() => renderCloudConfig({ write_files: [{ path: "/big", content: "y".repeat(60000) }] })).to.throw(
      "base64 characters",
    );
  });

  it("knows exactly the module keys of the installed cloud-init schema", function () {
    const schemaFile = "/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json";
    if (!fs.existsSync(schemaFile))
      throw new Error("cloud-init is not installed; install it with: sudo apt-get install -y cloud-init");
    const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));
    const keys = new Set<string>();
    for (const ref of schema.allOf) {
      const def = schema.$defs[ref.$ref.split("/").pop()];
      Object.keys(def.properties ?? {}).forEach((k) => keys.add(k));
    }
    const missing = [...keys].filter((k) => !CLOUD_INIT_MODULE_KEYS.includes(k));
    expect(missing, "keys the installed cloud-init knows but the builder would refuse").to.deep.equal([]);
  });
});
