/**
 * A seeded, deterministic source of random 32-bit words (xoshiro128**, seeded by splitmix32) for
 * tests and simulations of the privacy mechanism. Never used for a release: the service draws
 * its noise from crypto.getRandomValues (services/company_release.ts).
 */
import type { RandomWords } from "./dp_sampler.ts";

/** Returns a deterministic word source: the same seed gives the same words on every platform. */
export function seededWords(seed: number): RandomWords {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = new Uint32Array([split(), split(), split(), split()]);
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  return (out) => {
    for (let i = 0; i < out.length; i++) out[i] = next();
  };
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}
