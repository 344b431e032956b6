import assert from "node:assert/strict";
import { CredentialError, DomainError } from "../../core/errors.ts";

Deno.test("`DomainError` keeps the cause it is given, and none when not", () => {
  const cause = new Error("socket closed");
  const e = new DomainError("bad_request", "Invalid body", { cause });
  assert.equal(e.cause, cause);
  assert.equal(e.message, "Invalid body");
  assert.equal(e.kind, "bad_request");
  assert.equal(new DomainError("conflict", "x").cause, undefined);
  assert.equal(Object.hasOwn(new DomainError("conflict", "x"), "cause"), false);
  const denied = new CredentialError("forbidden", "Invalid token", { cause: "rate" });
  assert.equal(denied.cause, "rate");
  assert.ok(denied instanceof DomainError);
});
