// Reading instance user data the way cloud-init does, to find what a policy must refuse:
// password logins over SSH and passwords a reader of the user data (anyone with access to
// the Nova metadata service or the Pulumi state) could use. Pure, so it is tested alone.
import * as YAML from "yaml";

/** Nova refuses user data whose base64 form is longer than this. */
export const NOVA_USER_DATA_MAX_BASE64 = 65535;

/** Length of the base64 text Nova receives for this user data. */
export function userDataBase64Length(userData: string): number {
  return 4 * Math.ceil(Buffer.byteLength(userData, "utf8") / 3);
}

/** A crypt(3) hash such as "$6$salt$..." or "$y$j9T$..." (what cloud-init's `passwd` expects). */
export function looksLikeCryptHash(value: string): boolean {
  return /^\$[0-9a-z]{1,4}\$[^\s:]+$/.test(value);
}

/** cloud-init's "generate a random password" markers in chpasswd. */
const RANDOM_MARKERS = new Set(["R", "RANDOM"]);

/**
 * The #cloud-config document inside user data, or undefined when the user data is something
 * else (a shell script, MIME multipart). Base64 user data is decoded first, as Nova does not,
 * but some programs pre-encode it.
 */
export function cloudConfigOf(userData: string): Record<string, unknown> | undefined {
  let text = userData;
  if (!text.trimStart().startsWith("#") && /^[A-Za-z0-9+/=\s]+$/.test(text) && text.trim().length % 4 === 0) {
    const decoded = Buffer.from(text, "base64").toString("utf8");
    if (decoded.startsWith("#cloud-config")) text = decoded;
  }
  if (!text.startsWith("#cloud-config")) return undefined;
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    // No `{ cause }` here: the engine compiles a policy pack with ts-node's type check and its default library
    // (ES2017: Error takes one argument), so ErrorOptions would stop the pack from loading; the message keeps the cause.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`user data starts with #cloud-config but is not valid YAML: ${(e as Error).message}`);
  }
  return doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
}

const isTrue = (v: unknown) =>
  v === true || (typeof v === "string" && ["true", "yes", "on", "1"].includes(v.toLowerCase()));

/**
 * Every way this cloud-config enables password SSH or carries a plain password, one line each,
 * naming the key (never the password). Empty when the document is acceptable.
 */
export function plainPasswordProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (isTrue(doc.ssh_pwauth)) {
    problems.push("ssh_pwauth: true enables password logins over SSH; use ssh_authorized_keys (key-only SSH)");
  }
  if (typeof doc.password === "string" && !looksLikeCryptHash(doc.password)) {
    problems.push(
      "password: sets the default user's password in plain text; use a hashed password (users[].hashed_passwd) or SSH keys",
    );
  }
  const users = Array.isArray(doc.users) ? doc.users : [];
  users.forEach((user, i) => {
    if (user === null || typeof user !== "object") return;
    const u = user as Record<string, unknown>;
    const who = `users[${i}]${typeof u.name === "string" ? ` (${u.name})` : ""}`;
    if (u.plain_text_passwd !== undefined) {
      problems.push(`${who}.plain_text_passwd: is a plain password; use hashed_passwd with a SHA-512 crypt hash`);
    }
    if (typeof u.passwd === "string" && !looksLikeCryptHash(u.passwd)) {
      problems.push(
        `${who}.passwd: is not a crypt hash ("$6$..."), so it is a plain password; use hashed_passwd with a hash`,
      );
    }
  });
  const chpasswd = doc.chpasswd;
  if (chpasswd !== null && typeof chpasswd === "object") {
    const c = chpasswd as Record<string, unknown>;
    const listEntries: string[] =
      typeof c.list === "string" ? c.list.split("\n") : Array.isArray(c.list) ? c.list.map(String) : [];
    listEntries
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .forEach((entry, i) => {
        const sep = entry.indexOf(":");
        const password = sep < 0 ? "" : entry.slice(sep + 1);
        if (!looksLikeCryptHash(password) && !RANDOM_MARKERS.has(password)) {
          problems.push(
            `chpasswd.list[${i}] (${entry.slice(0, Math.max(sep, 0))}): is a plain password; use chpasswd.users with type: hash, or SSH keys`,
          );
        }
      });
    const chUsers = Array.isArray(c.users) ? c.users : [];
    chUsers.forEach((entry, i) => {
      if (entry === null || typeof entry !== "object") return;
      const e = entry as Record<string, unknown>;
      const password = typeof e.password === "string" ? e.password : "";
      const type = typeof e.type === "string" ? e.type : "hash";
      if (type === "RANDOM" || RANDOM_MARKERS.has(password)) return;
      if (type === "text" || !looksLikeCryptHash(password)) {
        problems.push(
          `chpasswd.users[${i}]${typeof e.name === "string" ? ` (${e.name})` : ""}: is a plain password; give a crypt hash with type: hash`,
        );
      }
    });
  }
  return problems;
}
