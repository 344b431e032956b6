import assert from "node:assert/strict";
import { chartAlt, monthLabel } from "../../islands/format.ts";

Deno.test("chartAlt lists every value as shown and ends a line chart with its latest", () => {
  assert.equal(
    chartAlt("First-try accuracy per session", {
      kind: "line",
      labels: ["#1", "#2", "#3", "#4"],
      series: [{ name: "FTA", data: [1 / 3, 1 / 3, null, 0], color: "blue" }],
      percent: true,
    }),
    "First-try accuracy per session: #1 33%, #2 33%, #3 no data, #4 0%; latest 0%.",
  );
});

Deno.test("chartAlt rounds to two decimals and gives no latest for bars", () => {
  assert.equal(
    chartAlt("Earth-score outcomes", {
      kind: "bar",
      labels: ["0 (unsolved)", "5 (solved)", "10 (all first try)"],
      series: [{ name: "Sessions", data: [1, 2.345, 0], color: "green" }],
    }),
    "Earth-score outcomes: 0 (unsolved) 1, 5 (solved) 2.35, 10 (all first try) 0.",
  );
});

Deno.test("chartAlt names each series when there are several; empty series say no data", () => {
  assert.equal(
    chartAlt("Burden", {
      kind: "line",
      labels: ["Mon", "Tue"],
      series: [
        { name: "A", data: [1.5, null], color: "blue" },
        { name: "B", data: [null, null], color: "orange" },
      ],
    }),
    "Burden: A: Mon 1.5, Tue no data; latest 1.5. B: Mon no data, Tue no data.",
  );
  assert.equal(
    chartAlt("Empty", {
      kind: "bar",
      labels: [],
      series: [{ name: "X", data: [], color: "grey" }],
    }),
    "Empty: no data.",
  );
});

Deno.test("`monthLabel` names a day key's month and year", () => {
  assert.equal(monthLabel("2024-03-01"), "Mar 2024");
  assert.equal(monthLabel("2025-12-31"), "Dec 2025");
});
