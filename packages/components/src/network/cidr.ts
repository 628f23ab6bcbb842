/**
 * IPv4 address and CIDR arithmetic: pure functions, no Pulumi.
 *
 * Addresses are handled as unsigned 32-bit numbers. Every parser throws an Error whose message
 * names the offending text and what was expected, so callers can prefix the field name.
 */

export interface Ipv4Cidr {
  /** Canonical text, e.g. "192.168.1.0/24". */
  readonly text: string;
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
  /** Number of addresses in the block (2^(32-prefix)). */
  readonly size: number;
  /** Last address of the block (the broadcast address for prefixes up to /30). */
  readonly last: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** True when `text` is a dotted-quad IPv4 address without leading zeros. */
export function isIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => OCTET.test(p));
}

/** Parses a dotted-quad IPv4 address into an unsigned 32-bit number. */
export function parseIpv4(text: string): number {
  if (typeof text !== "string" || !isIpv4(text)) {
    throw new Error(`"${text}" is not an IPv4 address (expected four numbers 0-255, e.g. 192.168.1.10)`);
  }
  return text.split(".").reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Formats an unsigned 32-bit number as a dotted-quad IPv4 address. */
export function formatIpv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`${value} is not a 32-bit IPv4 address value`);
  }
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export interface ParseCidrOptions {
  /**
   * When true (the default) a CIDR with host bits set ("192.168.1.5/24") is rejected with a
   * hint at the canonical form; when false it is silently canonicalised.
   */
  strict?: boolean;
}

/** Parses "a.b.c.d/n". Rejects prefixes outside 0-32 and, by default, host bits set. */
export function parseCidr(text: string, options: ParseCidrOptions = {}): Ipv4Cidr {
  const strict = options.strict ?? true;
  const match = typeof text === "string" ? /^([^/]+)\/(\d{1,2})$/.exec(text) : null;
  if (!match || !isIpv4(match[1]) || Number(match[2]) > 32 || (match[2].length > 1 && match[2].startsWith("0"))) {
    throw new Error(`"${text}" is not an IPv4 CIDR (expected address/prefix with prefix 0-32, e.g. 192.168.1.0/24)`);
  }
  const prefix = Number(match[2]);
  const size = 2 ** (32 - prefix);
  const address = parseIpv4(match[1]);
  const network = address - (address % size);
  const canonical = `${formatIpv4(network)}/${prefix}`;
  if (strict && network !== address) {
    throw new Error(`"${text}" has host bits set; the network is ${canonical}`);
  }
  return { text: canonical, network, prefix, size, last: network + size - 1 };
}

/** True when `text` parses as a canonical IPv4 CIDR. */
export function isIpv4Cidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

/** Canonical form of a CIDR, clearing host bits ("10.0.0.7/8" → "10.0.0.0/8"). */
export function canonicalCidr(text: string): string {
  return parseCidr(text, { strict: false }).text;
}

function asCidr(cidr: string | Ipv4Cidr): Ipv4Cidr {
  return typeof cidr === "string" ? parseCidr(cidr, { strict: false }) : cidr;
}

/** True when the address lies inside the block (network and broadcast addresses included). */
export function cidrContains(cidr: string | Ipv4Cidr, address: string): boolean {
  const block = asCidr(cidr);
  const value = parseIpv4(address);
  return value >= block.network && value <= block.last;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContainsCidr(outer: string | Ipv4Cidr, inner: string | Ipv4Cidr): boolean {
  const a = asCidr(outer);
  const b = asCidr(inner);
  return b.network >= a.network && b.last <= a.last;
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: string | Ipv4Cidr, b: string | Ipv4Cidr): boolean {
  const x = asCidr(a);
  const y = asCidr(b);
  return x.network <= y.last && y.network <= x.last;
}

/**
 * The usable host range. For /0-/30 the network and broadcast addresses are excluded; a /31 has
 * two usable addresses (RFC 3021 point-to-point) and a /32 one.
 */
export function hostRange(cidr: string | Ipv4Cidr): { first: string; last: string; count: number } {
  const block = asCidr(cidr);
  if (block.prefix >= 31) {
    return { first: formatIpv4(block.network), last: formatIpv4(block.last), count: block.size };
  }
  return { first: formatIpv4(block.network + 1), last: formatIpv4(block.last - 1), count: block.size - 2 };
}

/**
 * The n-th usable host address, counting from 1 (`nthHost("10.0.0.0/24", 1)` is 10.0.0.1).
 * Negative n counts from the end (-1 is the last usable host).
 */
export function nthHost(cidr: string | Ipv4Cidr, n: number): string {
  const block = asCidr(cidr);
  const range = hostRange(block);
  if (!Number.isInteger(n) || n === 0 || Math.abs(n) > range.count) {
    throw new Error(`host number ${n} is outside ${block.text}, which has ${range.count} usable address(es)`);
  }
  const first = parseIpv4(range.first);
  return formatIpv4(n > 0 ? first + n - 1 : first + range.count + n);
}

/**
 * The conventional gateway: the first usable host. A /31 or /32 has no room for a separate
 * gateway, so it has none (undefined).
 */
export function defaultGateway(cidr: string | Ipv4Cidr): string | undefined {
  const block = asCidr(cidr);
  return block.prefix >= 31 ? undefined : nthHost(block, 1);
}

/** True for network or broadcast addresses that cannot be given to a host (never for /31, /32). */
export function isReservedAddress(cidr: string | Ipv4Cidr, address: string): boolean {
  const block = asCidr(cidr);
  if (block.prefix >= 31) return false;
  const value = parseIpv4(address);
  return value === block.network || value === block.last;
}

/** Parses "a.b.c.d-e.f.g.h" or {start,end} pairs into numbers, checking start <= end. */
export function parseRange(start: string, end: string): { start: number; end: number } {
  const s = parseIpv4(start);
  const e = parseIpv4(end);
  if (s > e) throw new Error(`range ${start}-${end} ends before it starts`);
  return { start: s, end: e };
}

/** True when every address of start..end lies in the block. */
export function cidrContainsRange(cidr: string | Ipv4Cidr, start: string, end: string): boolean {
  const block = asCidr(cidr);
  const range = parseRange(start, end);
  return range.start >= block.network && range.end <= block.last;
}
