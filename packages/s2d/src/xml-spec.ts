/**
 * The seed's MigrationSpecs XML, read safely: any DOCTYPE (and so any entity, internal or
 * external) is refused before parsing, and the parser runs with entity processing off.
 * The result is mapped onto the YAML spec's shape and validated by the same zod schema.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { SpecError } from "./spec-error";

export function assertNoDtd(text: string, file: string): void {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new SpecError(file, [{ path: "", message: "XML with a DOCTYPE or ENTITY declaration is refused (DTDs and external entities are not allowed); remove the <!DOCTYPE …> part" }]);
  }
}

type Node = Record<string, unknown>;

const text = (n: unknown): string | undefined => {
  if (n === undefined || n === null) return undefined;
  const s = String(n).trim();
  return s === "" ? undefined : s;
};

export function parseMigrationSpecsXml(xml: string, file = "spec.xml"): unknown {
  assertNoDtd(xml, file);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new SpecError(file, [{ path: `line ${valid.err.line}`, message: `not well-formed XML: ${valid.err.msg}` }]);
  }
  const parser = new XMLParser({ processEntities: false, ignoreDeclaration: true, ignoreAttributes: true, parseTagValue: false, trimValues: true, isArray: (name) => name === "Server" });
  const doc = parser.parse(xml) as Node;
  const root = doc.MigrationSpecs as Node | undefined;
  if (!root || typeof root !== "object") {
    throw new SpecError(file, [{ path: "MigrationSpecs", message: "the root element must be <MigrationSpecs>" }]);
  }
  const login = (n: unknown) => {
    const o = (n ?? {}) as Node;
    const cloud = text(o.cloud);
    const isUrl = cloud !== undefined && /^https?:\/\//.test(cloud);
    const hasCreds = text(o.username) !== undefined || text(o.password) !== undefined;
    if (!isUrl && !hasCreds) return { cloud };
    return {
      ...(isUrl ? { authUrl: cloud } : { cloud }),
      username: text(o.username),
      password: text(o.password),
      project: text(o.tenant),
    };
  };
  // The seed's document describes one server; <Server> blocks (an extension) allow several.
  const blocks: Node[] = Array.isArray(root.Server) ? (root.Server as Node[]) : [root];
  const servers = blocks.map((b) => {
    const snap = (b.SnapshotToCreate ?? {}) as Node;
    const img = (b.ImageToUpload ?? {}) as Node;
    const kp = (b.Keypair ?? {}) as Node;
    const inst = (b.InstanceToLaunch ?? {}) as Node;
    const ip = (b.AllocateIP ?? {}) as Node;
    const access = text(img.Access)?.toLowerCase();
    const publicKey = text(kp.PublicKey);
    const floating = text(ip.IP);
    return strip({
      source: text(snap.InstanceID),
      snapshotName: text(snap.SnapshotName),
      name: text(inst.InstanceName),
      image: strip({ name: text(img.ImageName), diskFormat: text(img.Format)?.toLowerCase(), visibility: access === undefined ? undefined : access === "true" ? "public" : access === "false" ? "private" : access }),
      keypair: strip({ name: text(kp.Name), publicKey, mode: publicKey ? "import" : text(kp.Name) ? "existing" : undefined }),
      securityGroup: text(inst.SecurityGroup),
      network: text(inst.Network),
      floatingIp: floating === undefined ? undefined : floating.toLowerCase() === "new" ? "new" : floating,
    });
  });
  return strip({ source: strip(login(root.CloudAlogIn)), target: strip(login(root.CloudBlogIn)), servers });
}

function strip<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
