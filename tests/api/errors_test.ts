/** The one error handler (api/errors.ts): every failure becomes a 4xx/503 `detail`, never a 5xx leak. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { errorHandler } from "../../api/errors.ts";
import { ConcurrentWriteError } from "../../db/errors.ts";
import type { AppEnv } from "../../http/context.ts";
import type { LogFields } from "../../http/log.ts";

function appThrowing(err: Error) {
  const logged: LogFields[] = [];
  const app = new Hono<AppEnv>();
  app.get("/x", () => {
    throw err;
  });
  app.onError(errorHandler((_level, fields) => logged.push(fields)));
  return { app, logged };
}

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

Deno.test("errors: a deadlock or serialization failure is 503 with Retry-After", async () => {
  const failures = [
    withCode("deadlock detected", "40P01"),
    withCode("could not serialize access", "40001"),
    new ConcurrentWriteError("event ingest did not settle in 5 rounds"),
  ];
  for (const err of failures) {
    const { app, logged } = appThrowing(err);
    const code = err.message;
    const res = await app.request("/x");
    assert.equal(res.status, 503, code);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.deepEqual(await res.json(), { detail: "Database busy (concurrent writers); retry" });
    assert.equal(logged.length, 0);
  }
});

Deno.test("errors: outage 503, data exception 400, anything else 500 and logged", async () => {
  const outage = await appThrowing(withCode("connect ECONNREFUSED", "ECONNREFUSED")).app
    .request("/x");
  assert.equal(outage.status, 503);
  assert.equal(outage.headers.get("retry-after"), "2");
  const data = await appThrowing(withCode("invalid byte sequence", "22021")).app.request("/x");
  assert.equal(data.status, 400);
  assert.deepEqual(await data.json(), { detail: "Invalid value in request" });
  const { app, logged } = appThrowing(new Error("boom"));
  const res = await app.request("/x");
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { detail: "Internal server error" });
  assert.equal(logged[0].message, "boom");
});
