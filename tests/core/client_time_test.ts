import assert from "node:assert/strict";
import { clientTimeProblem, clientTimeWindow } from "../../core/client_time.ts";

const NOW = new Date("2026-11-20T10:00:00.000Z");

Deno.test("`clientTimeWindow` runs from 2000-01-01 to five minutes past the server's clock", () => {
  assert.deepEqual(clientTimeWindow(NOW), {
    from: new Date("2000-01-01T00:00:00.000Z"),
    to: new Date("2026-11-20T10:05:00.000Z"),
  });
});

Deno.test("`clientTimeProblem` accepts both bounds and names the window outside them", () => {
  for (
    const ok of ["2000-01-01T00:00:00.000Z", "2019-06-01T09:00:00Z", "2026-11-20T10:05:00.000Z"]
  ) {
    assert.equal(clientTimeProblem(new Date(ok), NOW), null, ok);
  }
  for (
    const bad of ["1999-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z", "2026-11-20T10:05:00.001Z"]
  ) {
    assert.equal(
      clientTimeProblem(new Date(bad), NOW),
      "Must be from 2000-01-01T00:00:00.000Z to 5 minutes past the server's clock " +
        "(until 2026-11-20T10:05:00.000Z)",
      bad,
    );
  }
});
