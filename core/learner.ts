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

/** The two metrics of one finalized session that the learner uses. */
export interface SessionPoint {
  fta_level: number;
  repetition_burden: number;
}

/** A trained (or untrainable) model, as stored in model state. */
export interface LearnerModel {
  status: "trained" | "insufficient_data";
  n_samples: number;
  coefficients: [number, number] | null;
  intercept: number | null;
  mae: number | null;
}

/** Fewest sessions that give a trained model (they yield `MIN_SESSIONS - 1` training pairs). */
export const MIN_SESSIONS = 3;

/** Machine epsilon of float64. */
const EPS = 2.220446049250313e-16;

type Vec2 = [number, number];

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
 * Returns the minimum-norm least-squares solution of `[a b] · w ≈ y` for columns `a`, `b`,
 * treating singular values `<= rcond × largest` as zero (LAPACK gelsd semantics).
 */
function minNormLeastSquares2(
  a0: readonly number[],
  b0: readonly number[],
  y: readonly number[],
  rcond: number,
): Vec2 {
  let a = [...a0];
  let b = [...b0];
  // Invariant: [a b] = [a0 b0] · V, with V orthogonal.
  let v00 = 1, v01 = 0, v10 = 0, v11 = 1;
  for (let sweep = 0; sweep < 20; sweep++) {
    const alpha = dot(a, a);
    const beta = dot(b, b);
    const gamma = dot(a, b);
    if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha) * Math.sqrt(beta)) break;
    // Jacobi rotation J = [[c, s], [-s, c]] that makes the two columns orthogonal.
    const zeta = (beta - alpha) / (2 * gamma);
    const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
    const c = 1 / Math.sqrt(1 + t * t);
    const s = c * t;
    const na = a.map((ai, i) => c * ai - s * b[i]);
    const nb = a.map((ai, i) => s * ai + c * b[i]);
    a = na;
    b = nb;
    [v00, v01] = [c * v00 - s * v01, s * v00 + c * v01];
    [v10, v11] = [c * v10 - s * v11, s * v10 + c * v11];
  }
  // Columns are now orthogonal: their norms are the singular values, a/σ and b/σ the U columns.
  const sa = norm(a);
  const sb = norm(b);
  const smax = Math.max(sa, sb);
  const w: Vec2 = [0, 0];
  if (smax === 0) return w;
  const tol = rcond * smax;
  if (sa > tol) {
    const k = dot(a.map((x) => x / sa), y) / sa;
    w[0] += v00 * k;
    w[1] += v10 * k;
  }
  if (sb > tol) {
    const k = dot(b.map((x) => x / sb), y) / sb;
    w[0] += v01 * k;
    w[1] += v11 * k;
  }
  return w;
}

/** Returns the arithmetic mean of a non-empty list (numpy sums pairwise: rounding-level difference). */
function mean(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** Returns the model trained on a player's sessions in play order (or insufficient_data). */
export function trainLearner(sessions: readonly SessionPoint[]): LearnerModel {
  for (const [i, p] of sessions.entries()) {
    if (!Number.isFinite(p.fta_level) || !Number.isFinite(p.repetition_burden)) {
      throw new CoreInputError(`sessions[${i}] must have finite fta_level and repetition_burden`);
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
  const x0 = sessions.slice(0, -1).map((p) => p.fta_level);
  const x1 = sessions.slice(0, -1).map((p) => p.repetition_burden);
  const y = sessions.slice(1).map((p) => p.fta_level);
  const m0 = mean(x0);
  const m1 = mean(x1);
  const my = mean(y);
  // scikit-learn >= 1.6: cond = max(X.shape) * eps (see the module comment).
  const rcond = Math.max(y.length, 2) * EPS;
  const coef = minNormLeastSquares2(
    x0.map((x) => x - m0),
    x1.map((x) => x - m1),
    y.map((v) => v - my),
    rcond,
  );
  const intercept = my - (m0 * coef[0] + m1 * coef[1]);
  let absErr = 0;
  for (let i = 0; i < y.length; i++) {
    absErr += Math.abs(y[i] - (x0[i] * coef[0] + x1[i] * coef[1] + intercept));
  }
  return {
    status: "trained",
    n_samples: n,
    coefficients: coef,
    intercept,
    mae: absErr / y.length,
  };
}

/** Returns the predicted next-session fta_level clamped to [0, 1], or null when untrained. */
export function predictNextFta(model: LearnerModel, last: SessionPoint | null): number | null {
  if (
    model.status !== "trained" || model.coefficients === null || model.intercept === null ||
    last === null
  ) {
    return null;
  }
  const [c0, c1] = model.coefficients;
  const raw = model.intercept + c0 * last.fta_level + c1 * last.repetition_burden;
  if (Number.isNaN(raw)) return null;
  return Math.min(1, Math.max(0, raw));
}
