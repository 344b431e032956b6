/**
 * Per-player next-session learner (docs/design.md "Learner").
 *
 * Ordinary least squares with intercept, numerically matching scikit-learn's
 * `LinearRegression()`: X and y are centered on their means, then the minimum-norm least-squares
 * solution of the centered problem is taken (scipy `lstsq`, LAPACK gelsd). The centered n×2
 * design is decomposed with a one-sided Jacobi SVD (two column rotations, no normal equations);
 * singular values at or below `max(n_samples, 2) × eps × largest` are treated as zero — the
 * cutoff scikit-learn >= 1.6 passes to lstsq (numpy's default too). That makes the common
 * rank-deficient inputs (two samples, `burden = 2 − fta`, constant sessions) well defined: with a
 * bare `eps` cutoff, rounding noise of about 3e-16 in a collinear design survives and yields
 * coefficients of order 1e14.
 */
import { CoreInputError } from "./input_error.ts";

/** A trained (or untrainable) model, as stored in model state. */
export interface LearnerModel {
  status: "trained" | "insufficient_data";
  n_samples: number;
  coefficients: number[] | null;
  intercept: number | null;
  mae: number | null;
}

/** Fewest sessions that give a trained model (they yield `MIN_SESSIONS - 1` training pairs). */
export const MIN_SESSIONS = 3;

/** Machine epsilon of float64. */
const EPS = 2.220446049250313e-16;

/** Returns the dot product of two equally long vectors. */
function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Returns the Euclidean norm of a vector, scaled to avoid overflow and underflow. */
function norm(v: readonly number[]): number {
  let scale = 0;
  for (const x of v) scale = Math.max(scale, Math.abs(x));
  if (scale === 0) return 0;
  let ss = 0;
  for (const x of v) ss += (x / scale) * (x / scale);
  return scale * Math.sqrt(ss);
}

/**
 * Returns the minimum-norm least-squares solution of `[c₀ … cₖ] · w ≈ y` for the given columns,
 * treating singular values `<= rcond × largest` as zero (LAPACK gelsd semantics). One-sided
 * Jacobi: cyclic sweeps over the column pairs (for two columns, one rotation per sweep).
 */
function minNormLeastSquares(
  columns: readonly (readonly number[])[],
  y: readonly number[],
  rcond: number,
): number[] {
  const k = columns.length;
  if (k === 1) {
    // One column has one singular value, ‖a‖: the solution is (a·y)/(a·a), or 0 for a zero
    // column (any cutoff below 1 keeps a nonzero one). Exact for exactly linear scores.
    const aa = dot(columns[0], columns[0]);
    return [aa === 0 ? 0 : dot(columns[0], y) / aa];
  }
  const cols = columns.map((c) => [...c]);
  // Invariant: cols = columns · V, with V orthogonal (v[i][j]: row i, column j).
  const v = Array.from(
    { length: k },
    (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : 0) as number),
  );
  for (let sweep = 0; sweep < 20; sweep++) {
    let rotated = false;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const a = cols[p];
        const b = cols[q];
        const alpha = dot(a, a);
        const beta = dot(b, b);
        const gamma = dot(a, b);
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha) * Math.sqrt(beta)) continue;
        rotated = true;
        // Jacobi rotation J = [[c, s], [-s, c]] that makes the two columns orthogonal.
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        cols[p] = a.map((ai, i) => c * ai - s * b[i]);
        cols[q] = a.map((ai, i) => s * ai + c * b[i]);
        for (const row of v) [row[p], row[q]] = [c * row[p] - s * row[q], s * row[p] + c * row[q]];
      }
    }
    if (!rotated) break;
  }
  // Columns are now orthogonal: their norms are the singular values, col/σ the U columns.
  const sigma = cols.map(norm);
  const smax = Math.max(0, ...sigma);
  const w = new Array<number>(k).fill(0);
  if (smax === 0) return w;
  const tol = rcond * smax;
  for (let j = 0; j < k; j++) {
    if (sigma[j] <= tol) continue;
    const kj = dot(cols[j].map((x) => x / sigma[j]), y) / sigma[j];
    for (let i = 0; i < k; i++) w[i] += v[i][j] * kj;
  }
  return w;
}

/** Returns the arithmetic mean of a non-empty list (numpy sums pairwise: rounding-level difference). */
function mean(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** One session as a model sees it: its feature values and its target value. */
export interface SeriesPoint {
  features: readonly number[];
  target: number;
}

/**
 * Returns the model trained on a series of sessions in play order: each session's features
 * predict the next session's target (insufficient_data below MIN_SESSIONS sessions).
 */
export function trainSeries(sessions: readonly SeriesPoint[], nFeatures: number): LearnerModel {
  if (!Number.isInteger(nFeatures) || nFeatures < 1) {
    throw new CoreInputError("nFeatures must be an integer >= 1");
  }
  for (const [i, p] of sessions.entries()) {
    if (p.features.length !== nFeatures) {
      throw new CoreInputError(`sessions[${i}] must have ${nFeatures} feature(s)`);
    }
    if (!p.features.every(Number.isFinite) || !Number.isFinite(p.target)) {
      throw new CoreInputError(`sessions[${i}] must have finite features and target`);
    }
  }
  const n = sessions.length;
  if (n < MIN_SESSIONS) {
    return {
      status: "insufficient_data",
      n_samples: n,
      coefficients: null,
      intercept: null,
      mae: null,
    };
  }
  const xs = Array.from(
    { length: nFeatures },
    (_, j) => sessions.slice(0, -1).map((p) => p.features[j]),
  );
  const y = sessions.slice(1).map((p) => p.target);
  const means = xs.map(mean);
  const my = mean(y);
  // scikit-learn >= 1.6: cond = max(X.shape) * eps (see the module comment).
  const rcond = Math.max(y.length, nFeatures) * EPS;
  const coef = minNormLeastSquares(
    xs.map((x, j) => x.map((v) => v - means[j])),
    y.map((v) => v - my),
    rcond,
  );
  let dotMeans = 0;
  for (let j = 0; j < nFeatures; j++) dotMeans += means[j] * coef[j];
  const intercept = my - dotMeans;
  let absErr = 0;
  for (let i = 0; i < y.length; i++) {
    let fit = 0;
    for (let j = 0; j < nFeatures; j++) fit += xs[j][i] * coef[j];
    absErr += Math.abs(y[i] - (fit + intercept));
  }
  return {
    status: "trained",
    n_samples: n,
    coefficients: coef,
    intercept,
    mae: absErr / y.length,
  };
}

/**
 * Returns a trained model's prediction from the features of the last session, clamped to
 * `[min, max]`, or null when untrained, without a last session, or not a number.
 */
export function predictNext(
  model: LearnerModel,
  lastFeatures: readonly number[] | null,
  range: readonly [number, number],
): number | null {
  if (
    model.status !== "trained" || model.coefficients === null || model.intercept === null ||
    lastFeatures === null || lastFeatures.length !== model.coefficients.length
  ) {
    return null;
  }
  let raw = model.intercept;
  for (let j = 0; j < lastFeatures.length; j++) raw += model.coefficients[j] * lastFeatures[j];
  if (Number.isNaN(raw)) return null;
  return Math.min(range[1], Math.max(range[0], raw));
}
