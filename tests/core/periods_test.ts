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

Deno.test("`changeFromPrevious` compares the latest shown value with the shown one before", () => {
  const periods = [day("2026-09-01", 0.5), day("2026-09-02", null), day("2026-09-03", 0.75)];
  const change = changeFromPrevious(periods, "score");
  assert.equal(change?.value, 0.75);
  assert.equal(change?.previous?.start, "2026-09-01");
  assert.equal(change?.change, 0.25);
  assert.equal(changeFromPrevious([day("2026-09-01", 0.5)], "score")?.change, null);
  assert.equal(changeFromPrevious([day("2026-09-01", null)], "score"), null);
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
