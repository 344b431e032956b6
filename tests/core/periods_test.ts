import assert from "node:assert/strict";
import { changeFromPrevious, choosePeriods, type Period, toCsv } from "../../core/periods.ts";

const day = (start: string, score: number | null, sessions: number | null = 5): Period => ({
  start,
  end: start,
  sessions,
  values: { score },
});
const week = (start: string, end: string, score: number | null, sessions: number | null) => ({
  start,
  end,
  sessions,
  values: { score },
});

Deno.test("`choosePeriods` takes days when at least half of them show a value", () => {
  const days = [day("2026-09-01", 0.5), day("2026-09-02", null), day("2026-09-03", 0.7)];
  const chosen = choosePeriods(days, [], "score");
  assert.equal(chosen?.grain, "day");
  assert.equal(chosen?.periods.length, 3);
});

Deno.test("`choosePeriods` falls back to weeks when days would be a chart of one dot", () => {
  // One shown day among 70: the day chart would hold a single dot.
  const days = Array.from({ length: 70 }, (_, i) => {
    const d = new Date(Date.UTC(2026, 8, 1 + i)).toISOString().slice(0, 10);
    return day(d, i === 40 ? 0.6 : null);
  });
  const weeks = [
    week("2026-08-31", "2026-09-06", 0.4, 9),
    week("2026-09-07", "2026-09-13", 0.6, 11),
  ];
  assert.deepEqual(choosePeriods(days, weeks, "score"), {
    grain: "week",
    periods: weeks,
  });
});

Deno.test("`choosePeriods` gives no chart when weeks too show fewer than two values", () => {
  const weeks = [
    week("2026-08-31", "2026-09-06", 0.4, 5),
    week("2026-09-07", "2026-09-13", null, 2),
  ];
  assert.equal(choosePeriods([day("2026-09-01", 0.4)], weeks, "score"), null);
  assert.equal(choosePeriods([], [], "score"), null);
});

Deno.test("`changeFromPrevious` compares the latest value with the period just before it", () => {
  const periods = [day("2026-09-01", 0.5), day("2026-09-02", 0.6), day("2026-09-03", 0.75)];
  assert.deepEqual(changeFromPrevious(periods, "score", "day"), {
    key: "score",
    latest: periods[2],
    value: 0.75,
    status: "change",
    delta: 0.75 - 0.6,
    noise: null,
  });
  // Weeks: the week before is seven days earlier.
  const weeks = [
    week("2026-08-31", "2026-09-06", 0.4, 9),
    week("2026-09-07", "2026-09-13", 0.6, 11),
  ];
  assert.equal(changeFromPrevious(weeks, "score", "week")?.delta, 0.6 - 0.4);
});

Deno.test("`changeFromPrevious` gives no change across a hidden period, nor for the first", () => {
  // The day before the latest is hidden: never compared with an older one across the gap.
  const gap = [day("2026-09-01", 0.5), day("2026-09-02", null), day("2026-09-03", 0.75)];
  const change = changeFromPrevious(gap, "score", "day");
  assert.equal(change?.status, "previous-hidden");
  assert.equal(change?.delta, null);
  // Absent (left out for privacy in exact mode) is the same.
  assert.equal(
    changeFromPrevious([day("2026-09-01", 0.5), day("2026-09-03", 0.75)], "score", "day")?.status,
    "previous-hidden",
  );
  // Nothing earlier: the first period, unless periods were left out (one could be before).
  assert.equal(changeFromPrevious([day("2026-09-01", 0.5)], "score", "day")?.status, "first");
  assert.equal(
    changeFromPrevious([day("2026-09-01", 0.5)], "score", "day", 1)?.status,
    "previous-hidden",
  );
  assert.equal(changeFromPrevious([day("2026-09-01", null)], "score", "day"), null);
});

Deno.test("`changeFromPrevious` in protected mode: a change within the combined range is noise", () => {
  const noisy = (start: string, score: number, half: number): Period => ({
    ...day(start, score),
    intervals: { score: { low: score - half, high: score + half } },
  });
  // Half-widths 0.03 and 0.04 combine to sqrt(0.03² + 0.04²) = 0.05.
  const within = changeFromPrevious(
    [noisy("2026-09-01", 0.5, 0.03), noisy("2026-09-02", 0.55, 0.04)],
    "score",
    "day",
  );
  assert.equal(within?.status, "within-noise");
  assert.ok(Math.abs(within!.noise! - 0.05) < 1e-12);
  const clear = changeFromPrevious(
    [noisy("2026-09-01", 0.5, 0.03), noisy("2026-09-02", 0.56, 0.04)],
    "score",
    "day",
  );
  assert.equal(clear?.status, "change");
  assert.ok(Math.abs(clear!.delta! - 0.06) < 1e-12);
});

Deno.test("`toCsv` writes RFC 4180: CRLF, quoted fields with commas or quotes, empty for null", () => {
  assert.equal(
    toCsv(["period_start", "note", "score"], [["2026-09-01", 'a "b", c', 0.5], [
      "2026-09-02",
      "x",
      null,
    ]]),
    'period_start,note,score\r\n2026-09-01,"a ""b"", c",0.5\r\n2026-09-02,x,\r\n',
  );
});

Deno.test("`choosePeriods` falls back to months when neither days nor weeks show two", () => {
  const weeks = [
    week("2026-09-07", "2026-09-13", 0.6, 3),
    week("2026-10-05", "2026-10-11", null, 1),
  ];
  const months = [
    week("2026-09-01", "2026-09-30", 0.5, 7),
    week("2026-10-01", "2026-10-31", 0.75, 8),
  ];
  assert.deepEqual(choosePeriods([day("2026-09-08", 0.6)], weeks, "score", months), {
    grain: "month",
    periods: months,
  });
  // Weeks that show two win over months; a single month is still no chart.
  const twoWeeks = [
    week("2026-09-07", "2026-09-13", 0.6, 3),
    week("2026-09-14", "2026-09-20", 0.7, 3),
  ];
  assert.equal(choosePeriods([], twoWeeks, "score", months)?.grain, "week");
  assert.equal(choosePeriods([], weeks, "score", months.slice(0, 1)), null);
});

Deno.test("`changeFromPrevious` on months compares with the calendar month just before", () => {
  const months = [
    week("2026-01-01", "2026-01-31", 0.5, 7),
    week("2026-02-01", "2026-02-28", 0.75, 8),
  ];
  assert.deepEqual(changeFromPrevious(months, "score", "month"), {
    key: "score",
    latest: months[1],
    value: 0.75,
    status: "change",
    delta: 0.25,
    noise: null,
  });
  // March after January: February is missing, so no change is given across the gap.
  const gap = [months[0], week("2026-03-01", "2026-03-31", 0.75, 8)];
  assert.equal(changeFromPrevious(gap, "score", "month")?.status, "previous-hidden");
});
