import assert from "node:assert/strict";
import {
  aggregateByDay,
  buildRollup,
  type DayAggregate,
  type EngagementSession,
  minutesFromSeconds,
  type Rollup,
  scoreToHundredths,
  toneOf,
  windowDays,
} from "../../core/rollup.ts";
import { CoreInputError } from "../../core/input_error.ts";
import { DomainError, InvariantViolation } from "../../core/errors.ts";

const NOW = new Date("2024-03-10T15:00:00Z"); // window 2024-03-04 .. 2024-03-10

/** Returns a session from an ISO start, seconds and a 0..1 score (or null). */
const session = (start: string, seconds: number, score: number | null): EngagementSession => ({
  startedAt: new Date(start),
  durationSeconds: seconds,
  sentimentHundredths: score === null ? null : scoreToHundredths(score),
});

/** Returns one day aggregate. */
const day = (
  d: string,
  sessions: number,
  seconds: number,
  sentimentSum = 0,
  sentimentCount = 0,
): DayAggregate => ({ day: d, sessions, seconds, sentimentSum, sentimentCount });

/** Returns the rollup of raw sessions at `now`. */
const rollupOf = (sessions: EngagementSession[], now: Date, lastSessionEnd: Date | null = null) =>
  buildRollup({ now, days: aggregateByDay(sessions, now), lastSessionEnd });

Deno.test("scoreToHundredths: decimal half-up on the shortest decimal string", () => {
  const cases: [number, number][] = [
    [0.235, 24],
    [0.6789, 68],
    [0.125, 13],
    [0.145, 15], // binary 0.14499999999999999 would round down
    [0.6, 60],
    [0.62, 62],
    [1, 100],
    [0, 0],
    [-0, 0],
    [0.005, 1],
    [0.004999, 0],
    [0.995, 100],
    [0.994999, 99],
    [1e-7, 0],
    [5e-7, 0],
    [0.0049, 0],
    [0.01, 1],
    [0.1, 10],
    [0.5, 50],
  ];
  for (const [score, hundredths] of cases) {
    assert.equal(scoreToHundredths(score), hundredths, String(score));
  }
  for (const bad of [-0.01, 1.0000001, Number.NaN, Infinity, -Infinity]) {
    assert.throws(() => scoreToHundredths(bad), CoreInputError, String(bad));
  }
});

Deno.test("minutesFromSeconds: integer half-up", () => {
  const cases: [number, number][] = [
    [0, 0],
    [29, 0],
    [30, 1],
    [89, 1],
    [90, 2],
    [119, 2],
    [150, 3],
    [86400, 1440],
  ];
  for (const [s, m] of cases) assert.equal(minutesFromSeconds(s), m, String(s));
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(() => minutesFromSeconds(bad), CoreInputError, String(bad));
  }
});

Deno.test("toneOf: thresholds in hundredths", () => {
  assert.equal(toneOf(100), "positive");
  assert.equal(toneOf(61), "positive");
  assert.equal(toneOf(60), "neutral");
  assert.equal(toneOf(40), "neutral");
  assert.equal(toneOf(39), "negative");
  assert.equal(toneOf(0), "negative");
});

Deno.test("windowDays: seven UTC days ending today", () => {
  assert.deepEqual(windowDays(NOW), [
    "2024-03-04",
    "2024-03-05",
    "2024-03-06",
    "2024-03-07",
    "2024-03-08",
    "2024-03-09",
    "2024-03-10",
  ]);
  assert.deepEqual(windowDays(new Date("2024-03-01T23:59:59.999Z")), [
    "2024-02-24",
    "2024-02-25",
    "2024-02-26",
    "2024-02-27",
    "2024-02-28",
    "2024-02-29",
    "2024-03-01",
  ]);
  // 00:30 at +02:00 is still the previous UTC day.
  assert.equal(windowDays(new Date("2024-03-11T00:30:00+02:00"))[6], "2024-03-10");
});

Deno.test("daily sentiment: mean(0.62, 0.58, 0.60) is 0.60", () => {
  const r = rollupOf(
    [
      session("2024-03-10T08:00:00Z", 60, 0.62),
      session("2024-03-10T09:00:00Z", 60, 0.58),
      session("2024-03-10T10:00:00Z", 60, 0.6),
    ],
    NOW,
  );
  assert.deepEqual(r.toneTrend.dailySentiment, [null, null, null, null, null, null, 0.6]);
  assert.equal(r.toneTrend.current, "neutral");
  assert.equal(r.avgDuration.dailyDurations[6], 3);
});

Deno.test("daily sentiment: each score rounded first, then the mean rounded half up", () => {
  // 0.235 → 24 alone.
  assert.deepEqual(
    rollupOf([session("2024-03-10T08:00:00Z", 60, 0.235)], NOW).toneTrend.dailySentiment[6],
    0.24,
  );
  // 0.6789 → 68.
  assert.deepEqual(
    rollupOf([session("2024-03-10T08:00:00Z", 60, 0.6789)], NOW).toneTrend.dailySentiment[6],
    0.68,
  );
  const sentimentOf = (sum: number, count: number) =>
    buildRollup({ now: NOW, days: [day("2024-03-10", count, 0, sum, count)], lastSessionEnd: null })
      .toneTrend.dailySentiment[6];
  assert.equal(sentimentOf(47, 2), 0.24); // 23.5 → 24
  assert.equal(sentimentOf(45, 2), 0.23); // 22.5 → 23
  assert.equal(sentimentOf(1, 3), 0); // 0.33 → 0
  assert.equal(sentimentOf(2, 3), 0.01); // 0.67 → 1
  assert.equal(sentimentOf(300, 3), 1);
});

Deno.test("tone: from the newest non-null day, thresholds 0.61 / 0.60 / 0.40 / 0.39", () => {
  const toneFor = (h: number) =>
    buildRollup({ now: NOW, days: [day("2024-03-10", 1, 60, h, 1)], lastSessionEnd: null })
      .toneTrend.current;
  assert.equal(toneFor(61), "positive");
  assert.equal(toneFor(60), "neutral");
  assert.equal(toneFor(40), "neutral");
  assert.equal(toneFor(39), "negative");
  // Today has sessions without sentiment: yesterday's value decides.
  const r = buildRollup({
    now: NOW,
    days: [
      day("2024-03-08", 1, 60, 90, 1),
      day("2024-03-09", 1, 60, 30, 1),
      day("2024-03-10", 2, 60),
    ],
    lastSessionEnd: null,
  });
  assert.equal(r.toneTrend.current, "negative");
  assert.deepEqual(r.toneTrend.dailySentiment, [null, null, null, null, 0.9, 0.3, null]);
});

Deno.test("streak: consecutive active days ending today", () => {
  const streakOf = (active: number[]) =>
    buildRollup({
      now: NOW,
      days: active.map((i) => day(windowDays(NOW)[i], 1, 60)),
      lastSessionEnd: null,
    }).streak;
  assert.deepEqual(streakOf([0, 1, 3, 4, 5, 6]), {
    days: 4,
    dailyActivity: [true, true, false, true, true, true, true],
  });
  assert.equal(streakOf([0, 1, 2, 3, 4, 5]).days, 0); // today inactive
  assert.equal(streakOf([0, 1, 2, 3, 4, 5, 6]).days, 7);
  assert.equal(streakOf([6]).days, 1);
  // A zero-second session still makes the day active.
  const r = buildRollup({ now: NOW, days: [day("2024-03-10", 1, 0)], lastSessionEnd: null });
  assert.equal(r.streak.days, 1);
  assert.equal(r.avgDuration.minutes, 0);
});

Deno.test("avg minutes: half-up mean of the non-zero days", () => {
  const avgOf = (secondsPerDay: number[]) =>
    buildRollup({
      now: NOW,
      days: secondsPerDay.map((s, i) => day(windowDays(NOW)[i], 1, s)),
      lastSessionEnd: null,
    }).avgDuration;
  assert.deepEqual(avgOf([60, 120]), { minutes: 2, dailyDurations: [1, 2, 0, 0, 0, 0, 0] }); // 1.5
  assert.equal(avgOf([60, 60, 120]).minutes, 1); // 1.33
  assert.equal(avgOf([60, 120, 120]).minutes, 2); // 1.67
  assert.equal(avgOf([600, 0, 0, 29, 0, 0, 1200]).minutes, 15); // zero days are skipped
  assert.equal(avgOf([29]).minutes, 0);
});

Deno.test("a session counts on its UTC start day even when it crosses midnight", () => {
  const r = rollupOf([session("2024-03-09T23:50:00Z", 1200, 0.7)], NOW);
  assert.deepEqual(r.streak.dailyActivity, [false, false, false, false, false, true, false]);
  assert.deepEqual(r.avgDuration.dailyDurations, [0, 0, 0, 0, 0, 20, 0]);
  assert.equal(r.streak.days, 0);
  // A start just before midnight in +02:00 is still the previous UTC day.
  const s = rollupOf([session("2024-03-10T01:30:00+02:00", 60, null)], NOW);
  assert.deepEqual(s.streak.dailyActivity, [false, false, false, false, false, true, false]);
});

Deno.test("read-time window: the same sessions move with `now`", () => {
  const sessions = [session("2024-03-07T10:00:00Z", 600, 0.8)];
  const at = (iso: string) => rollupOf(sessions, new Date(iso)).avgDuration.dailyDurations;
  assert.deepEqual(at("2024-03-07T23:59:59Z"), [0, 0, 0, 0, 0, 0, 10]); // today
  assert.deepEqual(at("2024-03-10T15:00:00Z"), [0, 0, 0, 10, 0, 0, 0]); // 3 days ago → index 3
  assert.deepEqual(at("2024-03-12T00:00:00Z"), [0, 10, 0, 0, 0, 0, 0]);
  assert.deepEqual(at("2024-03-13T23:59:59Z"), [10, 0, 0, 0, 0, 0, 0]); // 6 days ago → index 0
  assert.deepEqual(at("2024-03-14T00:00:00Z"), [0, 0, 0, 0, 0, 0, 0]); // 7 days ago: gone
  assert.deepEqual(at("2024-03-01T00:00:00Z"), [0, 0, 0, 0, 0, 0, 0]); // future session: not in window
  const old = rollupOf(sessions, new Date("2024-03-20T00:00:00Z"));
  assert.equal(old.toneTrend.current, "neutral");
  assert.equal(old.streak.days, 0);
});

Deno.test("aggregateByDay: window-only per-day totals, null sentiment not counted", () => {
  const sessions = [
    session("2024-03-03T23:00:00Z", 600, 0.9), // 7 days before today: outside
    session("2024-03-04T09:00:00Z", 1500, 0.62),
    session("2024-03-04T18:00:00Z", 100, 0.58),
    session("2024-03-06T12:00:00Z", 90, null),
    session("2024-03-10T07:00:00Z", 29, 0.45),
    session("2024-03-10T10:00:00Z", 0, 0.4),
    session("2024-03-11T00:00:00Z", 60, 0.1), // tomorrow: outside
  ];
  assert.deepEqual(aggregateByDay(sessions, NOW), [
    day("2024-03-04", 2, 1600, 120, 2),
    day("2024-03-06", 1, 90, 0, 0),
    day("2024-03-10", 2, 29, 85, 2),
  ]);
  assert.deepEqual(aggregateByDay([], NOW), []);
});

Deno.test("full dashboard from raw sessions (hand-computed)", () => {
  const sessions = [
    session("2024-03-03T23:00:00Z", 600, 0.9), // outside the window
    session("2024-03-04T09:00:00Z", 1500, 0.62), // idx 0: 1600 s → 27 min; (62+58)/2 = 0.60
    session("2024-03-04T18:00:00Z", 100, 0.58),
    session("2024-03-06T12:00:00Z", 90, null), // idx 2: 2 min, no sentiment
    session("2024-03-08T08:00:00Z", 600, 0.235), // idx 4: 10 min, 0.24
    session("2024-03-09T23:50:00Z", 1200, 0.7), // idx 5: 20 min (crosses midnight), 0.70
    session("2024-03-10T07:00:00Z", 29, 0.45), // idx 6: 29 s → 0 min; (45+40)/2 = 42.5 → 0.43
    session("2024-03-10T10:00:00Z", 0, 0.4),
  ];
  const expected: Rollup = {
    lastSession: { timestamp: "2024-03-10T10:00:00.000Z" },
    streak: { days: 3, dailyActivity: [true, false, true, false, true, true, true] },
    avgDuration: { minutes: 15, dailyDurations: [27, 0, 2, 0, 10, 20, 0] }, // 59 / 4 = 14.75
    toneTrend: { current: "neutral", dailySentiment: [0.6, null, null, null, 0.24, 0.7, 0.43] },
    lastUpdated: "2024-03-10T15:00:00.000Z",
  };
  assert.deepEqual(rollupOf(sessions, NOW, new Date("2024-03-10T10:00:00Z")), expected);
});

Deno.test("buildRollup: days outside the window are ignored, same-day aggregates add up", () => {
  const r = buildRollup({
    now: NOW,
    days: [
      day("2024-03-03", 5, 6000, 500, 5),
      day("2024-03-11", 5, 6000, 0, 5),
      day("2024-03-10", 1, 60, 80, 1),
      day("2024-03-10", 1, 60), // e.g. an Earth Task session aggregated separately
    ],
    lastSessionEnd: new Date("2024-02-01T12:00:00+01:00"),
  });
  assert.deepEqual(r.streak, {
    days: 1,
    dailyActivity: [false, false, false, false, false, false, true],
  });
  assert.deepEqual(r.avgDuration, { minutes: 2, dailyDurations: [0, 0, 0, 0, 0, 0, 2] });
  assert.deepEqual(r.toneTrend, {
    current: "positive",
    dailySentiment: [null, null, null, null, null, null, 0.8],
  });
  // The newest session ever, even far outside the window.
  assert.equal(r.lastSession.timestamp, "2024-02-01T11:00:00.000Z");
});

Deno.test("empty user: zeroed shape", () => {
  assert.deepEqual(buildRollup({ now: NOW, days: [], lastSessionEnd: null }), {
    lastSession: { timestamp: null },
    streak: { days: 0, dailyActivity: [false, false, false, false, false, false, false] },
    avgDuration: { minutes: 0, dailyDurations: [0, 0, 0, 0, 0, 0, 0] },
    toneTrend: {
      current: "neutral",
      dailySentiment: [null, null, null, null, null, null, null],
    },
    lastUpdated: "2024-03-10T15:00:00.000Z",
  });
});

Deno.test("aggregateByDay and buildRollup throw CoreInputError for invalid caller input", () => {
  const ok = session("2024-03-10T08:00:00Z", 60, 0.5);
  assert.throws(() => aggregateByDay([{ ...ok, durationSeconds: -1 }], NOW), CoreInputError);
  assert.throws(() => aggregateByDay([{ ...ok, durationSeconds: 1.5 }], NOW), CoreInputError);
  assert.throws(() => aggregateByDay([{ ...ok, sentimentHundredths: 101 }], NOW), CoreInputError);
  assert.throws(() => aggregateByDay([{ ...ok, sentimentHundredths: 0.5 }], NOW), CoreInputError);
  assert.throws(
    () => aggregateByDay([{ ...ok, startedAt: new Date(Number.NaN) }], NOW),
    CoreInputError,
  );
  assert.throws(
    () => buildRollup({ now: new Date(Number.NaN), days: [], lastSessionEnd: null }),
    CoreInputError,
  );
});

Deno.test("buildRollup throws InvariantViolation when stored aggregates are impossible", () => {
  const build = (d: DayAggregate) => () =>
    buildRollup({ now: NOW, days: [d], lastSessionEnd: null });
  const cases: [DayAggregate, string][] = [
    [day("2024-03-10", 1, 60, 101, 1), "days[0].sentimentSum exceeds 100 per counted session"],
    [day("2024-03-10", -1, 60), "days[0].sessions must be a non-negative integer, got -1"],
    [day("2024-03-10", 1, 60.5), "days[0].seconds must be a non-negative integer, got 60.5"],
  ];
  for (const [aggregate, message] of cases) {
    assert.throws(build(aggregate), (err: unknown) => {
      assert.ok(err instanceof InvariantViolation, String(err));
      assert.ok(!(err instanceof DomainError));
      assert.equal(err.message, message);
      return true;
    });
  }
  assert.throws(
    () => buildRollup({ now: NOW, days: [], lastSessionEnd: new Date(Number.NaN) }),
    (err: unknown) => err instanceof InvariantViolation && /lastSessionEnd/.test(err.message),
  );
});
