import assert from "node:assert/strict";
import { glossary, GLOSSARY_MARKERS, glossaryMarkdown } from "../../core/glossary.ts";
import { createRegistry, EARTH, REGISTRY, WATER } from "../../core/tasks.ts";
import { TELEMETRY_DOC, withGlossary } from "../../scripts/glossary.ts";

/** Returns a Markdown table without its column padding (what deno fmt adds). */
const unpadded = (table: string) =>
  table.trim().split("\n").map((line) => line.split("|").map((c) => c.trim().replace(/^-+$/, "-")))
    .map((cells) => cells.join("|")).join("\n");

Deno.test("docs/telemetry.md holds the registry's glossary (run deno task glossary)", async () => {
  const doc = await Deno.readTextFile(TELEMETRY_DOC);
  const { start, end } = GLOSSARY_MARKERS;
  const block = doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end));
  assert.ok(doc.indexOf(start) >= 0 && doc.indexOf(end) > doc.indexOf(start), "markers present");
  assert.equal(unpadded(block), unpadded(glossaryMarkdown(REGISTRY)));
});

Deno.test("`glossary` gives each metric one name, its definition, scale and direction", () => {
  assert.deepEqual(glossary(REGISTRY, ["earth_score_bucket", "stress_score"]), [
    {
      key: "earth_score_bucket",
      label: "Earth score",
      task: "earth",
      definition: "10 when all three sequences were solved on the first attempt, 5 when all " +
        "were solved, else 0.",
      scale: "points, 0, 5 or 10",
      direction: "higher is better",
    },
    {
      key: "stress_score",
      label: "Stress score",
      task: "water",
      definition: "The stress the player reported for the session, from 0 (none) to 100.",
      scale: "points, 0–100",
      direction: "lower is better",
    },
  ]);
  const labels = glossary(REGISTRY).map((e) => e.label);
  assert.deepEqual(labels, [
    "First-try accuracy",
    "All first try",
    "Repetition burden",
    "Earth score",
    "Stress score",
  ]);
  // One name per metric: no two metrics share a label.
  assert.equal(new Set(labels).size, labels.length);
  // A registry with one task lists only its metrics.
  assert.deepEqual(glossary(createRegistry([WATER])).map((e) => e.key), ["stress_score"]);
  assert.equal(glossary(createRegistry([EARTH])).length, 4);
});

Deno.test("`withGlossary` replaces only the block between the markers", () => {
  const { start, end } = GLOSSARY_MARKERS;
  const doc = `# T\n\nbefore\n\n${start}\n\nold table\n\n${end}\n\nafter\n`;
  assert.equal(
    withGlossary(doc, "| new |"),
    `# T\n\nbefore\n\n${start}\n\n| new |\n\n${end}\n\nafter\n`,
  );
  assert.throws(() => withGlossary("no markers", "| x |"), /lacks the markers/);
});
