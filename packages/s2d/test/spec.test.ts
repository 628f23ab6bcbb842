import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SpecError, cloudConfigOf, parseSpecText } from "../src";

const YAML_OK = `
source: { cloud: minicloud-a }
target: { cloud: minicloud-b }
concurrency: 3
servers:
  - source: web-1
    keypair: { mode: copy }
    securityGroup: web
    floatingIp: new
  - source: db-1
    floatingIp: 172.24.4.50
`;

const XML_SEED = `<?xml version="1.0"?>
<MigrationSpecs>
  <CloudAlogIn><cloud>http://a.example:5000/v3</cloud><tenant>demo</tenant><username>alice</username><password>pw-a</password></CloudAlogIn>
  <SnapshotToCreate><InstanceID>5b2c…-id</InstanceID><SnapshotName>web-snap</SnapshotName></SnapshotToCreate>
  <CloudBlogIn><cloud>minicloud-b</cloud><tenant>demo</tenant><username>bob</username><password>pw-b</password></CloudBlogIn>
  <ImageToUpload><ImageName>web-image</ImageName><Format>QCOW2</Format><Access>False</Access></ImageToUpload>
  <Keypair><Name>alice-key</Name><PublicKey>ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB alice@x</PublicKey></Keypair>
  <InstanceToLaunch><InstanceName>web-b</InstanceName><SecurityGroup>default</SecurityGroup></InstanceToLaunch>
  <AllocateIP><IP>new</IP></AllocateIP>
</MigrationSpecs>`;

function issuesOf(fn: () => unknown): { path: string; message: string; value?: unknown }[] {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(SpecError);
    return (e as SpecError).issues;
  }
  throw new Error("expected a SpecError");
}

describe("s2d spec (YAML + MigrationSpecs XML, zod)", () => {
  it("accepts a YAML spec and fills defaults", () => {
    const s = parseSpecText(YAML_OK, "m.yaml");
    expect(s.concurrency).to.equal(3);
    expect(s.servers[0]).to.deep.include({
      source: "web-1",
      securityGroup: "web",
      floatingIp: "new",
      stopSource: false,
    });
    expect(s.servers[1].keypair.mode).to.equal("copy");
    expect(s.servers[1].image.visibility).to.equal("private");
  });

  it("reports every bad field with its path, value and fix", () => {
    const issues = issuesOf(() =>
      parseSpecText(
        `
source: { cloud: a }
target: { authUrl: "ftp://x", username: u }
concurrency: 0
servers:
  - source: web
    floatingIp: maybe
    keypair: { mode: import }
    colour: blue
  - source: web
`,
        "bad.yaml",
      ),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath["target.authUrl"].message).to.match(/http\(s\) URL/);
    expect(byPath["target.password"].message).to.match(/password is required with authUrl/);
    expect(byPath["concurrency"].message).to.match(/at least 1/);
    expect(byPath["servers.0.floatingIp"]).to.deep.include({ value: "maybe" });
    expect(byPath["servers.0.floatingIp"].message).to.match(/"new", "none" or an IPv4 address/);
    expect(byPath["servers.0.keypair.publicKey"].message).to.match(/required when mode is import/);
    expect(byPath["servers.0"].message).to.match(/unknown field\(s\) colour/);
    expect(byPath["servers.1.source"].message).to.match(/listed twice/);
  });

  it("never echoes a password in an error", () => {
    let msg = "";
    try {
      parseSpecText(
        `source: { authUrl: "http://k/v3", username: u, password: 12345, project: p }\ntarget: { cloud: b }\nservers: [{ source: x }]`,
        "s.yaml",
      );
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).to.include("source.password");
    expect(msg).to.not.include("12345");
  });

  it("maps the seed's MigrationSpecs XML onto the same spec", () => {
    const s = parseSpecText(XML_SEED, "seed.xml");
    expect(s.source).to.deep.equal({
      authUrl: "http://a.example:5000/v3",
      username: "alice",
      password: "pw-a",
      project: "demo",
    });
    expect(s.target).to.deep.include({ cloud: "minicloud-b", username: "bob" });
    expect(s.servers).to.have.length(1);
    expect(s.servers[0]).to.deep.include({
      source: "5b2c…-id",
      snapshotName: "web-snap",
      name: "web-b",
      securityGroup: "default",
      floatingIp: "new",
    });
    expect(s.servers[0].image).to.deep.equal({ name: "web-image", diskFormat: "qcow2", visibility: "private" });
    expect(s.servers[0].keypair).to.deep.equal({
      name: "alice-key",
      publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB alice@x",
      mode: "import",
    });
  });

  it("carries the target availability zone from YAML and XML, and refuses an empty one", () => {
    const yaml = parseSpecText(
      "source: { cloud: a }\ntarget: { cloud: b }\nservers: [{ source: web, availabilityZone: guests }, { source: db }]",
      "z.yaml",
    );
    expect(yaml.servers[0].availabilityZone).to.equal("guests");
    expect(yaml.servers[1].availabilityZone, "no zone asked: B's scheduler chooses").to.equal(undefined);
    const xml = parseSpecText(
      XML_SEED.replace("</InstanceToLaunch>", "<AvailabilityZone> guests </AvailabilityZone></InstanceToLaunch>"),
      "seed.xml",
    );
    expect(xml.servers[0].availabilityZone).to.equal("guests");
    const issues = issuesOf(() =>
      parseSpecText(`source: { cloud: a }\ntarget: { cloud: b }\nservers: [{ source: web, availabilityZone: "  " }]`),
    );
    expect(issues).to.deep.include({
      path: "servers.0.availabilityZone",
      message: "availabilityZone must not be empty",
      value: "  ",
    });
  });

  it("validates XML fields with the same field-level errors", () => {
    const issues = issuesOf(() =>
      parseSpecText(
        XML_SEED.replace("<IP>new</IP>", "<IP>lots</IP>").replace("<Access>False</Access>", "<Access>maybe</Access>"),
        "seed.xml",
      ),
    );
    expect(issues.map((i) => i.path)).to.include.members(["servers.0.floatingIp", "servers.0.image.visibility"]);
  });

  it("refuses DTDs, internal entity expansion and external entities", () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><MigrationSpecs><CloudAlogIn><cloud>&x;</cloud></CloudAlogIn></MigrationSpecs>`;
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><MigrationSpecs>&lol2;</MigrationSpecs>`;
    const lowercase = `<!doctype MigrationSpecs SYSTEM "http://evil.example/x.dtd"><MigrationSpecs/>`;
    for (const doc of [xxe, laughs, lowercase]) {
      const issues = issuesOf(() => parseSpecText(doc, "evil.xml"));
      expect(issues[0].message).to.match(/DOCTYPE or ENTITY declaration is refused/);
    }
  });

  it("reports malformed XML with a line, and a wrong root element", () => {
    const issues = issuesOf(() =>
      parseSpecText("<MigrationSpecs><CloudAlogIn><cloud>a</cloud></CloudAlogIn>", "broken.xml"),
    );
    expect(issues[0].message).to.match(/not well-formed XML/);
    expect(issues[0].path).to.match(/^line \d+/);
    const wrongRoot = issuesOf(() => parseSpecText("<Other/>", "other.xml"));
    expect(wrongRoot[0].message).to.match(/root element must be <MigrationSpecs>/);
  });

  it("accepts only real IPv4 addresses as a floating IP", () => {
    const spec = (ip: string) =>
      `source: { cloud: a }\ntarget: { cloud: b }\nservers: [{ source: web, floatingIp: "${ip}" }]\n`;
    for (const bad of ["999.999.999.999", "256.1.1.1", "1.2.3", "01.2.3.4x"]) {
      const issues = issuesOf(() => parseSpecText(spec(bad), "ip.yaml"));
      expect(issues[0]).to.deep.include({ path: "servers.0.floatingIp", value: bad });
      expect(issues[0].message).to.match(/four numbers 0–255/);
    }
    expect(parseSpecText(spec("203.0.113.255"), "ip.yaml").servers[0].floatingIp).to.equal("203.0.113.255");
  });

  it("decodes XML's entities and character references in text (p&amp;ss is p&ss), CDATA literally", () => {
    const xml = XML_SEED.replace(
      "<password>pw-a</password>",
      "<password>p&amp;ss&#38;&lt;&#x41;&quot;</password>",
    ).replace("<SnapshotName>web-snap</SnapshotName>", "<SnapshotName><![CDATA[a&amp;b]]></SnapshotName>");
    const s = parseSpecText(xml, "seed.xml");
    expect(s.source.password).to.equal('p&ss&<A"');
    expect(s.servers[0].snapshotName).to.equal("a&amp;b");
  });

  it("refuses unknown, misspelled, repeated and nested XML elements and undefined entities, all at once", () => {
    const xml = XML_SEED.replace("<Name>alice-key</Name>", "<Nmae>alice-key</Nmae>")
      .replace("<InstanceName>web-b</InstanceName>", "<InstanceName><first>web</first></InstanceName>")
      .replace("<AllocateIP>", "<AlocateIP><IP>new</IP></AlocateIP><AllocateIP>")
      .replace(
        "<tenant>demo</tenant><username>bob</username>",
        "<tenant>demo</tenant><tenant>x</tenant><username>b&nbsp;ob</username>",
      );
    const issues = issuesOf(() => parseSpecText(xml, "typo.xml"));
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath["MigrationSpecs.Keypair.Nmae"]).to.match(
      /unknown element <Nmae> in <Keypair>; expected one of Name, PublicKey/,
    );
    expect(byPath["MigrationSpecs.InstanceToLaunch.InstanceName"]).to.match(
      /must hold text, not elements \(found <first>\)/,
    );
    expect(byPath["MigrationSpecs.AlocateIP"]).to.match(/unknown element <AlocateIP> in <MigrationSpecs>/);
    expect(byPath["MigrationSpecs.CloudBlogIn.tenant"]).to.match(/given twice/);
    expect(byPath["MigrationSpecs.CloudBlogIn.username"]).to.match(/entity &nbsp; is not defined/);
    expect(issues).to.have.length(5);
  });

  it("uses credentials given next to a clouds.yaml name instead of ignoring them", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-clouds-"));
    try {
      const file = path.join(dir, "clouds.yaml");
      fs.writeFileSync(
        file,
        "clouds:\n  b:\n    auth:\n      auth_url: http://keystone.b:5000/v3\n      username: yaml-user\n      password: yaml-pw\n      project_name: yaml-proj\n      user_id: u-123\n    region_name: R1\n  endpoint-only:\n    auth:\n      auth_url: http://keystone.c:5000/v3\n",
      );
      const env = { OS_CLIENT_CONFIG_FILE: file, HOME: dir };
      const xml = XML_SEED.replace("<cloud>minicloud-b</cloud>", "<cloud>b</cloud>");
      const spec = parseSpecText(xml, "seed.xml");
      const cfg = cloudConfigOf(spec.target, "target", env);
      expect(cfg.auth).to.deep.include({
        authUrl: "http://keystone.b:5000/v3",
        username: "bob",
        password: "pw-b",
        projectName: "demo",
      });
      expect(cfg.auth.userId, "clouds.yaml's user id must not win over the spec's user").to.equal(undefined);
      expect(cfg.regionName).to.equal("R1");
      const onlyEndpoint = cloudConfigOf(
        { cloud: "endpoint-only", username: "u", password: "p", project: "x" },
        "target",
        env,
      );
      expect(onlyEndpoint.auth).to.deep.include({
        authUrl: "http://keystone.c:5000/v3",
        username: "u",
        password: "p",
        projectName: "x",
      });
      expect(() => cloudConfigOf({ cloud: "endpoint-only", username: "u" }, "target", env)).to.throw(
        /password is missing/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
