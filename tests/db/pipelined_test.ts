/** The pipelined transaction: committed only by its commit, rolled back otherwise, never leaked. */
import assert from "node:assert/strict";
import type { Tx } from "../../db/client.ts";
import { pipelinedTransaction } from "../../db/pipelined.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const opts = dbTestOptions;

/** Returns the session ids stored in play_sessions under the prefix. */
async function stored(prefix: string): Promise<string[]> {
  const rows = await db.sql<{ session_id: string }[]>`
    select session_id from play_sessions where session_id like ${prefix + "%"} order by 1`;
  return rows.map((r) => r.session_id);
}

Deno.test(
  "`pipelinedTransaction` commits what ran before its commit and the last statement",
  opts,
  async () => {
    const answer = await pipelinedTransaction(db.sql, async (tx, commit) => {
      await tx`insert into play_sessions (session_id, player_id) values ('pt-a1', 'p')`;
      const rows = await commit(tx<{ n: number }[]>`
      insert into play_sessions (session_id, player_id) values ('pt-a2', 'p') returning 7 as n`);
      return rows[0].n;
    });
    assert.equal(answer, 7);
    assert.deepEqual(await stored("pt-a"), ["pt-a1", "pt-a2"]);
  },
);

Deno.test("`pipelinedTransaction` keeps nothing when the last statement fails", opts, async () => {
  await assert.rejects(
    pipelinedTransaction(db.sql, async (tx, commit) => {
      await tx`insert into play_sessions (session_id, player_id) values ('pt-b1', 'p')`;
      // Unique violation: the COMMIT sent behind it rolls back.
      await commit(tx`insert into play_sessions (session_id, player_id) values ('pt-b1', 'p')`);
    }),
    (e: { code?: string }) => e.code === "23505",
  );
  assert.deepEqual(await stored("pt-b"), []);
});

Deno.test(
  "`pipelinedTransaction` rolls back on a throw and on a return without commit",
  opts,
  async () => {
    await assert.rejects(
      pipelinedTransaction(db.sql, async (tx) => {
        await tx`insert into play_sessions (session_id, player_id) values ('pt-c1', 'p')`;
        throw new Error("refused");
      }),
      /refused/,
    );
    const n = await pipelinedTransaction(db.sql, async (tx) => {
      await tx`insert into play_sessions (session_id, player_id) values ('pt-c2', 'p')`;
      return 1;
    });
    assert.equal(n, 1);
    assert.deepEqual(await stored("pt-c"), []);
    // The connection went back to the pool outside any transaction: a plain statement commits.
    await db.sql`insert into play_sessions (session_id, player_id) values ('pt-c3', 'p')`;
    assert.deepEqual(await stored("pt-c"), ["pt-c3"]);
  },
);

Deno.test(
  "`pipelinedTransaction` runs its statements inside BEGIN from the first one",
  opts,
  async () => {
    const [first, last] = await pipelinedTransaction(db.sql, async (tx, commit) => {
      const [a] = await tx<{ txid: string }[]>`select txid_current()::text as txid`;
      const [b] = await commit(tx<{ txid: string }[]>`select txid_current()::text as txid`);
      return [a.txid, b.txid];
    });
    assert.equal(first, last, "one transaction from the first statement to the last");
  },
);

Deno.test(
  "`pipelinedTransaction` sends its commit after statements started with it in one Promise.all",
  opts,
  async () => {
    /** Stands for a db/ function: an async function awaiting its statements. */
    const insert = async (tx: Tx, id: string) => {
      const [row] = await tx<{ txid: string }[]>`
        insert into play_sessions (session_id, player_id) values (${id}, 'p')
        returning txid_current()::text as txid`;
      return row.txid;
    };
    const pair = async (tx: Tx) => {
      const [a, b] = await Promise.all([insert(tx, "pt-e2"), insert(tx, "pt-e3")]);
      return a === b ? a : "two";
    };
    const txids = await pipelinedTransaction(db.sql, async (tx, commit) => {
      const [a, b, [c]] = await Promise.all([
        insert(tx, "pt-e1"),
        pair(tx),
        commit(tx<{ txid: string }[]>`
          insert into play_sessions (session_id, player_id) values ('pt-e4', 'p')
          returning txid_current()::text as txid`),
      ]);
      return new Set([a, b, c.txid]);
    });
    assert.equal(txids.size, 1, "every statement ran in the transaction, before its COMMIT");
    assert.deepEqual(await stored("pt-e"), ["pt-e1", "pt-e2", "pt-e3", "pt-e4"]);
  },
);
