/**
 * `deno task glossary`: writes the metric glossary of the task registry (core/glossary.ts) into
 * docs/telemetry.md between its markers, then formats the file (deno fmt).
 */
import { GLOSSARY_MARKERS, glossaryMarkdown } from "../core/glossary.ts";
import { REGISTRY } from "../core/tasks.ts";

export const TELEMETRY_DOC = new URL("../docs/telemetry.md", import.meta.url);

/** Returns the document with its glossary block replaced by the registry's glossary. */
export function withGlossary(doc: string, table: string): string {
  const { start, end } = GLOSSARY_MARKERS;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) {
    throw new Error(`docs/telemetry.md lacks the markers ${start} … ${end}`);
  }
  return `${doc.slice(0, from + start.length)}\n\n${table}\n\n${doc.slice(to)}`;
}

if (import.meta.main) {
  const before = await Deno.readTextFile(TELEMETRY_DOC);
  await Deno.writeTextFile(TELEMETRY_DOC, withGlossary(before, glossaryMarkdown(REGISTRY)));
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", TELEMETRY_DOC.pathname],
  }).output();
  if (!fmt.success) throw new Error(new TextDecoder().decode(fmt.stderr));
  const after = await Deno.readTextFile(TELEMETRY_DOC);
  console.log(`${before === after ? "unchanged" : "wrote"} docs/telemetry.md glossary`);
}
