import assert from "node:assert/strict";
import { DomainError } from "../../core/errors.ts";
import { CoreInputError } from "../../core/input_error.ts";
import { predictNext, trainSeries } from "../../core/learner.ts";
import { trainLearner } from "../helpers/earth_model.ts";
import {
  checkedMetrics,
  createRegistry,
  DEFAULT_TASK,
  EARTH,
  featuresOf,
  flatMetrics,
  type MetricValues,
  MODEL_NAMES,
  modelPoints,
  predictTaskNext,
  REGISTRY,
  taskByModel,
  taskFor,
  taskOfFlat,
  TASKS,
  trainTaskModel,
} from "../../core/tasks.ts";

const earth = (fta: number, burden: number): MetricValues => ({
  fta_level: fta,
  repetition_burden: burden,
  stress_score: null,
});
const water = (stress: number): MetricValues => ({
  fta_level: null,
  repetition_burden: null,
  stress_score: stress,
});

Deno.test("taskFor selects by task_version; undeclared versions get the earth task", () => {
  assert.equal(taskFor("earth_v1").name, "earth");
  assert.equal(taskFor("water_v1").name, "water");
  for (const v of ["fire_v9", "", "WATER_V1", "water_v2"]) assert.equal(taskFor(v), DEFAULT_TASK);
  assert.equal(DEFAULT_TASK.name, "earth");
  assert.deepEqual(MODEL_NAMES, ["earth", "water"]);
  assert.equal(taskByModel("water")?.name, "water");
  assert.equal(taskByModel("fire"), null);
  // Every task's name is its model's name, and no version belongs to two tasks.
  for (const t of TASKS) assert.equal(t.name, t.model.name);
  const versions = TASKS.flatMap((t) => t.versions);
  assert.equal(new Set(versions).size, versions.length);
});

/** Returns a task's summary as the API shows it: every registry metric, null but its own. */
const summary = (version: string, input: Parameters<typeof DEFAULT_TASK.summarize>[0]) =>
  flatMetrics(REGISTRY, taskFor(version).summarize(input));

Deno.test("earth summarize: the earth metrics, stress ignored", () => {
  const attempts = [
    { sequence_index: 1, attempt_index: 1, is_correct: true, duration_ms: 900 },
    { sequence_index: 2, attempt_index: 1, is_correct: false, duration_ms: 900 },
    { sequence_index: 2, attempt_index: 2, is_correct: true, duration_ms: 900 },
  ];
  assert.deepEqual(summary("earth_v1", { attempts, body: { stress_score: 80 } }), {
    fta_level: 1 / 3,
    fta_strict: false,
    repetition_burden: 2,
    earth_score_bucket: 0,
    stress_score: null,
  });
});

Deno.test("water summarize: stress required (400 kind) and 0..100, earth fields null", () => {
  const task = taskFor("water_v1");
  assert.deepEqual(summary("water_v1", { attempts: [], body: { stress_score: 0 } }), {
    fta_level: null,
    fta_strict: null,
    repetition_burden: null,
    earth_score_bucket: null,
    stress_score: 0,
  });
  assert.equal(task.summarize({ attempts: [], body: { stress_score: 100 } }).stress_score, 100);
  for (const missing of [undefined, null]) {
    assert.throws(
      () => task.summarize({ attempts: [], body: { stress_score: missing } }),
      (e: unknown) =>
        e instanceof DomainError && e.kind === "bad_request" &&
        e.message === "water_v1 sessions require stress_score in request body",
    );
  }
  for (const bad of [-1e-9, 100.0001, Number.NaN, Infinity]) {
    assert.throws(
      () => task.summarize({ attempts: [], body: { stress_score: bad } }),
      CoreInputError,
    );
  }
});

Deno.test("featuresOf and modelPoints keep only the sessions of the model's task", () => {
  const e = taskByModel("earth")!.model;
  const w = taskByModel("water")!.model;
  assert.deepEqual(featuresOf(e, earth(0.5, 2)), [0.5, 2]);
  assert.equal(featuresOf(e, water(40)), null);
  assert.deepEqual(featuresOf(w, water(40)), [40]);
  const mixed = [earth(0, 3), water(20), earth(1, 1), water(40)];
  assert.deepEqual(modelPoints(e, mixed), [
    { features: [0, 3], target: 0 },
    { features: [1, 1], target: 1 },
  ]);
  assert.deepEqual(modelPoints(w, mixed), [
    { features: [20], target: 20 },
    { features: [40], target: 40 },
  ]);
});

Deno.test("trainTaskModel: water 20, 40, 60 → [1], 20, MAE 0; next 80; clamped to [0, 100]", () => {
  const w = taskByModel("water")!.model;
  const model = trainTaskModel(w, [water(20), earth(1, 1), water(40), water(60)]);
  assert.deepEqual(model, {
    status: "trained",
    n_samples: 3,
    coefficients: [1],
    intercept: 20,
    mae: 0,
  });
  assert.equal(predictTaskNext(w, model, water(60)), 80);
  assert.equal(predictTaskNext(w, model, water(95)), 100);
  const falling = trainTaskModel(w, [water(90), water(50), water(10)]);
  assert.deepEqual([falling.coefficients, falling.intercept], [[1], -40]);
  assert.equal(predictTaskNext(w, falling, water(10)), 0);
  assert.equal(predictTaskNext(w, model, null), null);
  assert.equal(predictTaskNext(w, trainTaskModel(w, [water(5), water(6)]), water(6)), null);
  // A constant series: coefficient 0, the mean as intercept.
  const flat = trainTaskModel(w, [water(30), water(30), water(30)]);
  assert.deepEqual([flat.coefficients, flat.intercept, flat.mae], [[0], 30, 0]);
});

Deno.test("trainTaskModel for earth equals trainLearner, bit for bit", () => {
  const e = taskByModel("earth")!.model;
  const sessions = [earth(0, 3), earth(1 / 3, 5 / 3), earth(1, 1), earth(2 / 3, 4 / 3)];
  const points = sessions.map((s) => ({
    fta_level: s.fta_level as number,
    repetition_burden: s.repetition_burden as number,
  }));
  assert.deepEqual(trainTaskModel(e, [...sessions, water(50)]), trainLearner(points));
});

Deno.test("trainSeries with three features recovers an exactly linear target", () => {
  // y_next = 1 + 2·a − b + 0.5·c for the previous session's (a, b, c).
  const xs = [[0, 1, 2], [1, 0, 4], [2, 3, 0], [3, 1, 1], [1, 2, 3], [0, 0, 0]];
  const sessions = xs.map((features, i) => ({
    features,
    target: i === 0 ? 0 : 1 + 2 * xs[i - 1][0] - xs[i - 1][1] + 0.5 * xs[i - 1][2],
  }));
  const model = trainSeries(sessions, 3);
  assert.equal(model.status, "trained");
  const [a, b, c] = model.coefficients!;
  for (const [got, want] of [[a, 2], [b, -1], [c, 0.5], [model.intercept!, 1]]) {
    assert.ok(Math.abs(got - want) < 1e-12, `${got} ≠ ${want}`);
  }
  assert.ok(model.mae! < 1e-12);
  assert.ok(Math.abs(predictNext(model, [0, 0, 0], [-10, 10])! - 1) < 1e-12);
  assert.throws(() => trainSeries(sessions, 2), CoreInputError);
  assert.throws(() => trainSeries([{ features: [Number.NaN], target: 1 }], 1), CoreInputError);
});

Deno.test("`createRegistry` refuses a definition that refers to what it does not declare", () => {
  const water = { ...REGISTRY.task("water")! };
  const with_ = (patch: Partial<typeof water>) => [EARTH, { ...water, ...patch }];
  const cases: [string, ReturnType<typeof with_>, RegExp][] = [
    ["two tasks of one name", with_({ name: "earth" }), /duplicate task earth/],
    ["a version of two tasks", with_({ versions: ["earth_v1"] }), /duplicate task_version/],
    [
      "a metric of two tasks",
      with_({ metrics: [{ ...water.metrics[0], key: "fta_level" }] }),
      /duplicate metric fta_level/,
    ],
    ["a model named otherwise", with_({ model: { ...water.model, name: "w" } }), /named after/],
    [
      "a model feature it lacks",
      with_({ model: { ...water.model, features: ["fta_level"] } }),
      /model metric fta_level/,
    ],
    [
      "a company metric it lacks",
      with_({
        company: { ...water.company, metrics: [{ ...water.company.metrics[0], metric: "x" }] },
      }),
      /company metric x unknown/,
    ],
    [
      "a chart of a metric it lacks",
      with_({ charts: [{ ...water.charts[0], metric: "x" }] }),
      /chart of unknown metric x/,
    ],
    [
      "a bar chart of a metric without levels",
      with_({ charts: [{ ...water.charts[0], chart: "bar" }] }),
      /bar chart/,
    ],
    ["a name the storage refuses", with_({ name: "Water" }), /name must match/],
    [
      "one coefficient name too many",
      with_({ model: { ...water.model, coefficientNames: ["a", "b"] } }),
      /one coefficient name per feature/,
    ],
  ];
  for (const [what, tasks, message] of cases) {
    assert.throws(() => createRegistry(tasks), message, what);
  }
  assert.throws(() => createRegistry([]), /at least one task/);
  assert.equal(createRegistry([EARTH, water]).tasks.length, 2);
});

Deno.test("`checkedMetrics` passes exactly the task's metrics in range, else throws", () => {
  const w = REGISTRY.task("water")!;
  assert.deepEqual(checkedMetrics(w, { stress_score: 100 }), { stress_score: 100 });
  for (
    const bad of [{}, { stress_score: 101 }, { stress_score: true }, {
      stress_score: 1,
      fta_level: 1,
    }]
  ) {
    assert.throws(() => checkedMetrics(w, bad as Record<string, number>), Error);
  }
  const e = DEFAULT_TASK;
  const ok = { fta_level: 1, fta_strict: true, repetition_burden: 1, earth_score_bucket: 10 };
  assert.deepEqual(checkedMetrics(e, ok), ok);
  assert.throws(() => checkedMetrics(e, { ...ok, earth_score_bucket: 7 }), /earth_score_bucket/);
});

Deno.test("`taskOfFlat` maps a flat summary to the task all of whose metrics it has", () => {
  const flat = {
    fta_level: null,
    fta_strict: null,
    repetition_burden: null,
    earth_score_bucket: null,
    stress_score: 12.5,
  };
  const of = taskOfFlat(REGISTRY, flat);
  assert.deepEqual([of?.task.name, of?.metrics], ["water", { stress_score: 12.5 }]);
  assert.equal(taskOfFlat(REGISTRY, { ...flat, stress_score: null }), null);
  assert.equal(taskOfFlat(REGISTRY, { fta_level: 1, stress_score: null }), null, "half earth");
  assert.deepEqual(flatMetrics(REGISTRY, { stress_score: 12.5 }), flat);
});
