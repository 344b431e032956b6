import assert from "node:assert/strict";
import type { LearnerModel } from "../../core/learner.ts";
import { predictNextFta, type SessionPoint, trainLearner } from "../helpers/earth_model.ts";
import { CoreInputError } from "../../core/input_error.ts";

interface LearnerCase {
  label: string;
  sessions: [number, number][];
  coef: [number, number];
  intercept: number;
  mae: number;
}

const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../fixtures/learner_vectors.json", import.meta.url),
  ),
) as { cases: LearnerCase[] };

/** Returns session points from [fta, burden] pairs. */
const points = (pairs: readonly (readonly [number, number])[]): SessionPoint[] =>
  pairs.map(([fta_level, repetition_burden]) => ({ fta_level, repetition_burden }));

/** Asserts |actual - expected| <= tol. */
function near(actual: number | null | undefined, expected: number, tol: number, what: string) {
  assert.ok(
    typeof actual === "number" && Math.abs(actual - expected) <= tol,
    `${what}: got ${actual}, expected ${expected} (±${tol})`,
  );
}

/** Asserts a trained model's numbers against expected values within tol. */
function assertModel(
  m: LearnerModel,
  coef: readonly [number, number],
  intercept: number,
  mae: number,
  tol: number,
  label: string,
) {
  assert.equal(m.status, "trained", label);
  assert.ok(m.coefficients !== null, label);
  near(m.coefficients[0], coef[0], tol, `${label} coef[0]`);
  near(m.coefficients[1], coef[1], tol, `${label} coef[1]`);
  near(m.intercept, intercept, tol, `${label} intercept`);
  near(m.mae, mae, tol, `${label} mae`);
}

Deno.test("learner: every fixture case matches scikit-learn within 1e-9", () => {
  assert.equal(fixture.cases.length, 30);
  for (const c of fixture.cases) {
    const m = trainLearner(points(c.sessions));
    assert.equal(m.n_samples, c.sessions.length, c.label);
    assertModel(m, c.coef, c.intercept, c.mae, 1e-9, c.label);
  }
});

Deno.test("learner: fewer than 3 sessions is insufficient_data with nulls", () => {
  for (const n of [0, 1, 2]) {
    const sessions = points([[0, 3], [1, 1]].slice(0, n) as [number, number][]);
    assert.deepEqual(trainLearner(sessions), {
      status: "insufficient_data",
      n_samples: n,
      coefficients: null,
      intercept: null,
      mae: null,
    });
  }
});

Deno.test("learner: hand-computed full-rank fit with residuals (5 sessions)", () => {
  // X = (0,3) (1,1) (0,2) (1,1), y = 1 0 1 1. Centered normal equations
  // [[1, -1.5], [-1.5, 2.75]] c = [-0.5, 0.75] give c = (-0.5, 0); intercept 0.75 + 0.25 = 1;
  // predictions 1, .5, 1, .5 → |errors| 0, .5, 0, .5 → mae 0.25.
  const m = trainLearner(points([[0, 3], [1, 1], [0, 2], [1, 1], [1, 2]]));
  assert.equal(m.n_samples, 5);
  assertModel(m, [-0.5, 0], 1, 0.25, 1e-12, "full rank");
});

Deno.test("learner: a perfectly linear sequence is recovered exactly", () => {
  // fta_{i+1} = -0.25 + 0.5·fta_i + 0.25·burden_i, all values dyadic (exact in binary).
  const sessions: [number, number][] = [[0, 2], [0.25, 3], [0.625, 1], [0.3125, 2], [0.40625, 1]];
  for (let i = 0; i + 1 < sessions.length; i++) {
    assert.equal(sessions[i + 1][0], -0.25 + 0.5 * sessions[i][0] + 0.25 * sessions[i][1]);
  }
  assertModel(trainLearner(points(sessions)), [0.5, 0.25], -0.25, 0, 1e-12, "linear");
});

Deno.test("learner: 3 sessions (2 samples, rank 1) give the minimum-norm solution", () => {
  // Centered rows ±(-0.5, 1), centered y ±0.25: coef = 0.25/1.25 · (-0.5, 1) = (-0.1, 0.2);
  // intercept = 0.75 - (0.5·-0.1 + 2·0.2) = 0.4; the two points are fit exactly.
  const m = trainLearner(points([[0, 3], [1, 1], [0.5, 2]]));
  assert.equal(m.n_samples, 3);
  assertModel(m, [-0.1, 0.2], 0.4, 0, 1e-12, "rank 1");
});

Deno.test("learner: constant features give zero coefficients and the mean as intercept", () => {
  const m = trainLearner(points([[0.5, 2], [0.5, 2], [0.5, 2], [0.5, 2]]));
  assert.deepEqual(m.coefficients?.map((c) => c + 0), [0, 0]);
  assert.equal(m.intercept, 0.5);
  assert.equal(m.mae, 0);
});

Deno.test("learner: collinear noise just above eps is rank deficient (sklearn >= 1.6 cutoff)", () => {
  // burden = 2 - fta in every session. The centered design's second singular value is pure
  // rounding noise (≈3.3e-16 × the first); scipy with cond=eps keeps it and returns coefficients
  // of -3.8e14, scikit-learn >= 1.6 (cond = max(n, p)·eps) drops it. Expected from
  // scipy.linalg.lstsq(Xc, yc, cond=5·eps).
  // Exactly the floats computeSessionMetrics produces (k / 3).
  const sessions: [number, number][] = [
    [0, 2],
    [2 / 3, 4 / 3],
    [1 / 3, 5 / 3],
    [0, 2],
    [1 / 3, 5 / 3],
    [2 / 3, 4 / 3],
  ];
  const m = trainLearner(points(sessions));
  assertModel(
    m,
    [-0.14285714285714277, 0.14285714285714274],
    0.19047619047619072,
    0.2095238095238095,
    1e-9,
    "noise",
  );
});

Deno.test("learner: non-finite inputs throw CoreInputError", () => {
  assert.throws(() => trainLearner(points([[0, 3], [Number.NaN, 1], [1, 1]])), CoreInputError);
  assert.throws(() => trainLearner(points([[0, Infinity], [1, 1], [1, 1]])), CoreInputError);
});

Deno.test("predictNextFta: intercept + c·last, clamped to [0, 1]", () => {
  const m = trainLearner(points([[0, 3], [1, 1], [0, 2], [1, 1], [1, 2]]));
  // 1 - 0.5·1 + 0·2 = 0.5
  near(predictNextFta(m, { fta_level: 1, repetition_burden: 2 }), 0.5, 1e-12, "prediction");
  const model = (intercept: number, coefficients: [number, number]): LearnerModel => ({
    status: "trained",
    n_samples: 5,
    coefficients,
    intercept,
    mae: 0,
  });
  const last = { fta_level: 1, repetition_burden: 2 };
  assert.equal(predictNextFta(model(0.5, [2, 0]), last), 1);
  assert.equal(predictNextFta(model(-0.5, [0, -1]), last), 0);
  assert.equal(predictNextFta(model(0.25, [0.25, 0.125]), last), 0.75);
  assert.equal(predictNextFta(model(0, [1, 0]), last), 1);
});

Deno.test("predictNextFta: null when untrained or without a last session", () => {
  const untrained = trainLearner(points([[0, 3], [1, 1]]));
  assert.equal(predictNextFta(untrained, { fta_level: 1, repetition_burden: 1 }), null);
  const trained = trainLearner(points([[0, 3], [1, 1], [0.5, 2]]));
  assert.equal(predictNextFta(trained, null), null);
});
