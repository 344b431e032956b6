/** The one error map (http/errors.ts): every failure kind to its exact status and message. */
import assert from "node:assert/strict";
import { HTTPException } from "hono/http-exception";
import {
  badCredentials,
  badRequest,
  conflict,
  DomainError,
  forbidden,
  InvariantViolation,
  notFound,
} from "../../core/errors.ts";
import { CoreInputError } from "../../core/input_error.ts";
import { ConcurrentWriteError } from "../../db/errors.ts";
import { errorAnswer } from "../../http/errors.ts";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

Deno.test("errorAnswer maps each domain error kind to its status with its message", () => {
  const cases: [DomainError, number][] = [
    [badRequest("bad"), 400],
    [new CoreInputError("core bad"), 400],
    [badCredentials("who?"), 401],
    [forbidden("no"), 403],
    [notFound("gone"), 404],
    [conflict("finalized"), 409],
    [new DomainError("too_many_requests", "slow down"), 429],
  ];
  for (const [err, status] of cases) {
    assert.deepEqual(errorAnswer(err), { status, message: err.message, bug: false }, err.message);
  }
});

Deno.test("errorAnswer maps database failures by SQLSTATE class and outage", () => {
  assert.deepEqual(errorAnswer(withCode("connect ECONNREFUSED", "ECONNREFUSED")), {
    status: 503,
    message: "Database unavailable",
    retryAfter: 2,
    bug: false,
  });
  assert.deepEqual(errorAnswer(withCode("terminating connection", "57P01")), {
    status: 503,
    message: "Database unavailable",
    retryAfter: 2,
    bug: false,
  });
  const busy = {
    status: 503,
    message: "Database busy (concurrent writers); retry",
    retryAfter: 1,
    bug: false,
  };
  assert.deepEqual(errorAnswer(withCode("could not serialize access", "40001")), busy);
  assert.deepEqual(errorAnswer(withCode("deadlock detected", "40P01")), busy);
  assert.deepEqual(errorAnswer(new ConcurrentWriteError("did not settle")), busy);
  const invalid = { status: 400, message: "Invalid value in request", bug: false };
  assert.deepEqual(errorAnswer(withCode("invalid byte sequence", "22021")), invalid);
  assert.deepEqual(errorAnswer(withCode("value out of range", "22003")), invalid);
  assert.deepEqual(errorAnswer(withCode("program limit exceeded", "54000")), invalid);
});

Deno.test("errorAnswer answers bugs and broken stored invariants 500 and flags them", () => {
  const bug = { status: 500, message: "Internal server error", bug: true };
  assert.deepEqual(errorAnswer(new InvariantViolation("days[0].sessions is -1")), bug);
  assert.deepEqual(errorAnswer(new Error("boom")), bug);
  assert.deepEqual(errorAnswer(withCode("relation does not exist", "42P01")), bug);
  assert.deepEqual(errorAnswer("a thrown string"), bug);
});

Deno.test("errorAnswer keeps HTTP exceptions' status and names malformed requests", () => {
  assert.deepEqual(errorAnswer(new HTTPException(413)), {
    status: 413,
    message: "Request body too large (limit 1 MiB)",
    bug: false,
  });
  assert.deepEqual(errorAnswer(new HTTPException(400, { message: "Malformed JSON" })), {
    status: 400,
    message: "Malformed JSON",
    bug: false,
  });
  assert.deepEqual(errorAnswer(new HTTPException(400)), {
    status: 400,
    message: "Bad request",
    bug: false,
  });
  assert.deepEqual(errorAnswer(new SyntaxError("Unexpected token")), {
    status: 400,
    message: "Malformed request",
    bug: false,
  });
  assert.deepEqual(errorAnswer(new URIError("URI malformed")), {
    status: 400,
    message: "Malformed request",
    bug: false,
  });
});
