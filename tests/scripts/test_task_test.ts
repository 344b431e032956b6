import assert from "node:assert/strict";
import { testArgs } from "../../scripts/test.ts";

const FIXED = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
  "--allow-run",
  "--sanitize-ops",
  "--sanitize-resources",
];
const existing = (...paths: string[]) => (path: string) => paths.includes(path);

Deno.test("testArgs runs all of tests/ when no path is given", () => {
  assert.deepEqual(testArgs([], existing()), ["test", ...FIXED, "tests/"]);
  assert.deepEqual(
    testArgs(["--filter", "rollup"], existing()),
    ["test", ...FIXED, "--filter", "rollup", "tests/"],
  );
});

Deno.test("testArgs runs only the given paths, flags passed through", () => {
  const paths = existing("tests/core/rollup_test.ts", "tests/db/");
  assert.deepEqual(
    testArgs(["tests/core/rollup_test.ts"], paths),
    ["test", ...FIXED, "tests/core/rollup_test.ts"],
  );
  assert.deepEqual(
    testArgs(["--filter", "x", "tests/db/", "tests/core/rollup_test.ts"], paths),
    ["test", ...FIXED, "--filter", "x", "tests/db/", "tests/core/rollup_test.ts"],
  );
});
