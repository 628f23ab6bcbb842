/**
 * SHA-512 crypt ("$6$…"), as specified by Ulrich Drepper in "Unix crypt using SHA-256 and
 * SHA-512" (the algorithm glibc's crypt(3), `mkpasswd -m sha-512` and Python's `crypt` use).
 *
 * Why here: a desktop's password must reach the guest only as a hash (cloud-init
 * `hashed_passwd`), and Pulumi and its dynamic providers run in Node, where no crypt(3) is
 * available. The DesktopCredential provider hashes once per password, with a random salt, and
 * keeps the hash in state (desktop-credential.ts).
 */
import { createHash } from "node:crypto";

/** The 64 characters crypt uses for both salts and hashes. */
export const CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export const SHA512_CRYPT_DEFAULT_ROUNDS = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;

function sha512(...parts: Buffer[]): Buffer {
  const hash = createHash("sha512");
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** `length` bytes made of `digest` repeated (the spec's P and S sequences). */
function repeatTo(digest: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += digest.length)
    digest.copy(out, offset, 0, Math.min(digest.length, length - offset));
  return out;
}

/** The byte order in which the final digest is encoded, three bytes (high first) per group. */
const ENCODING_ORDER: readonly (readonly [number, number, number])[] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

function encode24(high: number, middle: number, low: number, chars: number): string {
  let word = (high << 16) | (middle << 8) | low;
  let out = "";
  for (let i = 0; i < chars; i++) {
    out += CRYPT_ALPHABET[word & 0x3f];
    word >>>= 6;
  }
  return out;
}

export interface Sha512CryptOptions {
  /** Salt characters (at most 16 are used, as the spec says); must not contain "$" or whitespace. */
  salt: string;
  /** Number of rounds; omitted means the default 5000 with no "rounds=" in the result. */
  rounds?: number;
}

/** Computes the SHA-512 crypt hash of `password`, e.g. "$6$salt$…86 characters". */
export function sha512Crypt(password: string, options: Sha512CryptOptions): string {
  if (/[$:\s]/.test(options.salt) || options.salt.length === 0) {
    throw new Error(`sha512Crypt: salt "${options.salt}" must be non-empty without "$", ":" or whitespace`);
  }
  const customRounds = options.rounds !== undefined;
  if (customRounds && (!Number.isInteger(options.rounds) || (options.rounds as number) < 1)) {
    throw new Error(`sha512Crypt: rounds ${options.rounds} must be a positive integer`);
  }
  // The spec clamps rounds into [1000, 999999999] rather than refusing them.
  const rounds = customRounds
    ? Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, options.rounds as number))
    : SHA512_CRYPT_DEFAULT_ROUNDS;
  const key = Buffer.from(password, "utf8");
  const saltText = options.salt.slice(0, SALT_MAX);
  const salt = Buffer.from(saltText, "utf8");

  // Digest B = H(key salt key).
  const digestB = sha512(key, salt, key);

  // Digest A = H(key salt B-for-each-byte-of-key, then B or key per bit of the key length).
  const a = createHash("sha512");
  a.update(key);
  a.update(salt);
  a.update(repeatTo(digestB, key.length));
  for (let length = key.length; length > 0; length >>= 1) a.update(length & 1 ? digestB : key);
  const digestA = a.digest();

  // P sequence: H(key repeated len(key) times), stretched to len(key) bytes.
  const dp = createHash("sha512");
  for (let i = 0; i < key.length; i++) dp.update(key);
  const pSequence = repeatTo(dp.digest(), key.length);

  // S sequence: H(salt repeated 16 + A[0] times), cut to len(salt) bytes.
  const ds = createHash("sha512");
  for (let i = 0; i < 16 + digestA[0]; i++) ds.update(salt);
  const sSequence = ds.digest().subarray(0, salt.length);

  let c = digestA;
  for (let i = 0; i < rounds; i++) {
    const round = createHash("sha512");
    round.update(i & 1 ? pSequence : c);
    if (i % 3 !== 0) round.update(sSequence);
    if (i % 7 !== 0) round.update(pSequence);
    round.update(i & 1 ? c : pSequence);
    c = round.digest();
  }

  let encoded = "";
  for (const [high, middle, low] of ENCODING_ORDER) encoded += encode24(c[high], c[middle], c[low], 4);
  encoded += encode24(0, 0, c[63], 2);
  return `$6$${customRounds ? `rounds=${rounds}$` : ""}${saltText}$${encoded}`;
}

/**
 * The hash Jupyter's `passwd_check` verifies: hexdigest(SHA-512(password + salt)), written
 * "sha512:<salt>:<hexdigest>" (notebook.auth.security and jupyter_server.auth.security).
 */
export function jupyterPasswordHash(password: string, salt: string): string {
  if (!/^[0-9A-Za-z./]{8,64}$/.test(salt))
    throw new Error(`Jupyter password salt "${salt}" must be 8–64 characters of [0-9A-Za-z./]`);
  const digest = createHash("sha512")
    .update(Buffer.from(password, "utf8"))
    .update(Buffer.from(salt, "ascii"))
    .digest("hex");
  return `sha512:${salt}:${digest}`;
}
