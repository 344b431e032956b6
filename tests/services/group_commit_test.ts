import assert from "node:assert/strict";
import { createGroupCommit } from "../../services/group_commit.ts";

/**
 * A store whose statements stay in flight until the test ends them: `calls` records the batch of
 * every statement when it starts, `finish(k)` commits statement k (or fails it when `fail` says so).
 */
function heldStore(fail: (items: string[]) => Error | null = () => null) {
  const calls: string[][] = [];
  const ends: (() => void)[] = [];
  const store = (items: string[]) => {
    calls.push([...items]);
    return new Promise<string[]>((resolve, reject) => {
      ends.push(() => {
        const err = fail(items);
        if (err) reject(err);
        else resolve(items.map((i) => i.toUpperCase()));
      });
    });
  };
  /** Commits statement `k` and lets its callers and the next statement run. */
  const finish = async (k: number) => {
    ends[k]();
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { calls, store, finish };
}

/** A store that commits at once (answers through promise jobs only, no timer). */
function instantStore(fail: (items: string[]) => Error | null = () => null) {
  const calls: string[][] = [];
  const store = (items: string[]) => {
    calls.push([...items]);
    const err = fail(items);
    return err ? Promise.reject(err) : Promise.resolve(items.map((i) => i.toUpperCase()));
  };
  return { calls, store };
}

Deno.test("createGroupCommit writes a lone submit at once, without waiting for a timer", async () => {
  const { calls, store } = instantStore();
  const queue = createGroupCommit(store);
  const answer = queue.submit("a");
  // The statement started inside submit itself: nothing was scheduled for later.
  assert.deepEqual(calls, [["a"]]);
  assert.equal(await answer, "A");
  const second = queue.submit("b");
  assert.deepEqual(calls, [["a"], ["b"]]);
  assert.equal(await second, "B");
});

Deno.test("createGroupCommit writes submits that arrive while a statement is in flight together in the next one", async () => {
  const { calls, store, finish } = heldStore();
  const queue = createGroupCommit(store, { maxInFlight: 1 });
  const answers: string[] = [];
  const submit = (item: string) => queue.submit(item).then((a) => answers.push(a));
  const all = ["a", "b", "c", "d"].map(submit);
  assert.deepEqual(calls, [["a"]]);
  // Nobody is answered before the statement holding the item has committed.
  await Promise.resolve();
  assert.deepEqual(answers, []);
  await finish(0);
  assert.deepEqual(answers, ["A"]);
  assert.deepEqual(calls, [["a"], ["b", "c", "d"]]);
  const late = submit("e");
  assert.deepEqual(calls, [["a"], ["b", "c", "d"]], "e waits for the statement in flight");
  await finish(1);
  assert.deepEqual(answers, ["A", "B", "C", "D"]);
  assert.deepEqual(calls, [["a"], ["b", "c", "d"], ["e"]]);
  await finish(2);
  await Promise.all([...all, late]);
  assert.deepEqual(answers, ["A", "B", "C", "D", "E"]);
});

Deno.test("createGroupCommit keeps at most maxInFlight statements running", async () => {
  const { calls, store, finish } = heldStore();
  const queue = createGroupCommit(store, { maxInFlight: 2 });
  const all = ["a", "b", "c", "d", "e"].map((i) => queue.submit(i));
  assert.deepEqual(calls, [["a"], ["b"]]);
  await finish(1);
  assert.deepEqual(calls, [["a"], ["b"], ["c", "d", "e"]]);
  await finish(0);
  await finish(2);
  assert.deepEqual(await Promise.all(all), ["A", "B", "C", "D", "E"]);
  assert.equal(calls.length, 3);
});

Deno.test("createGroupCommit puts at most maxBatch items in one statement", async () => {
  const { calls, store, finish } = heldStore();
  const queue = createGroupCommit(store, { maxBatch: 2, maxInFlight: 1 });
  const all = ["a", "b", "c", "d", "e", "f"].map((i) => queue.submit(i));
  assert.deepEqual(calls, [["a"]]);
  for (let k = 0; k < 4; k++) await finish(k);
  assert.deepEqual(calls, [["a"], ["b", "c"], ["d", "e"], ["f"]]);
  assert.deepEqual(await Promise.all(all), ["A", "B", "C", "D", "E", "F"]);
});

Deno.test("createGroupCommit fails only the request whose value failed a shared statement", async () => {
  const bad = Object.assign(new Error("invalid byte sequence"), { code: "22021" });
  const { calls, store, finish } = heldStore((items) => (items.includes("bad") ? bad : null));
  const queue = createGroupCommit(store, { maxInFlight: 1 });
  const results = Promise.allSettled(["first", "a", "bad", "c"].map((i) => queue.submit(i)));
  await finish(0);
  await finish(1);
  for (let k = 2; k < 5; k++) await finish(k);
  const settled = await results;
  assert.deepEqual(settled.map((r) => r.status), [
    "fulfilled",
    "fulfilled",
    "rejected",
    "fulfilled",
  ]);
  assert.equal((settled[2] as PromiseRejectedResult).reason, bad);
  assert.deepEqual(calls, [["first"], ["a", "bad", "c"], ["a"], ["bad"], ["c"]]);
});

Deno.test("createGroupCommit fails a whole statement at once on a database outage, no retries", async () => {
  const down = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  const { calls, store, finish } = heldStore((items) => (items.length > 1 ? down : null));
  const queue = createGroupCommit(store, { maxInFlight: 1 });
  const results = Promise.allSettled(["first", "a", "b"].map((i) => queue.submit(i)));
  await finish(0);
  await finish(1);
  const settled = await results;
  assert.deepEqual(settled.map((r) => r.status), ["fulfilled", "rejected", "rejected"]);
  assert.deepEqual(calls, [["first"], ["a", "b"]]);
});

Deno.test("createGroupCommit answers a lone submit when the store fails synchronously", async () => {
  const queue = createGroupCommit<string, string>(() => {
    throw new Error("boom");
  }, { maxInFlight: 1 });
  await assert.rejects(queue.submit("a"), /boom/);
  // The slot was freed: the next submit gets its own statement.
  await assert.rejects(queue.submit("b"), /boom/);
});

Deno.test("createGroupCommit reports the size of every statement it starts to onBatch", async () => {
  const { store, finish } = heldStore();
  const sizes: number[] = [];
  const queue = createGroupCommit(store, { maxInFlight: 1, onBatch: (n) => sizes.push(n) });
  const all = ["a", "b", "c", "d"].map((i) => queue.submit(i));
  assert.deepEqual(sizes, [1]);
  await finish(0);
  assert.deepEqual(sizes, [1, 3]);
  await finish(1);
  await Promise.all(all);
  assert.deepEqual(sizes, [1, 3]);
});
