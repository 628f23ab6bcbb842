import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { listStacks, readStackFile, secretPlaceholder } from "../src/stack-file";

describe("stack files (stacks/Pulumi.<stack>.yaml)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, text);
    return file;
  };

  it("hands values over as the CLI does: strings as is, the rest as JSON, secure values as secrets", () => {
    const file = write(
      "demo",
      [
        "config:",
        "  ns:environment: demo",
        "  ns:count: 3",
        "  ns:token:",
        "    secure: v1:abc",
        "  ns:cloud:",
        "    user: alice",
        "    password:",
        "      secure: v1:def",
        "    ports: [1, 2]",
      ].join("\n"),
    );
    const cfg = readStackFile(file);
    expect(cfg.stack).to.equal("demo");
    expect(cfg.config["ns:environment"]).to.equal("demo");
    expect(cfg.config["ns:count"]).to.equal("3");
    expect(cfg.config["ns:token"]).to.equal(secretPlaceholder("ns:token"));
    expect(JSON.parse(cfg.config["ns:cloud"])).to.deep.equal({
      user: "alice",
      password: secretPlaceholder("ns:cloud.password"),
      ports: [1, 2],
    });
    expect(cfg.secretKeys).to.deep.equal(["ns:token", "ns:cloud"]);
    expect(cfg.plainSecrets).to.deep.equal([]);
  });

  it("reports plain values under secret-looking keys, at any depth", () => {
    const cfg = readStackFile(
      write(
        "leaky",
        [
          "config:",
          "  ns:adminPassword: hunter2",
          "  ns:cloud:",
          "    nodes:",
          "      - connection: { privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----', hostKey: ssh-ed25519 AAAA }",
          "    apiToken: abc",
          "    passwordHash: $6$salt$hash",
        ].join("\n"),
      ),
    );
    expect(cfg.plainSecrets).to.deep.equal([
      "ns:adminPassword",
      "ns:cloud.nodes[0].connection.privateKey",
      "ns:cloud.apiToken",
    ]);
  });

  it("lists the stacks of a directory", () => {
    write("b", "config: {}\n");
    write("a", "config: {}\n");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: x\n");
    expect(listStacks(dir)).to.deep.equal(["a", "b"]);
  });
});
