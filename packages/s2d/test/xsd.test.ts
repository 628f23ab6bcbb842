/**
 * The published schema of the MigrationSpecs XML (schema/MigrationSpecs.xsd) against s2d's own
 * strict reader: the same documents are accepted and refused by xmllint (libxml2's XML Schema
 * validator, Debian's libxml2-utils) and by parseSpecText, and the schema names exactly the
 * elements MIGRATION_SPECS_ELEMENTS lists. Without xmllint the suite is skipped with the reason
 * (and fails under CI, which installs it from .ci/apt-packages.d/s2d.txt).
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { MIGRATION_SPECS_ELEMENTS, SpecError, parseSpecText } from "../src";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const XSD = path.resolve(__dirname, "../schema/MigrationSpecs.xsd");

const LOGIN_A = `<CloudAlogIn><cloud>http://a.example:5000/v3</cloud><tenant>demo</tenant><username>alice</username><password>p&amp;w</password></CloudAlogIn>`;
const LOGIN_B = `<CloudBlogIn><cloud>minicloud-b</cloud><tenant>demo</tenant><username>bob</username><password>pw-b</password><userDomain>Default</userDomain><projectDomain>Default</projectDomain><region>RegionOne</region></CloudBlogIn>`;
const doc = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<MigrationSpecs>\n${body}\n</MigrationSpecs>\n`;

/** Documents s2d accepts: each must be valid against the schema too. */
const ACCEPTED: Record<string, string> = {
  "the TU Crete S2D service's document (sections between the logins, any case in Format/Access)": doc(`
  ${LOGIN_A}
  <SnapshotToCreate><InstanceID>5b2c-id</InstanceID><SnapshotName>web-snap</SnapshotName></SnapshotToCreate>
  ${LOGIN_B}
  <ImageToUpload><ImageName>web-image</ImageName><Format>QCOW2</Format><Access>False</Access></ImageToUpload>
  <Keypair><Name>alice-key</Name><PublicKey>ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB alice@x</PublicKey></Keypair>
  <InstanceToLaunch><InstanceName>web-b</InstanceName><SecurityGroup>default</SecurityGroup></InstanceToLaunch>
  <AllocateIP><IP>New</IP></AllocateIP>`),
  "several <Server> blocks with the extensions (Network, Flavor, zone, floating network, an address)": doc(`
  ${LOGIN_A}
  ${LOGIN_B}
  <Server>
    <SnapshotToCreate><InstanceID>web-1</InstanceID></SnapshotToCreate>
    <InstanceToLaunch><Network>data-net</Network><Flavor>m1.small</Flavor><SecurityGroup>web</SecurityGroup><AvailabilityZone>guests</AvailabilityZone></InstanceToLaunch>
    <AllocateIP><IP>new</IP><Network>public</Network></AllocateIP>
  </Server>
  <Server>
    <AllocateIP><IP> 172.24.4.50 </IP></AllocateIP>
    <SnapshotToCreate><SnapshotName>db-snap</SnapshotName><InstanceID>db-1</InstanceID></SnapshotToCreate>
  </Server>`),
  "a <NetworkMap> of two interfaces with <KeepFixedIPs>": doc(`
  ${LOGIN_A}
  ${LOGIN_B}
  <Server>
    <SnapshotToCreate><InstanceID>web-1</InstanceID></SnapshotToCreate>
    <InstanceToLaunch><KeepFixedIPs>False</KeepFixedIPs></InstanceToLaunch>
    <NetworkMap>
      <Interface><SourceNetwork>web-net</SourceNetwork><TargetNetwork>app</TargetNetwork></Interface>
      <Interface><TargetNetwork>db</TargetNetwork><SourceNetwork>storage-net</SourceNetwork></Interface>
    </NetworkMap>
  </Server>`),
  "clouds.yaml names only, CDATA and character references": doc(`
  <CloudAlogIn><cloud>minicloud-a</cloud></CloudAlogIn>
  <CloudBlogIn><cloud>minicloud-b</cloud><password><![CDATA[p<a>ss]]></password><username>&#98;ob</username></CloudBlogIn>
  <SnapshotToCreate><InstanceID>web-1</InstanceID></SnapshotToCreate>
  <AllocateIP><IP>none</IP></AllocateIP>`),
};

/** Documents s2d refuses for their shape: the schema must refuse them as well. */
const REFUSED: Record<string, string> = {
  "an unknown element in <MigrationSpecs>": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID>w</InstanceID></SnapshotToCreate><Instances/>`,
  ),
  "a misspelled field": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID>w</InstanceID></SnapshotToCreate><InstanceToLaunch><SecurityGroupp>web</SecurityGroupp></InstanceToLaunch>`,
  ),
  "an element inside a text field": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID><id>w</id></InstanceID></SnapshotToCreate>`,
  ),
  "an attribute on a section": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate id="1"><InstanceID>w</InstanceID></SnapshotToCreate>`,
  ),
  "text directly in a section": doc(`${LOGIN_A}${LOGIN_B}<SnapshotToCreate>web-1</SnapshotToCreate>`),
  "a field given twice in a section": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID>w</InstanceID><InstanceID>x</InstanceID></SnapshotToCreate>`,
  ),
  "an address that is not IPv4": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID>w</InstanceID></SnapshotToCreate><AllocateIP><IP>999.999.999.999</IP></AllocateIP>`,
  ),
  "a visibility that does not exist": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID>w</InstanceID></SnapshotToCreate><ImageToUpload><Access>everyone</Access></ImageToUpload>`,
  ),
  "an unknown element in <NetworkMap>'s <Interface>": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID>w</InstanceID></SnapshotToCreate><NetworkMap><Interface><SourceNetwork>a</SourceNetwork><Target>b</Target></Interface></NetworkMap>`,
  ),
  "text in <NetworkMap>": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID>w</InstanceID></SnapshotToCreate><NetworkMap>a=b</NetworkMap>`,
  ),
  "a KeepFixedIPs that is not true or false": doc(
    `${LOGIN_A}${LOGIN_B}<SnapshotToCreate><InstanceID>w</InstanceID></SnapshotToCreate><InstanceToLaunch><KeepFixedIPs>yes</KeepFixedIPs></InstanceToLaunch>`,
  ),
  "another root element": `<?xml version="1.0"?><MigrationSpec>${LOGIN_A}</MigrationSpec>`,
};

function xmllint(): string | undefined {
  const r = spawnSync("xmllint", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? "xmllint" : undefined;
}

describe("MigrationSpecs XSD (schema/MigrationSpecs.xsd) and s2d's reader agree", () => {
  let dir = "";
  let lint: string | undefined;
  before(function () {
    lint = xmllint();
    if (!lint) {
      const why = "xmllint is not installed (Debian package libxml2-utils, listed in .ci/apt-packages.d/s2d.txt)";
      unavailableHere(this, why);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-xsd-"));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  const validate = (name: string, xml: string) => {
    const file = path.join(dir, `${name.replace(/\W+/g, "-").slice(0, 60)}.xml`);
    fs.writeFileSync(file, xml);
    return spawnSync(lint!, ["--noout", "--nonet", "--schema", XSD, file], { encoding: "utf8" });
  };

  it("the schema is itself a valid XML Schema", () => {
    const r = spawnSync(lint!, ["--noout", "--nonet", XSD], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
  });

  for (const [name, xml] of Object.entries(ACCEPTED)) {
    it(`accepts ${name}, as s2d does`, () => {
      const r = validate(name, xml);
      expect(r.status, r.stderr).to.equal(0);
      expect(() => parseSpecText(xml, "spec.xml")).to.not.throw();
    });
  }

  for (const [name, xml] of Object.entries(REFUSED)) {
    it(`refuses ${name}, as s2d does`, () => {
      const r = validate(name, xml);
      expect(r.status, `xmllint accepted it:\n${xml}`).to.not.equal(0);
      expect(r.stderr).to.match(/fails to validate/);
      expect(() => parseSpecText(xml, "spec.xml")).to.throw(SpecError);
    });
  }

  it("names exactly the elements s2d's reader knows (MIGRATION_SPECS_ELEMENTS)", () => {
    const xsd = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
    }).parse(fs.readFileSync(XSD, "utf8"));
    const schema = xsd["xs:schema"][0];
    const elementsOf = (node: Record<string, any>): string[] =>
      (node["xs:all"]?.[0]?.["xs:element"] ?? node["xs:choice"]?.[0]?.["xs:element"] ?? []).map(
        (e: { name: string }) => e.name,
      );
    const types = Object.fromEntries(
      schema["xs:complexType"].map((t: Record<string, any>) => [t.name, elementsOf(t)]),
    ) as Record<string, string[]>;
    const root = schema["xs:element"].find((e: { name: string }) => e.name === MIGRATION_SPECS_ELEMENTS.root);
    expect(root, "root element").to.not.equal(undefined);
    expect(elementsOf(root["xs:complexType"][0]).sort()).to.deep.equal(
      [
        ...MIGRATION_SPECS_ELEMENTS.logins,
        ...Object.keys(MIGRATION_SPECS_ELEMENTS.serverSections),
        ...MIGRATION_SPECS_ELEMENTS.repeatable,
      ].sort(),
    );
    expect(types.Login.sort()).to.deep.equal([...MIGRATION_SPECS_ELEMENTS.loginFields].sort());
    expect(types.Server.sort()).to.deep.equal(Object.keys(MIGRATION_SPECS_ELEMENTS.serverSections).sort());
    for (const [section, fields] of Object.entries(MIGRATION_SPECS_ELEMENTS.serverSections))
      expect(types[section]?.sort(), section).to.deep.equal([...fields].sort());
    expect(types.Interface.sort()).to.deep.equal([...MIGRATION_SPECS_ELEMENTS.networkMapEntry].sort());
  });

  it("reads <NetworkMap> and <KeepFixedIPs> into the spec's networkMap and keepFixedIps", () => {
    const spec = parseSpecText(ACCEPTED["a <NetworkMap> of two interfaces with <KeepFixedIPs>"], "spec.xml");
    expect(spec.servers[0].networkMap).to.deep.equal([
      { source: "web-net", target: "app" },
      { source: "storage-net", target: "db" },
    ]);
    expect(spec.servers[0].keepFixedIps).to.equal(false);
  });
});
