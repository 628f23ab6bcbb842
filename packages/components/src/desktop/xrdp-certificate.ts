/**
 * A desktop's xrdp TLS key and self-signed certificate, made once by a dynamic provider and kept
 * in Pulumi state (the key secret), so the pool knows each certificate's SHA-256 fingerprint
 * before the guest boots and the connection sheet can print it: thin clients pin it instead of
 * trusting whatever answers on first use (xfreerdp `/cert:deny,fingerprint:sha256:…`).
 *
 * Why not the guest's snakeoil certificate: it is made on the guest at first boot, so nobody
 * outside the guest knows its fingerprint. Why a provider and not a key made in the program: it
 * must be the same key on every `pulumi up` (a new one would change the user data and rebuild the
 * desktop), and the engine keeps it encrypted.
 *
 * The key pair comes from Node's crypto (OpenSSL: RSA 2048, what Debian's make-ssl-cert and
 * xrdp's own example use, and what every RDP client accepts); the certificate is built and signed
 * by node-forge (a well-kept X.509 library: no hand-written ASN.1 here).
 *
 * Lifecycle: made at create and kept. A change of `hostname`, `validityDays` or `rotation`
 * replaces it (a new key and fingerprint; the desktop's user data changes, so the desktop is
 * rebuilt with it, see docs/desktop.md). Nothing renews it by itself: a pinned fingerprint does
 * not care about expiry, and a key that changed on its own would lock out every pinned client.
 */
import * as pulumi from "@pulumi/pulumi";
import { generateKeyPair, randomBytes, X509Certificate } from "node:crypto";
import { promisify } from "node:util";
import * as forge from "node-forge";
import { COMPONENTS_MODULE_ROOT, requireInProviderProcess } from "../pulumi/provider-process";

/** Default validity: ten years, the desktop's likely life; rotate earlier with `rotation`. */
export const DEFAULT_TLS_VALIDITY_DAYS = 3650;
/** At most ~30 years: X.509 dates past 2049 switch to GeneralizedTime, which old clients mishandle. */
export const TLS_VALIDITY_DAYS_MAX = 9000;
export const TLS_KEY_BITS = 2048;

/** What the program gives the provider (no secret). */
export interface XrdpCertificateInputs {
  /** The guest's host name: the certificate's subject CN and DNS name. */
  hostname: string;
  /** Days from creation to expiry, 1–9000. */
  validityDays: number;
  /** Free text; a change makes a new key and certificate (e.g. "2027-01"). */
  rotation: string;
}

/** What the provider keeps in state: the inputs, the certificate, its fingerprint and the key (secret). */
export interface XrdpCertificateOutputs extends XrdpCertificateInputs {
  /** PEM of the self-signed certificate (public). */
  certificatePem: string;
  /** PEM (PKCS#8) of the RSA key: secret. */
  privateKeyPem: string;
  /** SHA-256 of the certificate's DER, "AB:CD:…" (what openssl and Windows show). */
  fingerprintSha256: string;
  /** Expiry, ISO 8601. */
  notAfter: string;
}

/** The outputs Pulumi must encrypt in state and hide in previews. */
export const XRDP_CERTIFICATE_SECRET_OUTPUTS = ["privateKeyPem"] as const;

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Every problem with the inputs, each naming the field, the value and the fix. */
export function xrdpCertificateProblems(inputs: Partial<XrdpCertificateInputs>, what = "XrdpCertificate"): string[] {
  const problems: string[] = [];
  if (typeof inputs.hostname !== "string" || !HOSTNAME.test(inputs.hostname))
    problems.push(`${what}: hostname "${String(inputs.hostname)}" must be a DNS host name`);
  const days = inputs.validityDays;
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > TLS_VALIDITY_DAYS_MAX)
    problems.push(`${what}: validityDays ${String(days)} must be a whole number from 1 to ${TLS_VALIDITY_DAYS_MAX}`);
  if (inputs.rotation !== undefined && typeof inputs.rotation !== "string")
    problems.push(`${what}: rotation must be a string`);
  return problems;
}

/** SHA-256 fingerprint of a PEM certificate, "AB:CD:…" (Node's X509Certificate, i.e. OpenSSL). */
export function certificateFingerprintSha256(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256;
}

/**
 * The same fingerprint as xfreerdp's `/cert:` option takes it: `fingerprint:sha256:<hex>` with the
 * colons kept and lower-case hex (FreeRDP compares its own rendering of the hash, case-insensitively).
 */
export function freerdpFingerprintOption(fingerprintSha256: string): string {
  return `fingerprint:sha256:${fingerprintSha256.toLowerCase()}`;
}

/** A new RSA key and a self-signed server certificate for `hostname`, valid from now (less 1 h of clock skew). */
export async function makeXrdpCertificate(
  hostname: string,
  validityDays: number,
  now = new Date(),
): Promise<{ certificatePem: string; privateKeyPem: string; notAfter: Date }> {
  // The key from OpenSSL (native); forge only builds and signs the certificate. Asynchronous: an
  // RSA key takes ~0.1–0.5 s, and in the libuv thread pool the engine's parallel creates overlap.
  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: TLS_KEY_BITS });
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  // A positive 128-bit serial (the high bit clear: DER integers are signed).
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString("hex");
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + validityDays * 86_400_000);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const subject = [{ name: "commonName", value: hostname }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: [{ type: 2, value: hostname }] },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  // forge ends PEM lines with CRLF; files on the guest (and OpenSSL's own PEM) use LF.
  const certificatePem = forge.pki.certificateToPem(cert).replace(/\r\n/g, "\n");
  return { certificatePem, privateKeyPem, notAfter };
}

function checked(inputs: Partial<XrdpCertificateInputs>): XrdpCertificateInputs {
  const problems = xrdpCertificateProblems(inputs);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return {
    hostname: inputs.hostname as string,
    validityDays: inputs.validityDays as number,
    rotation: inputs.rotation ?? "",
  };
}

/** The provider's create: a new key and certificate. */
export async function createXrdpCertificate(inputs: Partial<XrdpCertificateInputs>): Promise<{
  id: string;
  outs: XrdpCertificateOutputs;
}> {
  const ins = checked(inputs);
  const { certificatePem, privateKeyPem, notAfter } = await makeXrdpCertificate(ins.hostname, ins.validityDays);
  const fingerprintSha256 = certificateFingerprintSha256(certificatePem);
  return {
    // The fingerprint is public (it is printed on the connection sheet): a fine ID.
    id: `${ins.hostname}-${fingerprintSha256.replace(/:/g, "").slice(0, 16).toLowerCase()}`,
    outs: { ...ins, certificatePem, privateKeyPem, fingerprintSha256, notAfter: notAfter.toISOString() },
  };
}

const REPLACING_INPUTS = ["hostname", "validityDays", "rotation"] as const;

/** The provider's diff: any input changed → replace (a new key); otherwise the kept one stays. */
export function diffXrdpCertificate(
  olds: Partial<XrdpCertificateOutputs>,
  news: Partial<XrdpCertificateInputs>,
): pulumi.dynamic.DiffResult {
  const defaults: Partial<XrdpCertificateInputs> = { rotation: "" };
  const replaces = REPLACING_INPUTS.filter((k) => (olds[k] ?? defaults[k]) !== (news[k] ?? defaults[k]));
  return { changes: replaces.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
}

const MODULE = `${COMPONENTS_MODULE_ROOT}/desktop/xrdp-certificate`;

export const xrdpCertificateProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: XrdpCertificateInputs) {
    return requireInProviderProcess<typeof import("./xrdp-certificate")>(MODULE).createXrdpCertificate(inputs);
  },
  async diff(_id: string, olds: XrdpCertificateOutputs, news: XrdpCertificateInputs) {
    return requireInProviderProcess<typeof import("./xrdp-certificate")>(MODULE).diffXrdpCertificate(olds, news);
  },
  // No update (the diff never asks for one) and no delete: nothing exists outside the state.
};

export interface XrdpCertificateArgs {
  hostname: pulumi.Input<string>;
  /** Default DEFAULT_TLS_VALIDITY_DAYS (ten years). */
  validityDays?: pulumi.Input<number>;
  /** A change makes a new key and certificate; default "". */
  rotation?: pulumi.Input<string>;
}

/** One desktop's xrdp TLS key (secret) and self-signed certificate, made once and kept in state. */
// `declare`, not `!`: a plain ES2022 field would reset the outputs super() set to undefined.
export class XrdpCertificate extends pulumi.dynamic.Resource {
  declare public readonly certificatePem: pulumi.Output<string>;
  declare public readonly privateKeyPem: pulumi.Output<string>;
  declare public readonly fingerprintSha256: pulumi.Output<string>;
  declare public readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: XrdpCertificateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      xrdpCertificateProvider,
      name,
      {
        hostname: args.hostname,
        validityDays: args.validityDays ?? DEFAULT_TLS_VALIDITY_DAYS,
        rotation: args.rotation ?? "",
        certificatePem: undefined,
        privateKeyPem: undefined,
        fingerprintSha256: undefined,
        notAfter: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...XRDP_CERTIFICATE_SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])],
      },
      "xrdp-certificate",
      "XrdpCertificate",
    );
  }
}
