/** The glossary card: the one name and definition of every metric a page shows (core/glossary.ts). */
import { glossary } from "../core/glossary.ts";
import type { TaskRegistry } from "../core/tasks.ts";
import { Card } from "./_ui.tsx";

/** Returns the glossary card of the given metric keys (registry order). */
export function Glossary({ registry, keys }: { registry: TaskRegistry; keys: readonly string[] }) {
  const entries = glossary(registry, keys);
  if (entries.length === 0) return null;
  return (
    <Card title="Glossary" wide>
      <dl class="glossary">
        {entries.map((e) => (
          <>
            <dt id={`metric-${e.key}`}>{e.label}</dt>
            <dd>
              {e.definition} <span class="muted">({e.scale}; {e.direction})</span>
            </dd>
          </>
        ))}
      </dl>
    </Card>
  );
}
