import assert from "node:assert/strict";
import {
  bernoulliExp,
  discreteGaussian,
  discreteLaplace,
  isqrt,
  type RandomWords,
  uniformBelow,
} from "../../core/dp_sampler.ts";
import { COMPANY_RELEASE_PLAN } from "../../core/company_plan.ts";
import { noiseScale, quantitiesOf, releasePeriod } from "../../core/company_release.ts";
import { seededWords } from "../../core/random_words.ts";

const N = 20_000;

/** Returns the mean and variance of bigint draws, as floats (the test's side only). */
function moments(draws: bigint[]): { mean: number; variance: number } {
  const xs = draws.map(Number);
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/** Asserts |observed − expected| <= z standard errors. */
function near(observed: number, expected: number, se: number, what: string, z = 4.5): void {
  assert.ok(
    Math.abs(observed - expected) <= z * se,
    `${what}: ${observed} vs ${expected} (±${z * se})`,
  );
}

Deno.test("`uniformBelow` is uniform over [0, m), also across word boundaries", () => {
  const random = seededWords(1);
  for (const m of [BigInt(7), BigInt(2) ** BigInt(40) + BigInt(3)]) {
    const buckets = new Array(7).fill(0);
    for (let i = 0; i < N; i++) {
      const x = uniformBelow(m, random);
      assert.ok(x >= BigInt(0) && x < m);
      buckets[Number(x % BigInt(7))] += 1;
    }
    // For m = 2^40 + 3 the residues mod 7 are uniform to within 4/2^40.
    for (const count of buckets) near(count, N / 7, Math.sqrt((N * 6) / 49), `m=${m} bucket`);
  }
  assert.equal(uniformBelow(BigInt(1), random), BigInt(0));
  assert.throws(() => uniformBelow(BigInt(0), random), RangeError);
});

Deno.test("`bernoulliExp` is true with probability exp(−γ) for γ below and above 1", () => {
  const random = seededWords(2);
  for (const [num, den] of [[1, 2], [1, 1], [5, 2], [0, 1]] as const) {
    let hits = 0;
    for (let i = 0; i < N; i++) if (bernoulliExp(BigInt(num), BigInt(den), random)) hits += 1;
    const p = Math.exp(-num / den);
    near(hits / N, p, Math.sqrt((p * (1 - p)) / N) || 1e-9, `exp(-${num}/${den})`);
  }
});

/** The exact moments of the discrete Laplace distribution with scale b: P(z) ∝ p^|z|. */
function laplaceMoments(b: number) {
  const p = Math.exp(-1 / b);
  return { p0: (1 - p) / (1 + p), variance: (2 * p) / ((1 - p) * (1 - p)) };
}

Deno.test("`discreteLaplace` matches the formula: mean 0, variance 2p/(1−p)², P(0) = (1−p)/(1+p)", () => {
  const random = seededWords(3);
  for (const [t, s] of [[3, 1], [5, 2], [50_000, 3]] as const) {
    const draws = Array.from({ length: N }, () => discreteLaplace(BigInt(t), BigInt(s), random));
    assert.ok(draws.every((d) => typeof d === "bigint"));
    const { mean, variance } = moments(draws);
    const exact = laplaceMoments(t / s);
    near(mean, 0, Math.sqrt(exact.variance / N), `mean t/s=${t}/${s}`);
    // The variance of a sample variance is about (μ4 − σ⁴)/n; for Laplace μ4 ≈ 6σ⁴.
    near(variance, exact.variance, exact.variance * Math.sqrt(5 / N), `variance t/s=${t}/${s}`);
    const zeros = draws.filter((d) => d === BigInt(0)).length / N;
    near(zeros, exact.p0, Math.sqrt((exact.p0 * (1 - exact.p0)) / N), `P(0) t/s=${t}/${s}`);
  }
});

Deno.test("`discreteGaussian` matches its exact variance and P(0)", () => {
  const random = seededWords(4);
  for (const [num, den] of [[4, 1], [9, 4]] as const) {
    const sigma2 = num / den;
    let z = 0;
    let second = 0;
    for (let x = -200; x <= 200; x++) {
      const w = Math.exp(-(x * x) / (2 * sigma2));
      z += w;
      second += x * x * w;
    }
    const variance = second / z;
    const draws = Array.from(
      { length: N },
      () => discreteGaussian({ num: BigInt(num), den: BigInt(den) }, random),
    );
    const m = moments(draws);
    near(m.mean, 0, Math.sqrt(variance / N), `mean σ²=${sigma2}`);
    near(m.variance, variance, variance * Math.sqrt(2 / N), `variance σ²=${sigma2}`);
    const p0 = 1 / z;
    const zeros = draws.filter((d) => d === BigInt(0)).length / N;
    near(zeros, p0, Math.sqrt((p0 * (1 - p0)) / N), `P(0) σ²=${sigma2}`);
  }
});

Deno.test("`isqrt` is the integer square root", () => {
  for (const n of [0, 1, 2, 3, 4, 15, 16, 17, 99, 100, 1_000_001]) {
    assert.equal(isqrt(BigInt(n)), BigInt(Math.floor(Math.sqrt(n))), `isqrt(${n})`);
  }
  const big = BigInt(10) ** BigInt(40);
  assert.equal(isqrt(big * big + BigInt(5)), big);
});

Deno.test("`seededWords` is deterministic per seed and differs between seeds", () => {
  const a = new Uint32Array(8);
  const b = new Uint32Array(8);
  seededWords(7)(a);
  seededWords(7)(b);
  assert.deepEqual([...a], [...b]);
  seededWords(8)(b);
  assert.notDeepEqual([...a], [...b]);
});

// --- No float on the path ---------------------------------------------------------------------

const FLOAT_PATTERNS: [RegExp, string][] = [
  [/\bMath\./, "Math."],
  [/\bparseFloat\b/, "parseFloat"],
  [/\bNumber\(/, "Number("],
  [/\btoFixed\b/, "toFixed"],
  [/\bInfinity\b|\bNaN\b/, "Infinity/NaN"],
  [/(?<![\w.])\d+\.\d/, "a decimal literal"],
  [/\d[eE][+-]?\d/, "an exponent literal"],
  [/\bFloat(32|64)Array\b/, "a float array"],
];

Deno.test("the samplers and the release mechanism contain no floating-point operation", async () => {
  for (const file of ["core/dp_sampler.ts", "core/company_release.ts"]) {
    const text = await Deno.readTextFile(new URL(`../../${file}`, import.meta.url));
    // Comments may talk about floats; the code may not use them.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    for (const [pattern, name] of FLOAT_PATTERNS) {
      assert.ok(!pattern.test(code), `${file} uses ${name}`);
    }
  }
});

Deno.test("a release runs with every Math function disabled and answers bigints only", () => {
  const names = Object.getOwnPropertyNames(Math).filter((n) =>
    typeof (Math as unknown as Record<string, unknown>)[n] === "function"
  );
  const saved = new Map(names.map((n) => [n, (Math as unknown as Record<string, unknown>)[n]]));
  const random = seededWords(5);
  // The word source runs outside the mechanism (crypto.getRandomValues in production): draw its
  // words before Math is disabled.
  const pool = new Uint32Array(200_000);
  random(pool);
  let at = 0;
  const words: RandomWords = (out) => {
    for (let i = 0; i < out.length; i++) out[i] = pool[at++ % pool.length];
  };
  for (const n of names) {
    Object.defineProperty(Math, n, {
      value: () => {
        throw new Error(`Math.${n} called on the noise path`);
      },
      configurable: true,
      writable: true,
    });
  }
  let released: Record<string, bigint>;
  try {
    released = releasePeriod(
      COMPANY_RELEASE_PLAN,
      "w",
      {
        "earth.players": BigInt(100),
        "earth.sessions": BigInt(250),
        "earth.fta_level": BigInt(650_000),
        "earth.repetition_burden": BigInt(1_500_000),
        "earth.earth_score_bucket": BigInt(600_000),
        "water.players": BigInt(10),
        "water.sessions": BigInt(20),
        "water.stress_score": BigInt(40_000),
        "all.new_players": BigInt(12),
      },
      { epsilon: { num: BigInt(1), den: BigInt(1) }, contributionBound: 3 },
      words,
    );
  } finally {
    for (const [n, f] of saved) {
      Object.defineProperty(Math, n, { value: f, configurable: true, writable: true });
    }
  }
  assert.equal(Object.keys(released).length, 9);
  for (const v of Object.values(released)) assert.equal(typeof v, "bigint");
});

Deno.test("the samplers refuse numbers: parameters must be bigints", () => {
  const random = seededWords(6);
  assert.throws(() => discreteLaplace(3 as unknown as bigint, BigInt(1), random), RangeError);
  assert.throws(() => uniformBelow(2.5 as unknown as bigint, random), RangeError);
});

// --- The mechanism's sensitivities and scales ------------------------------------------------

Deno.test("`quantitiesOf` states every sensitivity: players 1, sessions C, sums half the range", () => {
  const week = quantitiesOf(COMPANY_RELEASE_PLAN, "w", 3);
  assert.deepEqual(
    week.map((q) => [q.key, Number(q.sensitivity), Number(q.weight) / 600]),
    [
      ["earth.players", 1, 20],
      ["earth.sessions", 3, 10],
      ["water.players", 1, 5],
      ["water.sessions", 3, 5],
      ["earth.fta_level", 5_000, 30], // [0, 1] at 10,000 units: half of 10,000
      ["earth.repetition_burden", 10_000, 5], // [1, 3] at 10,000 units
      ["earth.earth_score_bucket", 5_000, 5], // [0, 10] at 1,000 units
      ["water.stress_score", 5_000, 5], // [0, 100] at 100 units
      ["all.new_players", 1, 15],
    ],
  );
  // A day has no new-players count: its weights total 85 instead of 100.
  assert.equal(quantitiesOf(COMPANY_RELEASE_PLAN, "d", 3).length, 8);
});

Deno.test("`noiseScale` is sensitivity / (ε · weight / total) as an exact rational", () => {
  const [fta] = quantitiesOf(COMPANY_RELEASE_PLAN, "w", 3).filter((q) =>
    q.key === "earth.fta_level"
  );
  // ε = 1: 5000 / (1 · 30 / 100) = 16,666.67 units = 1.667 in accuracy, per released sum
  // (weights in 1/600 percent: 18,000 of 60,000).
  assert.deepEqual(noiseScale(fta, BigInt(60_000), { num: BigInt(1), den: BigInt(1) }), {
    num: BigInt(300_000_000),
    den: BigInt(18_000),
  });
  // ε = 0.5 doubles it.
  assert.deepEqual(noiseScale(fta, BigInt(60_000), { num: BigInt(5), den: BigInt(10) }), {
    num: BigInt(3_000_000_000),
    den: BigInt(90_000),
  });
});

Deno.test("`releasePeriod` without noise releases the truth with sums centred on the range", () => {
  const out = releasePeriod(
    COMPANY_RELEASE_PLAN,
    "d",
    {
      "earth.players": BigInt(4),
      "earth.sessions": BigInt(7),
      "earth.fta_level": BigInt(30_000), // 4 players, mean 0.75
      "earth.repetition_burden": BigInt(60_000),
      "earth.earth_score_bucket": BigInt(20_000),
      "water.players": BigInt(0),
      "water.sessions": BigInt(0),
      "water.stress_score": BigInt(0),
    },
    { epsilon: { num: BigInt(1), den: BigInt(1) }, contributionBound: 3 },
    null,
  );
  assert.deepEqual(out, {
    "earth.players": BigInt(4),
    "earth.sessions": BigInt(7),
    "water.players": BigInt(0),
    "water.sessions": BigInt(0),
    "earth.fta_level": BigInt(30_000 - 4 * 5_000),
    "earth.repetition_burden": BigInt(60_000 - 4 * 20_000),
    "earth.earth_score_bucket": BigInt(20_000 - 4 * 5_000),
    "water.stress_score": BigInt(0),
  });
});
