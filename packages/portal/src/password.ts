/**
 * Checks a sign-in against the hash the desktop pool made for the employee's desktop: SHA-512
 * crypt ("$6$…", what the desktop's PAM checks) or Jupyter's "sha512:salt:hex" (a notebook's
 * password). The portal keeps only these hashes; the password lives in memory for one request.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { sha512Crypt } from "@openstack-blueprints/components/thin-client";

const CRYPT = /^\$6\$(?:rounds=(\d+)\$)?([^$:\s]{1,16})\$([./0-9A-Za-z]{86})$/;
const JUPYTER = /^sha512:([0-9A-Za-z./]{8,64}):([0-9a-f]{128})$/;

export type HashKind = "sha512-crypt" | "jupyter-sha512";

/** Which scheme a stored hash uses, or undefined when it is neither (e.g. a clear password by mistake). */
export function hashKind(hash: string): HashKind | undefined {
  if (CRYPT.test(hash)) return "sha512-crypt";
  if (JUPYTER.test(hash)) return "jupyter-sha512";
  return undefined;
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  // timingSafeEqual needs equal lengths; comparing x with itself keeps the time the same.
  return timingSafeEqual(x, x.length === y.length ? y : x) && x.length === y.length;
}

/** True when `password` matches `hash`; compared in constant time. False for an unknown scheme. */
export function verifyPassword(password: string, hash: string): boolean {
  const crypt = CRYPT.exec(hash);
  if (crypt) {
    const rounds = crypt[1] === undefined ? undefined : Number(crypt[1]);
    return sameBytes(sha512Crypt(password, { salt: crypt[2], rounds }), hash);
  }
  const jupyter = JUPYTER.exec(hash);
  if (jupyter) {
    const digest = createHash("sha512")
      .update(Buffer.from(password, "utf8"))
      .update(Buffer.from(jupyter[1], "ascii"))
      .digest("hex");
    return sameBytes(digest, jupyter[2]);
  }
  return false;
}

/**
 * A hash no password matches, checked when the user name is unknown so that an unknown name
 * costs the same time as a wrong password (no telling which names exist).
 */
export const DECOY_HASH = sha512Crypt("decoy-password-never-used", { salt: "decoydecoydecoy0" });
