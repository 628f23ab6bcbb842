/**
 * The TU Crete S2D service's MigrationSpecs XML, read safely and strictly:
 * - any DOCTYPE (and so any entity declaration, internal or external) is refused before
 *   parsing, and the parser runs with entity processing off; the five predefined entities and
 *   character references are then decoded here (`p&amp;ss` is the password `p&ss`), and any
 *   other entity reference is refused;
 * - every element is checked against MIGRATION_SPECS_ELEMENTS: an unknown or misspelled
 *   element, an element given twice, elements inside a text field or text inside a section is
 *   an error naming its path and what is allowed there — a typo is never silently ignored;
 * - the result is mapped onto the YAML spec's shape and validated by the same zod schema.
 * The published form of these rules is schema/MigrationSpecs.xsd (test/xsd.test.ts keeps the two in step).
 * Every problem is collected, so one run lists them all.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { SpecError } from "./spec-error";

export function assertNoDtd(text: string, file: string): void {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new SpecError(file, [
      {
        path: "",
        message:
          "XML with a DOCTYPE or ENTITY declaration is refused (DTDs and external entities are not allowed); remove the <!DOCTYPE …> part",
      },
    ]);
  }
}

/** Text fields of a cloud login (`cloud` is a clouds.yaml name or a Keystone URL). */
const LOGIN = ["cloud", "tenant", "username", "password", "userDomain", "projectDomain", "region"];

/** The sections describing one server, and their text fields. */
const SERVER_SECTIONS: Record<string, string[]> = {
  SnapshotToCreate: ["InstanceID", "SnapshotName"],
  ImageToUpload: ["ImageName", "Format", "Access"],
  Keypair: ["Name", "PublicKey"],
  InstanceToLaunch: ["InstanceName", "SecurityGroup", "Network", "Flavor", "AvailabilityZone", "KeepFixedIPs"],
  AllocateIP: ["IP", "Network"],
  /** Repeated <Interface> elements, each with the fields of NETWORK_MAP_ENTRY (spec networkMap). */
  NetworkMap: ["Interface"],
};

/** One <Interface> of <NetworkMap>: A's network → B's network. */
const NETWORK_MAP_ENTRY = ["SourceNetwork", "TargetNetwork"];

/**
 * The accepted document, element by element: the TU Crete S2D service's elements plus, as extensions,
 * several <Server> blocks, <Network>/<Flavor>/<AvailabilityZone> in <InstanceToLaunch>, <Network> (the external
 * network) in <AllocateIP> and domains/region in the logins.
 */
export const MIGRATION_SPECS_ELEMENTS = {
  root: "MigrationSpecs",
  logins: ["CloudAlogIn", "CloudBlogIn"],
  loginFields: LOGIN,
  serverSections: SERVER_SECTIONS,
  networkMapEntry: NETWORK_MAP_ENTRY,
  repeatable: ["Server"],
} as const;

interface Elem {
  name: string;
  path: string;
  children: Elem[];
  /** Decoded text content (text and CDATA), untrimmed. */
  text: string;
  attrs: string[];
}

type Issue = { path: string; message: string; value?: unknown };

const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes XML's predefined entities and character references; anything else is reported. */
export function decodeXmlText(raw: string, path: string, issues: Issue[]): string {
  return raw.replace(/&([^;\s&<]*);/g, (whole, name: string) => {
    if (name in PREDEFINED) return PREDEFINED[name];
    const num = /^#x([0-9a-fA-F]+)$/.exec(name) ?? /^#([0-9]+)$/.exec(name);
    if (num) {
      const code = parseInt(num[1], name.startsWith("#x") ? 16 : 10);
      const allowed =
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff);
      if (allowed) return String.fromCodePoint(code);
      issues.push({ path, message: `character reference ${whole} is not a character XML allows; remove it` });
      return "";
    }
    issues.push({
      path,
      message: `entity ${whole} is not defined (XML defines only &amp; &lt; &gt; &quot; &apos; and &#…; references, and DTDs are refused); write the character itself`,
    });
    return "";
  });
}

type RawNode = Record<string, unknown>;

function toElems(nodes: RawNode[], parentPath: string, issues: Issue[]): Elem[] {
  const out: Elem[] = [];
  const counts = new Map<string, number>();
  for (const n of nodes) {
    const name = Object.keys(n).find((k) => k !== ":@");
    if (!name || name === "#text" || name === "#cdata" || name === "#comment") continue;
    const idx = counts.get(name) ?? 0;
    counts.set(name, idx + 1);
    const path = parentPath ? `${parentPath}.${name}${name === "Server" ? `[${idx}]` : ""}` : name;
    const raw = (n[name] as RawNode[]) ?? [];
    let text = "";
    for (const c of raw) {
      if ("#text" in c) text += decodeXmlText(String(c["#text"]), path, issues);
      else if ("#cdata" in c) text += ((c["#cdata"] as RawNode[]) ?? []).map((t) => String(t["#text"] ?? "")).join(""); // CDATA is literal
    }
    const attrs = Object.keys((n[":@"] as Record<string, unknown>) ?? {}).map((a) => a.replace(/^@_/, ""));
    out.push({ name, path, text, attrs, children: toElems(raw, path, issues) });
  }
  return out;
}

/** Checks a container's children against the allowed names; returns the text of each text field. */
function textFields(e: Elem, allowed: string[], issues: Issue[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (e.text.trim())
    issues.push({
      path: e.path,
      message: `<${e.name}> holds elements (${allowed.join(", ")}), not text; put the text inside one of them`,
      value: e.text.trim(),
    });
  for (const c of e.children) {
    if (!allowed.includes(c.name)) {
      issues.push({
        path: c.path,
        message: `unknown element <${c.name}> in <${e.name}>; expected one of ${allowed.join(", ")} (check the spelling and case)`,
      });
      continue;
    }
    if (c.name in out) {
      issues.push({ path: c.path, message: `<${c.name}> is given twice in <${e.name}>; keep one` });
      continue;
    }
    if (c.children.length) {
      issues.push({
        path: c.path,
        message: `<${c.name}> must hold text, not elements (found <${c.children.map((x) => x.name).join(">, <")}>)`,
      });
      out[c.name] = undefined;
      continue;
    }
    checkAttrs(c, issues);
    const t = c.text.trim();
    out[c.name] = t === "" ? undefined : t;
  }
  checkAttrs(e, issues);
  return out;
}

function checkAttrs(e: Elem, issues: Issue[], allowNamespaces = false): void {
  const bad = e.attrs.filter((a) => !(allowNamespaces && /^(xmlns(:.*)?|xsi:.*)$/.test(a)));
  if (bad.length)
    issues.push({
      path: e.path,
      message: `attribute(s) ${bad.join(", ")} on <${e.name}> are not part of MigrationSpecs; remove them`,
    });
}

export function parseMigrationSpecsXml(xml: string, file = "spec.xml"): unknown {
  assertNoDtd(xml, file);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new SpecError(file, [{ path: `line ${valid.err.line}`, message: `not well-formed XML: ${valid.err.msg}` }]);
  }
  const parser = new XMLParser({
    processEntities: false, // decoded by decodeXmlText, which knows only XML's own entities
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    ignoreAttributes: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    preserveOrder: true,
    cdataPropName: "#cdata",
    commentPropName: "#comment",
  });
  const issues: Issue[] = [];
  const top = toElems(parser.parse(xml) as RawNode[], "", issues);
  const root = top.find((e) => e.name === MIGRATION_SPECS_ELEMENTS.root);
  if (!root || top.length !== 1) {
    throw new SpecError(file, [{ path: "MigrationSpecs", message: "the root element must be <MigrationSpecs>" }]);
  }
  checkAttrs(root, issues, true);
  if (root.text.trim())
    issues.push({ path: root.path, message: "<MigrationSpecs> holds elements, not text", value: root.text.trim() });

  const logins: Record<string, Record<string, string | undefined>> = {};
  const sections: Record<string, Elem> = {};
  const serverBlocks: Elem[] = [];
  const rootAllowed = [...MIGRATION_SPECS_ELEMENTS.logins, ...Object.keys(SERVER_SECTIONS), "Server"];
  for (const c of root.children) {
    if ((MIGRATION_SPECS_ELEMENTS.logins as readonly string[]).includes(c.name)) {
      if (logins[c.name]) issues.push({ path: c.path, message: `<${c.name}> is given twice; keep one` });
      else logins[c.name] = textFields(c, LOGIN, issues);
    } else if (c.name in SERVER_SECTIONS) {
      if (sections[c.name])
        issues.push({ path: c.path, message: `<${c.name}> is given twice; use <Server> blocks for several servers` });
      else sections[c.name] = c;
    } else if (c.name === "Server") {
      serverBlocks.push(c);
    } else {
      issues.push({
        path: c.path,
        message: `unknown element <${c.name}> in <MigrationSpecs>; expected one of ${rootAllowed.join(", ")} (check the spelling and case)`,
      });
    }
  }
  if (serverBlocks.length && Object.keys(sections).length) {
    issues.push({
      path: "MigrationSpecs",
      message: `<${Object.keys(sections).join(">, <")}> directly in <MigrationSpecs> and <Server> blocks cannot be mixed; move them into a <Server> block`,
    });
  }

  const serverOf = (secs: Record<string, Elem>) => {
    const f = (section: string) => (secs[section] ? textFields(secs[section], SERVER_SECTIONS[section], issues) : {});
    // <NetworkMap> repeats <Interface>: read element by element, not as text fields.
    let networkMap: { source?: string; target?: string }[] | undefined;
    const nm = secs.NetworkMap;
    if (nm) {
      checkAttrs(nm, issues);
      if (nm.text.trim())
        issues.push({
          path: nm.path,
          message: "<NetworkMap> holds <Interface> elements, not text",
          value: nm.text.trim(),
        });
      networkMap = [];
      for (const c of nm.children) {
        if (c.name !== "Interface") {
          issues.push({
            path: c.path,
            message: `unknown element <${c.name}> in <NetworkMap>; expected Interface (check the spelling and case)`,
          });
          continue;
        }
        const e = textFields(c, NETWORK_MAP_ENTRY, issues);
        networkMap.push(strip({ source: e.SourceNetwork, target: e.TargetNetwork }));
      }
    }
    const snap = f("SnapshotToCreate");
    const img = f("ImageToUpload");
    const kp = f("Keypair");
    const inst = f("InstanceToLaunch");
    const ip = f("AllocateIP");
    const access = img.Access?.toLowerCase();
    const publicKey = kp.PublicKey;
    const floating = ip.IP;
    return strip({
      source: snap.InstanceID,
      snapshotName: snap.SnapshotName,
      name: inst.InstanceName,
      image: strip({
        name: img.ImageName,
        diskFormat: img.Format?.toLowerCase(),
        visibility:
          access === undefined ? undefined : access === "true" ? "public" : access === "false" ? "private" : access,
      }),
      keypair: strip({ name: kp.Name, publicKey, mode: publicKey ? "import" : kp.Name ? "existing" : undefined }),
      flavor: inst.Flavor ? { name: inst.Flavor } : undefined,
      securityGroup: inst.SecurityGroup,
      network: inst.Network,
      availabilityZone: inst.AvailabilityZone,
      networkMap,
      keepFixedIps:
        inst.KeepFixedIPs === undefined
          ? undefined
          : /^true$/i.test(inst.KeepFixedIPs)
            ? true
            : /^false$/i.test(inst.KeepFixedIPs)
              ? false
              : inst.KeepFixedIPs,
      floatingIp: floating === undefined ? undefined : floating.toLowerCase() === "new" ? "new" : floating,
      floatingNetwork: ip.Network,
    });
  };
  const blockSections = (b: Elem): Record<string, Elem> => {
    checkAttrs(b, issues);
    if (b.text.trim())
      issues.push({ path: b.path, message: "<Server> holds elements, not text", value: b.text.trim() });
    const secs: Record<string, Elem> = {};
    for (const c of b.children) {
      if (!(c.name in SERVER_SECTIONS))
        issues.push({
          path: c.path,
          message: `unknown element <${c.name}> in <Server>; expected one of ${Object.keys(SERVER_SECTIONS).join(", ")} (check the spelling and case)`,
        });
      else if (secs[c.name])
        issues.push({ path: c.path, message: `<${c.name}> is given twice in one <Server>; keep one` });
      else secs[c.name] = c;
    }
    return secs;
  };
  // The TU Crete S2D service's document describes one server; <Server> blocks (an extension) allow several.
  const servers = serverBlocks.length ? serverBlocks.map((b) => serverOf(blockSections(b))) : [serverOf(sections)];
  const doc = strip({ source: login(logins.CloudAlogIn), target: login(logins.CloudBlogIn), servers });
  if (issues.length) throw new SpecError(file, issues);
  return doc;
}

/**
 * A login: `cloud` is a Keystone URL (then username/password/tenant are the credentials) or a
 * clouds.yaml name (then given credentials replace the entry's; see clouds.ts).
 */
function login(o: Record<string, string | undefined> | undefined): Record<string, unknown> | undefined {
  if (!o) return undefined;
  const isUrl = o.cloud !== undefined && /^https?:\/\//.test(o.cloud);
  return strip({
    ...(isUrl ? { authUrl: o.cloud } : { cloud: o.cloud }),
    username: o.username,
    password: o.password,
    project: o.tenant,
    userDomain: o.userDomain,
    projectDomain: o.projectDomain,
    region: o.region,
  });
}

function strip<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
