import assert from "node:assert/strict";
import { createGroupCommit } from "../../services/group_commit.ts";

/** A store that records the batches it was given; items "bad" fail their whole statement. */
function recordingStore(fail: (items: string[]) => Error | null = () => null) {
  const calls: string[][] = [];
  const store = (items: string[]) => {
    calls.push([...items]);
    const err = fail(items);
    return err ? Promise.reject(err) : Promise.resolve(items.map((i) => i.toUpperCase()));
  };
  return { calls, store };
}

Deno.test("group commit: concurrent submits share one statement, answers in order", async () => {
  const { calls, store } = recordingStore();
  const queue = createGroupCommit(store);
  const answers = await Promise.all(["a", "b", "c"].map((i) => queue.submit(i)));
  assert.deepEqual(answers, ["A", "B", "C"]);
  assert.deepEqual(calls, [["a", "b", "c"]]);
  // A later submit gets a statement of its own.
  assert.equal(await queue.submit("d"), "D");
  assert.deepEqual(calls, [["a", "b", "c"], ["d"]]);
});

Deno.test("group commit: at most maxBatch items per statement", async () => {
  const { calls, store } = recordingStore();
  const queue = createGroupCommit(store, 2);
  const answers = await Promise.all(["a", "b", "c", "d", "e"].map((i) => queue.submit(i)));
  assert.deepEqual(answers, ["A", "B", "C", "D", "E"]);
  assert.deepEqual(calls, [["a", "b"], ["c", "d"], ["e"]]);
});

Deno.test("group commit: a bad value fails only its own request", async () => {
  const bad = Object.assign(new Error("invalid byte sequence"), { code: "22021" });
  const { calls, store } = recordingStore((items) => (items.includes("bad") ? bad : null));
  const queue = createGroupCommit(store);
  const results = await Promise.allSettled(["a", "bad", "c"].map((i) => queue.submit(i)));
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.equal((results[1] as PromiseRejectedResult).reason, bad);
  assert.deepEqual(calls, [["a", "bad", "c"], ["a"], ["bad"], ["c"]]);
});

Deno.test("group commit: a database outage fails the whole tick at once, no retries", async () => {
  const down = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  const { calls, store } = recordingStore(() => down);
  const queue = createGroupCommit(store);
  const results = await Promise.allSettled(["a", "b"].map((i) => queue.submit(i)));
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  assert.deepEqual(calls, [["a", "b"]]);
});
