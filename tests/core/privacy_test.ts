import assert from "node:assert/strict";
import {
  type BucketStat,
  initialSuppression,
  nextComplementary,
  suppressBuckets,
} from "../../core/privacy.ts";
import { CoreInputError } from "../../core/input_error.ts";

/** Returns bucket stats and a distinct-player counter from bucket → player ids. */
function world(players: Record<string, string[]>) {
  const buckets: BucketStat[] = Object.entries(players).map(([bucket_start, ids]) => ({
    bucket_start,
    n_players: new Set(ids).size,
  }));
  const distinctPlayersOf = (starts: readonly string[]) =>
    new Set(starts.flatMap((s) => players[s] ?? [])).size;
  return { buckets, distinctPlayersOf };
}

const five = ["a", "b", "c", "d", "e"];

Deno.test("privacy: nothing suppressed when every bucket has >= k players", async () => {
  const { buckets, distinctPlayersOf } = world({
    "2024-01-01": five,
    "2024-01-08": [...five, "f"],
    "2024-01-15": five,
  });
  assert.deepEqual(initialSuppression(buckets, 5), []);
  assert.equal(nextComplementary(buckets, [], 0, 5), null);
  assert.deepEqual(await suppressBuckets(buckets, 5, distinctPlayersOf), []);
  assert.deepEqual(await suppressBuckets([], 5, distinctPlayersOf), []);
});

Deno.test("privacy: one small bucket also suppresses the next smallest visible bucket", async () => {
  const { buckets, distinctPlayersOf } = world({
    "2024-01-01": [...five, "f", "g"],
    "2024-01-02": ["a", "b"], // < 5: suppressed
    "2024-01-03": [...five, "f"], // smallest visible (6 players)
    "2024-01-04": [...five, "f", "g", "h"],
  });
  assert.deepEqual(initialSuppression(buckets, 5), ["2024-01-02"]);
  assert.equal(nextComplementary(buckets, ["2024-01-02"], 2, 5), "2024-01-03");
  // After suppressing it the union {a..f} holds 6 >= 5 players: done.
  assert.equal(nextComplementary(buckets, ["2024-01-02", "2024-01-03"], 6, 5), null);
  assert.deepEqual(await suppressBuckets(buckets, 5, distinctPlayersOf), [
    "2024-01-02",
    "2024-01-03",
  ]);
});

Deno.test("privacy: ties on size are broken by the earliest bucket_start", async () => {
  const { buckets, distinctPlayersOf } = world({
    "2024-01-10": five,
    "2024-01-03": ["z"],
    "2024-01-08": ["v", "w", "x", "y", "z"],
    "2024-01-05": ["p", "q", "r", "s", "t"],
  });
  assert.equal(nextComplementary(buckets, ["2024-01-03"], 1, 5), "2024-01-05");
  assert.deepEqual(await suppressBuckets(buckets, 5, distinctPlayersOf), [
    "2024-01-03",
    "2024-01-05",
  ]);
});

Deno.test("privacy: overlapping players keep the loop going until the union reaches k", async () => {
  const { buckets, distinctPlayersOf } = world({
    "2024-01-01": ["a", "b"], // suppressed
    "2024-01-02": ["a", "b", "c"], // suppressed
    "2024-01-03": ["a", "b", "c", "d", "e"], // smallest visible, adds only d, e → 5
    "2024-01-04": ["f", "g", "h", "i", "j", "k"],
  });
  assert.deepEqual(initialSuppression(buckets, 5), ["2024-01-01", "2024-01-02"]);
  assert.equal(nextComplementary(buckets, ["2024-01-01", "2024-01-02"], 3, 5), "2024-01-03");
  assert.deepEqual(await suppressBuckets(buckets, 5, distinctPlayersOf), [
    "2024-01-01",
    "2024-01-02",
    "2024-01-03",
  ]);
});

Deno.test("privacy: small buckets whose union already holds >= k players need no complement", async () => {
  const { buckets, distinctPlayersOf } = world({
    "2024-01-01": ["a", "b", "c"],
    "2024-01-02": ["d", "e"],
    "2024-01-03": [...five, "f"],
  });
  assert.deepEqual(initialSuppression(buckets, 5), ["2024-01-01", "2024-01-02"]);
  assert.equal(nextComplementary(buckets, ["2024-01-01", "2024-01-02"], 5, 5), null);
  assert.deepEqual(await suppressBuckets(buckets, 5, distinctPlayersOf), [
    "2024-01-01",
    "2024-01-02",
  ]);
});

Deno.test("privacy: everything ends suppressed when the company is too small", async () => {
  const { buckets, distinctPlayersOf } = world({
    "2024-01-01": ["a", "b"],
    "2024-01-02": ["a", "c"],
    "2024-01-03": ["b"],
  });
  assert.deepEqual(await suppressBuckets(buckets, 5, distinctPlayersOf), [
    "2024-01-01",
    "2024-01-02",
    "2024-01-03",
  ]);
  // No visible bucket left: null even though the union is still < k.
  assert.equal(nextComplementary(buckets, ["2024-01-01", "2024-01-02", "2024-01-03"], 3, 5), null);
  // Only one bucket and it is large enough with k = 3, but not with k = 5.
  const one = world({ "2024-01-01": ["a", "b", "c", "d"] });
  assert.deepEqual(await suppressBuckets(one.buckets, 3, one.distinctPlayersOf), []);
  assert.deepEqual(await suppressBuckets(one.buckets, 5, one.distinctPlayersOf), ["2024-01-01"]);
});

Deno.test("privacy: the counter is only asked about non-empty suppressed sets", async () => {
  const { buckets, distinctPlayersOf } = world({ "2024-01-01": ["a"], "2024-01-02": five });
  const asked: string[][] = [];
  const spy = (starts: readonly string[]) => {
    asked.push([...starts]);
    return distinctPlayersOf(starts);
  };
  assert.deepEqual(await suppressBuckets(buckets, 5, spy), ["2024-01-01", "2024-01-02"]);
  assert.deepEqual(asked, [["2024-01-01"], ["2024-01-01", "2024-01-02"]]);
});

Deno.test("privacy: invalid inputs throw CoreInputError", () => {
  const ok: BucketStat[] = [{ bucket_start: "2024-01-01", n_players: 3 }];
  assert.throws(() => initialSuppression(ok, 0), CoreInputError);
  assert.throws(() => initialSuppression(ok, 2.5), CoreInputError);
  assert.throws(
    () => initialSuppression([{ bucket_start: "2024-01-01", n_players: -1 }], 5),
    CoreInputError,
  );
  assert.throws(() => initialSuppression([...ok, ...ok], 5), CoreInputError);
  assert.throws(() => nextComplementary(ok, ["2024-01-01"], 1, Number.NaN), CoreInputError);
});

Deno.test("`suppressBuckets` keeps the already hidden buckets and suppresses around them", async () => {
  const { buckets, distinctPlayersOf } = world({
    "2024-01-01": [...five, "f"],
    "2024-01-02": five,
    "2024-01-03": [...five, "f", "g"],
  });
  // Nothing is small, but 01-01 is hidden already (by the all-task rule): the union {a..f} holds
  // 6 >= 5 players, so nothing else goes.
  assert.deepEqual(await suppressBuckets(buckets, 5, distinctPlayersOf, ["2024-01-01"]), [
    "2024-01-01",
  ]);
  // With k = 7, 01-01 and 01-02 are small and hold 6 < 7 players together: 01-03 goes too.
  assert.deepEqual(await suppressBuckets(buckets, 7, distinctPlayersOf, ["2024-01-01"]), [
    "2024-01-01",
    "2024-01-02",
    "2024-01-03",
  ]);
  // The async counter (SQL in the service) gives the same answer as the sync one.
  const asyncCount = (starts: readonly string[]) => Promise.resolve(distinctPlayersOf(starts));
  assert.deepEqual(
    await suppressBuckets(buckets, 7, asyncCount, ["2024-01-01"]),
    await suppressBuckets(buckets, 7, distinctPlayersOf, ["2024-01-01"]),
  );
});

Deno.test("`suppressBuckets` is the one suppression loop: no other module steps it", async () => {
  // A second loop (services/company.ts had one) could diverge from the tested one; only
  // core/privacy.ts may call the steps, and the company service must call suppressBuckets.
  const root = new URL("../../", import.meta.url);
  const offenders: string[] = [];
  for (const dir of ["services", "db", "api", "routes", "http", "core", "islands"]) {
    for await (const entry of Deno.readDir(new URL(`${dir}/`, root))) {
      if (!entry.isFile || !/\.tsx?$/.test(entry.name)) continue;
      const path = `${dir}/${entry.name}`;
      if (path === "core/privacy.ts") continue;
      const text = await Deno.readTextFile(new URL(path, root));
      if (/\b(initialSuppression|nextComplementary)\s*\(/.test(text)) offenders.push(path);
    }
  }
  assert.deepEqual(offenders, []);
  const service = await Deno.readTextFile(new URL("services/company.ts", root));
  assert.match(service, /await suppressBuckets\(/);
});
