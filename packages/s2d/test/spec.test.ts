import { expect } from "chai";
import { SpecError, parseSpecText } from "../src";

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
    expect(s.servers[0]).to.deep.include({ source: "web-1", securityGroup: "web", floatingIp: "new", stopSource: false });
    expect(s.servers[1].keypair.mode).to.equal("copy");
    expect(s.servers[1].image.visibility).to.equal("private");
  });

  it("reports every bad field with its path, value and fix", () => {
    const issues = issuesOf(() =>
      parseSpecText(`
source: { cloud: a }
target: { authUrl: "ftp://x", username: u }
concurrency: 0
servers:
  - source: web
    floatingIp: maybe
    keypair: { mode: import }
    colour: blue
  - source: web
`, "bad.yaml"),
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
      parseSpecText(`source: { authUrl: "http://k/v3", username: u, password: 12345, project: p }\ntarget: { cloud: b }\nservers: [{ source: x }]`, "s.yaml");
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).to.include("source.password");
    expect(msg).to.not.include("12345");
  });

  it("maps the seed's MigrationSpecs XML onto the same spec", () => {
    const s = parseSpecText(XML_SEED, "seed.xml");
    expect(s.source).to.deep.equal({ authUrl: "http://a.example:5000/v3", username: "alice", password: "pw-a", project: "demo" });
    expect(s.target).to.deep.include({ cloud: "minicloud-b", username: "bob" });
    expect(s.servers).to.have.length(1);
    expect(s.servers[0]).to.deep.include({ source: "5b2c…-id", snapshotName: "web-snap", name: "web-b", securityGroup: "default", floatingIp: "new" });
    expect(s.servers[0].image).to.deep.equal({ name: "web-image", diskFormat: "qcow2", visibility: "private" });
    expect(s.servers[0].keypair).to.deep.equal({ name: "alice-key", publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB alice@x", mode: "import" });
  });

  it("validates XML fields with the same field-level errors", () => {
    const issues = issuesOf(() => parseSpecText(XML_SEED.replace("<IP>new</IP>", "<IP>lots</IP>").replace("<Access>False</Access>", "<Access>maybe</Access>"), "seed.xml"));
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

  it("leaves undeclared entity references unexpanded and reports malformed XML with a line", () => {
    const issues = issuesOf(() => parseSpecText("<MigrationSpecs><CloudAlogIn><cloud>a</cloud></CloudAlogIn>", "broken.xml"));
    expect(issues[0].message).to.match(/not well-formed XML/);
    expect(issues[0].path).to.match(/^line \d+/);
    const wrongRoot = issuesOf(() => parseSpecText("<Other/>", "other.xml"));
    expect(wrongRoot[0].message).to.match(/root element must be <MigrationSpecs>/);
  });
});
