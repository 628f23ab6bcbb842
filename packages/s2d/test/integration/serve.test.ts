/**
 * `s2d serve` against minicloud: the command itself is started (as an operator would), callers
 * authenticate with Keystone tokens of minicloud-a, and a real migration from minicloud-a to
 * minicloud-b is submitted as MigrationSpecs XML and followed to its end through the API only.
 * The fake compute driver uploads no snapshot data, so the test writes the bytes into the
 * snapshot image named by the API's snapshot-created event, as a hypervisor would.
 */
import { expect } from "chai";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Journal, MigrationEngine } from "../../src";
import { Minicloud, closeAll, connectMinicloud, fillSnapshot, projectNetwork, uniq } from "./minicloud-env";
import { SourceFixture, buildSource } from "./source-fixture";

const BIN = path.resolve(__dirname, "../../bin/s2d");
const MiB = 1 << 20;

/** Starts `s2d serve` on a free loopback port; resolves with its base URL once it listens. */
function startServe(stateDir: string): Promise<{ child: ChildProcess; base: string; log: () => string }> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      "serve",
      "--auth-cloud",
      "minicloud-a",
      "--allow-cloud",
      "minicloud-a",
      "--allow-cloud",
      "minicloud-b",
      "--listen",
      "127.0.0.1:0",
      "--state-dir",
      stateDir,
    ],
    { env: process.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s2d serve did not start in 60 s:\n${err}`)), 60_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /serving the MigrationSpecs API on (http:\/\/[^/\s]+)\/v1\/migrations/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[1], log: () => err });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`s2d serve exited with ${code}:\n${err}`));
    });
  });
}

async function call(
  base: string,
  method: string,
  route: string,
  opts: { token?: string; body?: string; type?: string } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers["X-Auth-Token"] = opts.token;
  if (opts.type) headers["Content-Type"] = opts.type;
  const res = await fetch(`${base}${route}`, { method, headers, body: opts.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe("s2d serve: the MigrationSpecs API over HTTP against minicloud (integration)", function () {
  this.timeout(600_000);
  let m: Minicloud | undefined;
  let serve: { child: ChildProcess; base: string; log: () => string } | undefined;
  let stateDir = "";
  let token = "";
  let bNet: { network: { id: string; name: string }; cleanup: () => Promise<void> } | undefined;
  let src: SourceFixture | undefined;

  before(async function () {
    m = await connectMinicloud(this, "s2d serve");
    if (!m) return;
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-serve-"));
    serve = await startServe(stateDir);
    token = await m.a.session.ensureToken();
  });
  after(async () => {
    serve?.child.kill("SIGTERM");
    await src?.cleanup();
    await bNet?.cleanup();
    closeAll(m);
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("listens on loopback only by default", () => {
    expect(new URL(serve!.base).hostname).to.equal("127.0.0.1");
  });

  it("refuses requests without a token or with a token Keystone does not know (401), before reading the body", async () => {
    const base = serve!.base;
    const none = await call(base, "GET", "/v1/migrations");
    expect(none.status).to.equal(401);
    expect(none.body.error).to.match(/X-Auth-Token is required/);
    const bogus = await call(base, "GET", "/v1/migrations", { token: "gAAAAABnot-a-real-token-0123456789" });
    expect(bogus.status).to.equal(401);
    expect(bogus.body.error).to.match(/refused by cloud A's Keystone/);
    // A token of another Keystone's kind that looks right but was revoked: minicloud-a's own, revoked.
    const spare = await (await import("@openstack-blueprints/openstack-rest")).OpenStackClient.fromCloud("minicloud-a");
    const revoked = await spare.session.ensureToken();
    await fetch(`${spare.session.cloud.auth.authUrl.replace(/\/+$/, "").replace(/(\/v3)?$/, "/v3")}/auth/tokens`, {
      method: "DELETE",
      headers: { "X-Auth-Token": revoked, "X-Subject-Token": revoked },
    });
    spare.close();
    const afterRevoke = await call(base, "GET", "/v1/migrations", { token: revoked });
    expect(afterRevoke.status).to.equal(401);
    const post = await call(base, "POST", "/v1/migrations", {
      body: "<MigrationSpecs/>",
      type: "application/xml",
    });
    expect(post.status).to.equal(401);
    const ok = await call(base, "GET", "/v1/migrations", { token });
    expect(ok.status).to.equal(200);
    expect(ok.body.migrations).to.deep.equal([]);
  });

  it("refuses a bad spec with every problem named, before any request to a cloud", async () => {
    const base = serve!.base;
    // The spec's clouds point at a listener that counts connections: none may arrive.
    let connections = 0;
    const trap = http.createServer((_q, r) => r.end()).on("connection", () => connections++);
    await new Promise<void>((r) => trap.listen(0, "127.0.0.1", r));
    const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/v3`;
    try {
      const xml = `<?xml version="1.0"?>
<MigrationSpecs>
  <CloudAlogIn><cloud>${trapUrl}</cloud><username>u</username><password>s&amp;cret</password><tenant>p</tenant></CloudAlogIn>
  <CloudBlogIn><cloud>${trapUrl}</cloud><username>u</username><password>s&amp;cret</password><tenant>q</tenant></CloudBlogIn>
  <SnapshotToCreate><InstanceID>web-1</InstanceID></SnapshotToCreate>
  <InstanceToLaunch><InstanceName>web-1</InstanceName><SecurityGroupp>web</SecurityGroupp></InstanceToLaunch>
  <AllocateIP><IP>999.999.999.999</IP></AllocateIP>
</MigrationSpecs>`;
      const bad = await call(base, "POST", "/v1/migrations", { token, body: xml, type: "application/xml" });
      expect(bad.status).to.equal(400);
      expect(bad.body.error).to.equal("invalid migration spec");
      const paths = bad.body.problems.map((p: { path: string }) => p.path).join(" | ");
      expect(paths).to.match(/SecurityGroupp/);
      expect(JSON.stringify(bad.body)).to.not.include("cret"); // no password echoed

      const json = {
        source: { authUrl: trapUrl, username: "u", password: "secret", project: "p" },
        target: { cloud: "minicloud-b" },
        servers: [{ source: "web-1", floatingIp: "999.999.999.999", concurency: 2 }],
      };
      const badJson = await call(base, "POST", "/v1/migrations", {
        token,
        body: JSON.stringify(json),
        type: "application/json",
      });
      expect(badJson.status).to.equal(400);
      const messages = badJson.body.problems.map((p: { path: string; message: string }) => `${p.path}: ${p.message}`);
      expect(messages.join("\n")).to.match(/servers\.0\.floatingIp/);
      expect(messages.join("\n")).to.match(/concurency/);
      expect(JSON.stringify(badJson.body)).to.not.include("secret");

      const yaml = await call(base, "POST", "/v1/migrations", { token, body: "a: b", type: "text/plain" });
      expect(yaml.status).to.equal(415);

      const dtd = await call(base, "POST", "/v1/migrations", {
        token,
        body: '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/shadow">]><MigrationSpecs>&e;</MigrationSpecs>',
        type: "application/xml",
      });
      expect(dtd.status).to.equal(400);
      expect(dtd.body.problems[0].message).to.match(/DOCTYPE or ENTITY declaration is refused/);
    } finally {
      trap.close();
    }
    expect(connections, "requests to the spec's clouds").to.equal(0);
    expect((await call(base, "GET", "/v1/migrations", { token })).body.migrations).to.deep.equal([]);
    expect(fs.readdirSync(stateDir), "no journal for a refused spec").to.deep.equal([]);
  });

  it("lends the service's clouds.yaml credentials only for offered entries, and a source only to its own project", async () => {
    const base = serve!.base;
    const spec = (source: string, target: string) =>
      JSON.stringify({ source: { cloud: source }, target: { cloud: target }, servers: [{ source: "web-1" }] });
    const admin = await call(base, "POST", "/v1/migrations", {
      token,
      type: "application/json",
      body: spec("minicloud-admin", "minicloud-b"),
    });
    expect(admin.status).to.equal(403);
    expect(admin.body.problems[0]).to.include({ path: "source.cloud", value: "minicloud-admin" });
    expect(admin.body.problems[0].message).to.match(
      /does not lend the credentials .*offered: minicloud-a, minicloud-b/,
    );
    // A token of project minicloud-b cannot move minicloud-a's servers with the service's credentials.
    const bToken = await m!.b.session.ensureToken();
    const other = await call(base, "POST", "/v1/migrations", {
      token: bToken,
      type: "application/json",
      body: spec("minicloud-a", "minicloud-b"),
    });
    expect(other.status).to.equal(403);
    expect(other.body.problems[0].message).to.match(
      /acts in project minicloud-a, and your token is of project minicloud-b/,
    );
    expect((await call(base, "GET", "/v1/migrations", { token })).body.migrations).to.deep.equal([]);
    expect(fs.readdirSync(stateDir)).to.deep.equal([]);
  });

  /** Follows a migration through the API only (events and view), filling its snapshots as a hypervisor would. */
  async function follow(id: string, disk: Buffer): Promise<any> {
    const { a } = m!;
    let after = -1;
    const filled = new Set<string>();
    const deadline = Date.now() + 480_000;
    for (;;) {
      const ev = await call(serve!.base, "GET", `/v1/migrations/${id}/events?after=${after}`, { token });
      expect(ev.status).to.equal(200);
      for (const e of ev.body.events) {
        if (e.type === "snapshot-created" && !filled.has(e.imageId)) {
          filled.add(e.imageId);
          await fillSnapshot(a, e.imageId, disk);
        }
      }
      after = ev.body.next;
      const view = (await call(serve!.base, "GET", `/v1/migrations/${id}`, { token })).body;
      if (view.state !== "running") return view;
      if (Date.now() > deadline) throw new Error(`migration still running: ${JSON.stringify(view)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  it("runs a migration submitted as XML, then one of the same image as JSON: zero-copy, shared things ref-counted", async () => {
    const { a, b } = m!;
    const base = serve!.base;
    bNet = await projectNetwork(b, "s2d-serve-net", "10.77.12.0/24", false);
    // Two servers of one base image with nothing written since: their snapshots hold the same bytes.
    src = await buildSource(a, 2, false);
    const disk = Buffer.alloc(6 * MiB);
    for (let i = 0; i < disk.length; i += 4096) disk.writeUInt32BE(i, i);
    const size = disk.length;
    const group = uniq("s2d-serve-web");
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<MigrationSpecs>
  <CloudAlogIn><cloud>minicloud-a</cloud></CloudAlogIn>
  <CloudBlogIn><cloud>minicloud-b</cloud></CloudBlogIn>
  <SnapshotToCreate><InstanceID>${src.serverIds[0]}</InstanceID></SnapshotToCreate>
  <ImageToUpload><ImageName>${group}-image</ImageName><Access>false</Access></ImageToUpload>
  <InstanceToLaunch><InstanceName>${group}-vm0</InstanceName><SecurityGroup>${group}</SecurityGroup><Network>${bNet.network.name}</Network></InstanceToLaunch>
  <AllocateIP><IP>none</IP></AllocateIP>
</MigrationSpecs>`;
    const sub = await call(base, "POST", "/v1/migrations", { token, body: xml, type: "application/xml" });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(202);
    const id = sub.body.id as string;
    expect(sub.body).to.include({ state: "running", format: "xml" });
    expect(sub.body.source).to.deep.equal({ cloud: "minicloud-a" });
    const journals = [path.join(stateDir, `${id}.journal`)];
    try {
      const view = await follow(id, disk);
      expect(view.state, `${view.error ?? ""} ${serve!.log()}`).to.equal("succeeded");
      const s = view.servers[0];
      expect(s.source).to.equal(src.serverIds[0]);
      const done = s.steps.filter((x: { status: string }) => x.status === "done").map((x: { step: string }) => x.step);
      expect(done).to.include.members(["capture", "snapshot", "image-create", "image-data", "boot", "overview"]);
      expect(s).to.include({ bytes: size, totalBytes: size, zeroCopy: false });
      expect(s.result.bytes).to.equal(size);
      // What the API says is what B holds.
      const server = await b.nova.getServer(s.result.targetServerId);
      expect(server.status).to.equal("ACTIVE");
      expect(server.name).to.equal(`${group}-vm0`);
      const image = await b.glance.getImage(s.result.targetImageId);
      expect(s.result.checksums.md5).to.equal(image.checksum);
      expect(s.result.checksums.hashValue).to.equal(image.os_hash_value);
      expect(Object.values(s.result.addresses).flat()).to.have.length.greaterThan(0);

      const list = await call(base, "GET", "/v1/migrations", { token });
      expect(list.body.migrations.map((x: { id: string }) => x.id)).to.deep.equal([id]);
      expect(list.body.migrations[0]).to.include({ state: "succeeded", servers: 1, serversDone: 1, bytes: size });
      // Another project's token does not see it; without a token even a known id is refused.
      const bToken = await b.session.ensureToken();
      expect((await call(base, "GET", `/v1/migrations/${id}`, { token: bToken })).status).to.equal(404);
      expect((await call(base, "GET", "/v1/migrations", { token: bToken })).body.migrations).to.deep.equal([]);
      expect((await call(base, "GET", `/v1/migrations/${id}`)).status).to.equal(401);
      expect(fs.existsSync(journals[0]), "the migration's own journal").to.equal(true);

      // The second server of the same image, as JSON, into the same group: nothing is copied.
      const second = await call(base, "POST", "/v1/migrations", {
        token,
        type: "application/json",
        body: JSON.stringify({
          source: { cloud: "minicloud-a" },
          target: { cloud: "minicloud-b" },
          servers: [
            {
              source: src.serverIds[1],
              name: `${group}-vm1`,
              securityGroup: group,
              network: bNet.network.name,
              floatingIp: "none",
            },
          ],
        }),
      });
      expect(second.status, JSON.stringify(second.body)).to.equal(202);
      const secondId = second.body.id as string;
      journals.push(path.join(stateDir, `${secondId}.journal`));
      const v2 = await follow(secondId, disk);
      expect(v2.state, `${v2.error ?? ""} ${serve!.log()}`).to.equal("succeeded");
      const s2 = v2.servers[0];
      expect(s2.zeroCopy, "zero-copy").to.equal(true);
      expect(s2.result).to.include({ bytes: 0, zeroCopy: true, targetImageId: s.result.targetImageId });
      expect(s2.notes.join("\n")).to.match(/zero-copy: cloud B already holds image/);
      expect(s2.result.checksums).to.deep.include({ md5: image.checksum, hashValue: image.os_hash_value });
      const imagesInB = (await b.glance.listImages({ owner: b.session.projectId })).filter(
        (i) => i.os_hash_value === image.os_hash_value,
      );
      expect(
        imagesInB.map((i) => i.id),
        "one image in B for both",
      ).to.deep.equal([image.id]);
      expect((await b.nova.getServer(s2.result.targetServerId)).status).to.equal("ACTIVE");

      // Removing the first migration (its cleanup, as `pulumi destroy` does) keeps what the second uses.
      const sg = (await b.neutron.listSecurityGroups({ name: group }))[0];
      const rulesBefore = (await b.neutron.listSecurityGroupRules({ security_group_id: sg.id })).length;
      const cleanup = async (journalFile: string, source: string) => {
        const j = new Journal(journalFile);
        const events: string[] = [];
        await new MigrationEngine(a, b, {
          journal: j,
          onEvent: (e) =>
            e.type === "cleanup" && events.push(`${e.resource.type}:${e.kept ? "kept" : e.ok ? "removed" : e.error}`),
        }).cleanup(source);
        j.close();
        return events;
      };
      const firstOut = await cleanup(journals[0], src.serverIds[0]);
      expect(firstOut).to.include.members(["server:removed", "security_group:kept", "keypair:kept", "image:kept"]);
      expect((await b.nova.getServer(s2.result.targetServerId)).status).to.equal("ACTIVE");
      expect((await b.neutron.listSecurityGroupRules({ security_group_id: sg.id })).length).to.equal(rulesBefore);
      expect(await b.nova.findKeypair(src.keyName), "keypair kept").to.not.equal(undefined);
      expect((await b.glance.getImage(image.id)).status, "image kept").to.equal("active");
      // The last user goes: the group it adopted and the image go with it.
      const secondOut = await cleanup(journals[1], src.serverIds[1]);
      expect(secondOut).to.include.members(["server:removed", "security_group:removed", "image:removed"]);
      expect(await b.neutron.listSecurityGroups({ name: group })).to.deep.equal([]);
      expect(await b.glance.findImage(image.id)).to.equal(undefined);
    } finally {
      for (const [k, file] of journals.entries()) {
        if (!fs.existsSync(file)) continue;
        const j = new Journal(file);
        await new MigrationEngine(a, b, { journal: j }).cleanup(src.serverIds[k]).catch(() => undefined);
        j.close();
      }
      await b.nova.deleteKeypair(src.keyName).catch(() => undefined);
    }
  });
});
