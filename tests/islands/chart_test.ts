import assert from "node:assert/strict";
import { chartOptions } from "../../islands/chart_options.ts";

Deno.test("chartOptions keeps chart.js's label ticks on a category axis (no times)", () => {
  const x = chartOptions({
    kind: "bar",
    labels: ["Mon", "Tue"],
    series: [{ name: "Minutes", data: [3, 4], color: "green" }],
  }).scales.x;
  // An explicit `callback: undefined` would replace the default and draw 0, 1 … instead.
  assert.deepEqual(x, {});
});

Deno.test("chartOptions draws a time axis as UTC dates when times are given", () => {
  const x = chartOptions({
    kind: "line",
    labels: ["4 Mar"],
    times: [Date.UTC(2026, 2, 4)],
    series: [{ name: "Share", data: [0.5], color: "blue" }],
  }).scales.x;
  assert.equal(x.type, "linear");
  const tick = (x.ticks as { callback: (v: number) => string }).callback;
  assert.equal(tick(Date.UTC(2026, 2, 4, 13)), "04 Mar");
});
