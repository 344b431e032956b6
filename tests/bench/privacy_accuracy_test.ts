import assert from "node:assert/strict";
import { accuracyTable, privacyAccuracy } from "../../bench/privacy_accuracy.ts";

Deno.test("`privacyAccuracy` (short mode) meets the 100-player target and covers ~90 %", () => {
  const rows = privacyAccuracy({ trials: 200 });
  assert.deepEqual(rows.map((r) => r.players), [5, 20, 100, 1000]);
  const [five, twenty, hundred, thousand] = rows;
  assert.ok(hundred.within05 >= 0.9, `100 players within ±0.05: ${hundred.within05}`);
  assert.equal(thousand.within05, 1);
  // More players: the average is shown more often and the interval narrows.
  assert.ok(five.shown < twenty.shown && twenty.shown <= hundred.shown);
  assert.ok(twenty.medianWidth > hundred.medianWidth && hundred.medianWidth > thousand.medianWidth);
  for (const r of rows.slice(1)) {
    assert.ok(r.coverage >= 0.85, `coverage ${r.players}: ${r.coverage}`);
  }
  // ε = 0.25 is four times the noise: the 100-player target no longer holds.
  const [weak] = privacyAccuracy({
    trials: 200,
    sizes: [100],
    epsilon: { num: BigInt(1), den: BigInt(4) },
  });
  assert.ok(weak.within05 < 0.9);
  assert.match(accuracyTable(rows), /^\| players \/ week \|/);
});
