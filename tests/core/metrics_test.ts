import assert from "node:assert/strict";
import { type AttemptOutcome, computeSessionMetrics } from "../../core/metrics.ts";
import { CoreInputError } from "../../core/input_error.ts";

interface MetricCase {
  label: string;
  events: AttemptOutcome[];
  fta_level: number;
  fta_strict: boolean;
  repetition_burden: number;
  earth_score_bucket: 0 | 5 | 10;
}

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/metric_vectors.json", import.meta.url)),
) as { cases: MetricCase[] };

/** Returns an attempt from a compact (sequence, attempt, correct) triple. */
const at = (sequence_index: number, attempt_index: number, ok: boolean): AttemptOutcome => ({
  sequence_index,
  attempt_index,
  is_correct: ok,
});

Deno.test("metrics: every fixture case matches the legacy system exactly", () => {
  assert.equal(fixture.cases.length, 27);
  for (const c of fixture.cases) {
    const m = computeSessionMetrics(c.events);
    assert.ok(m.fta_level === c.fta_level, `${c.label}: fta_level ${m.fta_level}`);
    assert.ok(
      m.repetition_burden === c.repetition_burden,
      `${c.label}: repetition_burden ${m.repetition_burden}`,
    );
    assert.equal(m.fta_strict, c.fta_strict, c.label);
    assert.equal(m.earth_score_bucket, c.earth_score_bucket, c.label);
  }
});

Deno.test("metrics: thirds are Python's sum/3 floats", () => {
  const one = computeSessionMetrics([at(1, 1, true), at(2, 2, true), at(3, 2, true)]);
  assert.equal(one.fta_level, 0.3333333333333333);
  assert.equal(one.repetition_burden, 1.6666666666666667);
  const two = computeSessionMetrics([at(1, 1, true), at(2, 1, true), at(3, 3, true)]);
  assert.equal(two.fta_level, 0.6666666666666666);
  assert.equal(two.repetition_burden, 1.6666666666666667);
  assert.equal(two.earth_score_bucket, 5);
});

Deno.test("metrics: empty session is all unsolved", () => {
  assert.deepEqual(computeSessionMetrics([]), {
    fta_level: 0,
    fta_strict: false,
    repetition_burden: 3,
    earth_score_bucket: 0,
  });
});

Deno.test("metrics: perfect session", () => {
  assert.deepEqual(computeSessionMetrics([at(1, 1, true), at(2, 1, true), at(3, 1, true)]), {
    fta_level: 1,
    fta_strict: true,
    repetition_burden: 1,
    earth_score_bucket: 10,
  });
});

Deno.test("metrics: out-of-order attempts use the lowest correct attempt_index", () => {
  // Sequence 1 correct at attempts 3 and 2 (given in that order): attempts_used = 2.
  const m = computeSessionMetrics([
    at(3, 1, true),
    at(1, 3, true),
    at(2, 2, true),
    at(1, 2, true),
    at(1, 1, false),
    at(2, 1, false),
  ]);
  assert.deepEqual(m, {
    fta_level: 1 / 3,
    fta_strict: false,
    repetition_burden: 5 / 3,
    earth_score_bucket: 5,
  });
});

Deno.test("metrics: duplicates do not change the result, in either order", () => {
  const base = [at(1, 1, true), at(2, 1, true), at(3, 2, true)];
  const expected = computeSessionMetrics(base);
  assert.deepEqual(expected, {
    fta_level: 2 / 3,
    fta_strict: false,
    repetition_burden: 4 / 3,
    earth_score_bucket: 5,
  });
  assert.deepEqual(computeSessionMetrics([...base, ...base]), expected);
  assert.deepEqual(computeSessionMetrics([at(1, 1, false), ...base, at(1, 1, false)]), expected);
  assert.deepEqual(computeSessionMetrics([...base].reverse()), expected);
});

Deno.test("metrics: a wrong attempt after a correct one is ignored", () => {
  const m = computeSessionMetrics([
    at(1, 1, true),
    at(1, 2, false),
    at(1, 3, false),
    at(2, 1, true),
    at(3, 1, true),
  ]);
  assert.equal(m.earth_score_bucket, 10);
  assert.equal(m.fta_strict, true);
  assert.equal(m.repetition_burden, 1);
});

Deno.test("metrics: sequences outside 1..3 are ignored", () => {
  const m = computeSessionMetrics([
    at(0, 1, true),
    at(-1, 1, true),
    at(4, 1, true),
    at(99, 3, false),
    at(2, 1, true),
  ]);
  assert.deepEqual(m, {
    fta_level: 1 / 3,
    fta_strict: false,
    repetition_burden: 7 / 3,
    earth_score_bucket: 0,
  });
});

Deno.test("metrics: unsolved sequence (three wrong tries) costs 3 and zeroes the bucket", () => {
  const m = computeSessionMetrics([
    at(1, 1, true),
    at(2, 1, true),
    at(3, 1, false),
    at(3, 2, false),
    at(3, 3, false),
  ]);
  assert.equal(m.fta_level, 0.6666666666666666);
  assert.equal(m.repetition_burden, 1.6666666666666667);
  assert.equal(m.earth_score_bucket, 0);
});

Deno.test("metrics: invalid attempts throw CoreInputError", () => {
  for (
    const bad of [
      at(1, 0, true),
      at(1, 4, true),
      at(1, 1.5, true),
      at(1.5, 1, true),
      at(Number.NaN, 1, true),
      { sequence_index: 1, attempt_index: 1, is_correct: "yes" as unknown as boolean },
    ]
  ) {
    assert.throws(() => computeSessionMetrics([bad]), CoreInputError);
  }
});
