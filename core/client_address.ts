/**
 * Client addresses behind reverse proxies: IPv4/IPv6 parsing, CIDR ranges (TRUSTED_PROXIES) and
 * the right-most untrusted address of an `X-Forwarded-For` chain. Pure: strings in, strings out.
 *
 * Addresses are held as 16 bytes; IPv4 (and IPv4-mapped IPv6, `::ffff:a.b.c.d`) as the mapped
 * form, so `10.0.0.1` and `::ffff:10.0.0.1` are one address and a v4 range matches both.
 */

/** A CIDR range (a single address is a /32 or /128). */
export interface AddressRange {
  /** The network address, 16 bytes (IPv4 mapped into IPv6). */
  bytes: Uint8Array;
  /** Prefix length over the 128-bit form (an IPv4 /24 is 120). */
  prefix: number;
  /** The entry as configured, for messages. */
  text: string;
}

/** Most `X-Forwarded-For` entries examined, counted from the right. */
export const MAX_FORWARDED_HOPS = 32;
/** Most characters of `X-Forwarded-For` examined, counted from the right. */
export const MAX_FORWARDED_CHARS = 2048;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function ipv4Bytes(text: string): number[] | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map((p) => (p.length > 1 && p.startsWith("0") ? NaN : Number(p)));
  return parts.every((p) => p >= 0 && p <= 255) ? parts : null;
}

function ipv6Bytes(text: string): number[] | null {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string, last: boolean): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (last && i === parts.length - 1 && part.includes(".")) {
        const v4 = ipv4Bytes(part);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1], true) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const words = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Returns the 16-byte form of an IPv4 or IPv6 address (zone ids refused), or null. */
export function parseAddress(text: string): Uint8Array | null {
  const v4 = ipv4Bytes(text);
  if (v4) return Uint8Array.from([...MAPPED_PREFIX, ...v4]);
  const v6 = ipv6Bytes(text);
  return v6 ? Uint8Array.from(v6) : null;
}

function isMapped(bytes: Uint8Array): boolean {
  return MAPPED_PREFIX.every((b, i) => bytes[i] === b);
}

/** Returns the canonical text of an address: dotted IPv4 when mapped, else RFC 5952 IPv6. */
export function formatAddress(bytes: Uint8Array): string {
  if (isMapped(bytes)) return Array.from(bytes.slice(12)).join(".");
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Returns the range of one `address` or `address/prefix` entry, or null when it does not parse. */
export function parseRange(entry: string): AddressRange | null {
  const text = entry.trim();
  const slash = text.indexOf("/");
  const bytes = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!bytes) return null;
  const v4 = IPV4.test(slash < 0 ? text : text.slice(0, slash));
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  prefix += v4 ? 96 : 0;
  return { bytes: masked(bytes, prefix), prefix, text };
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** Returns the ranges of a TRUSTED_PROXIES comma list and the entries that do not parse. */
export function parseRanges(raw: string): { ranges: AddressRange[]; invalid: string[] } {
  const ranges: AddressRange[] = [];
  const invalid: string[] = [];
  for (const entry of raw.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const range = parseRange(entry);
    if (range) ranges.push(range);
    else invalid.push(entry);
  }
  return { ranges, invalid };
}

/** Returns true when `bytes` lies in one of `ranges`. */
export function inRanges(bytes: Uint8Array, ranges: readonly AddressRange[]): boolean {
  return ranges.some((r) => masked(bytes, r.prefix).every((b, i) => b === r.bytes[i]));
}

/** Returns the address of one forwarded entry (`a.b.c.d`, `a.b.c.d:port`, `v6`, `[v6]:port`). */
function forwardedEntry(entry: string): Uint8Array | null {
  const text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return parseAddress(bracketed[1]);
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  return parseAddress(v4port ? v4port[1] : text);
}

/** Returns the peer's address without an IPv6 zone id, or null for a non-IP peer. */
function peerAddress(peer: string): Uint8Array | null {
  const zone = peer.indexOf("%");
  return parseAddress(zone < 0 ? peer : peer.slice(0, zone));
}

/**
 * Returns the client address of a request: the socket peer, or, when the peer is trusted, the
 * right-most `X-Forwarded-For` entry that is not itself trusted. Walking from the right, an entry
 * that does not parse ends the walk at the trusted hop that forwarded it (it vouches for nothing
 * further left); a chain of only trusted hops gives its left-most examined entry. Only the last
 * MAX_FORWARDED_HOPS entries (and MAX_FORWARDED_CHARS characters) are examined.
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | null | undefined,
  trusted: readonly AddressRange[],
): string {
  const peerBytes = peerAddress(peer);
  if (!peerBytes) return peer === "" ? "unknown" : peer;
  if (!forwardedFor || trusted.length === 0 || !inRanges(peerBytes, trusted)) {
    return formatAddress(peerBytes);
  }
  let tail = forwardedFor;
  if (tail.length > MAX_FORWARDED_CHARS) {
    tail = tail.slice(-MAX_FORWARDED_CHARS);
    tail = tail.slice(tail.indexOf(",") + 1); // drop the cut-off entry
  }
  const entries = tail.split(",").slice(-MAX_FORWARDED_HOPS).reverse();
  let nearest = peerBytes;
  for (const entry of entries) {
    const bytes = forwardedEntry(entry);
    if (!bytes) break;
    nearest = bytes;
    if (!inRanges(bytes, trusted)) break;
  }
  return formatAddress(nearest);
}

/**
 * Returns the key failures are counted under: the address itself for IPv4, its /64 network for
 * IPv6 (one subscriber usually holds a whole /64 and could otherwise rotate through it).
 */
export function limiterKey(address: string): string {
  const bytes = parseAddress(address);
  if (!bytes || isMapped(bytes)) return address;
  return `${formatAddress(masked(bytes, 64))}/64`;
}
