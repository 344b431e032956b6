/**
 * Exact samplers for differential privacy (Canonne, Kamath, Steinke, "The Discrete Gaussian for
 * Differential Privacy", 2020, Algorithms 1–3), in integer arithmetic only.
 *
 * Every parameter is a non-negative rational given as two bigints, every draw consumes whole
 * 32-bit words of an injected random source, and every result is a bigint: no floating-point
 * value exists anywhere on the path, so no rounding of a float can leak the true value (Mironov,
 * "On significance of the least significant bits for differential privacy", 2012).
 * tests/core/dp_sampler_test.ts scans this file for float operations.
 */

/** A source of uniformly random 32-bit words: fills the array (like crypto.getRandomValues). */
export type RandomWords = (out: Uint32Array) => void;

/** A non-negative rational number num/den (den > 0). */
export interface Rational {
  num: bigint;
  den: bigint;
}

const ZERO = BigInt(0);
const ONE = BigInt(1);
const TWO = BigInt(2);
const WORD = BigInt(32);

/** Returns the number of bits needed to write n (n >= 0; 0 for 0). */
function bitLength(n: bigint): number {
  return n === ZERO ? 0 : n.toString(2).length;
}

/** Returns a uniform integer in [0, m) (m >= 1), by rejection over whole random words. */
export function uniformBelow(m: bigint, random: RandomWords): bigint {
  if (typeof m !== "bigint" || m < ONE) throw new RangeError("uniformBelow needs a bigint m >= 1");
  if (m === ONE) return ZERO;
  const bits = bitLength(m - ONE);
  const words = new Uint32Array((bits + 31) >>> 5);
  const mask = (ONE << BigInt(bits)) - ONE;
  while (true) {
    random(words);
    let x = ZERO;
    for (const w of words) x = (x << WORD) | BigInt(w);
    x &= mask;
    if (x < m) return x;
  }
}

/** Returns true with probability num/den (0 <= num <= den). */
export function bernoulli(num: bigint, den: bigint, random: RandomWords): boolean {
  if (num < ZERO || den < ONE || num > den) throw new RangeError("bernoulli needs 0 <= num <= den");
  return uniformBelow(den, random) < num;
}

/** Returns true with probability exp(-num/den) (num >= 0, den >= 1): Algorithm 1. */
export function bernoulliExp(num: bigint, den: bigint, random: RandomWords): boolean {
  if (num < ZERO || den < ONE) throw new RangeError("bernoulliExp needs num >= 0, den >= 1");
  if (num <= den) {
    let k = ONE;
    while (bernoulli(num, den * k, random)) k += ONE;
    return k % TWO === ONE;
  }
  for (let i = ZERO; i < num / den; i += ONE) {
    if (!bernoulliExp(ONE, ONE, random)) return false;
  }
  return bernoulliExp(num % den, den, random);
}

/**
 * Returns a draw of the discrete Laplace distribution with scale t/s, P(z) ∝ exp(-|z|·s/t)
 * over all integers z (t, s >= 1): Algorithm 2.
 */
export function discreteLaplace(t: bigint, s: bigint, random: RandomWords): bigint {
  if (typeof t !== "bigint" || typeof s !== "bigint" || t < ONE || s < ONE) {
    throw new RangeError("discreteLaplace needs bigints t, s >= 1");
  }
  while (true) {
    const u = uniformBelow(t, random);
    if (!bernoulliExp(u, t, random)) continue;
    let v = ZERO;
    while (bernoulliExp(ONE, ONE, random)) v += ONE;
    const y = (u + t * v) / s;
    const negative = bernoulli(ONE, TWO, random);
    if (negative && y === ZERO) continue;
    return negative ? -y : y;
  }
}

/** Returns floor(sqrt(n)) for n >= 0 (Newton's method on integers). */
export function isqrt(n: bigint): bigint {
  if (n < ZERO) throw new RangeError("isqrt needs n >= 0");
  if (n < TWO) return n;
  let x = ONE << BigInt((bitLength(n) + 1) >>> 1);
  while (true) {
    const y = (x + n / x) / TWO;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * Returns a draw of the discrete Gaussian N_Z(0, σ²), P(z) ∝ exp(-z²/(2σ²)), for the rational
 * σ² = sigma2.num / sigma2.den > 0: Algorithm 3.
 */
export function discreteGaussian(sigma2: Rational, random: RandomWords): bigint {
  const { num: n, den: d } = sigma2;
  if (typeof n !== "bigint" || typeof d !== "bigint" || n < ONE || d < ONE) {
    throw new RangeError("discreteGaussian needs a rational sigma2 > 0");
  }
  const t = isqrt(n / d) + ONE;
  while (true) {
    const y = discreteLaplace(t, ONE, random);
    const abs = y < ZERO ? -y : y;
    // (|y| - σ²/t)² / (2σ²) = (|y|·t·d - n)² / (2·n·d·t²)
    const diff = abs * t * d - n;
    if (bernoulliExp(diff * diff, TWO * n * d * t * t, random)) return y;
  }
}
